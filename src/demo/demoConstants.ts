/** The demo bot's app id: the `bot.id` of .m365agentsplayground.yml and the client id the emulator knows. */
export const DEMO_BOT_ID = '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54';

/**
 * Delegated permissions of the demo app registration (what an admin would consent to): MDE's for alerts and
 * device actions, Microsoft Graph's for incidents and alerts_v2 (the emulator keeps one list for every resource).
 */
export const DEMO_DELEGATED_PERMISSIONS = [
  'Alert.ReadWrite',
  'Machine.Read',
  'Machine.Isolate',
  'Machine.RestrictExecution',
  'Machine.Scan',
  'Machine.CollectForensics',
  'Machine.StopAndQuarantine',
  // "Investigate" on cards: file, IP, URL/domain and user pages of Defender for Endpoint, as the person.
  'File.Read.All',
  'Ip.Read.All',
  'Url.Read.All',
  'User.Read.All',
  'SecurityIncident.ReadWrite.All',
  'SecurityAlert.Read.All',
  // Advanced hunting (Graph runHuntingQuery), as the person: delegated only, never the application identity.
  'ThreatHunting.Read.All',
];

/** Application permissions: read-only by design (background work never acts on devices). */
export const DEMO_APPLICATION_PERMISSIONS = [
  'Alert.Read.All',
  'Machine.Read.All',
  'SecurityIncident.Read.All',
  'SecurityAlert.Read.All',
];
