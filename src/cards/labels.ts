/*
 * Our own words and colours for Defender's enum values. Cards show these labels rather than the raw values,
 * so nothing Defender returns reaches a markdown-processed TextBlock or FactSet; unknown values (the API
 * adds some over time) get a neutral label.
 */

/** Adaptive Card text colours used by the cards. */
export type CardColor = 'default' | 'good' | 'warning' | 'attention' | 'accent';

/** A label with its colour. */
export interface Label {
  text: string;
  color: CardColor;
}

const table =
  (entries: Record<string, Label>, fallback: Label) =>
  (value: string | null | undefined): Label =>
    (value !== null && value !== undefined && Object.hasOwn(entries, value) ? entries[value] : undefined) ?? fallback;

/** Alert severity. */
export const severityLabel = table(
  {
    High: { text: 'High', color: 'attention' },
    Medium: { text: 'Medium', color: 'warning' },
    Low: { text: 'Low', color: 'accent' },
    Informational: { text: 'Informational', color: 'default' },
    UnSpecified: { text: 'Unspecified', color: 'default' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Alert status. */
export const statusLabel = table(
  {
    New: { text: 'New', color: 'attention' },
    InProgress: { text: 'In progress', color: 'warning' },
    Resolved: { text: 'Resolved', color: 'good' },
    Unknown: { text: 'Unknown', color: 'default' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Device sensor health. */
export const healthLabel = table(
  {
    Active: { text: 'Active', color: 'good' },
    Inactive: { text: 'Inactive', color: 'warning' },
    ImpairedCommunication: { text: 'Impaired communication', color: 'warning' },
    NoSensorData: { text: 'No sensor data', color: 'attention' },
    NoSensorDataImpairedCommunication: { text: 'No sensor data, impaired communication', color: 'attention' },
    Unknown: { text: 'Unknown', color: 'default' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Device risk score and exposure level share one scale. */
export const levelLabel = table(
  {
    None: { text: 'None', color: 'good' },
    Informational: { text: 'Informational', color: 'default' },
    Low: { text: 'Low', color: 'accent' },
    Medium: { text: 'Medium', color: 'warning' },
    High: { text: 'High', color: 'attention' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Device value (asset criticality). */
export const deviceValueLabel = table(
  {
    High: { text: 'High', color: 'attention' },
    Normal: { text: 'Normal', color: 'default' },
    Low: { text: 'Low', color: 'default' },
  },
  { text: 'Not set', color: 'default' },
);

/** Readable operating system names for Defender's `osPlatform` values; other values are shown as sent. */
export function osLabel(platform: string | null, version: string | null, build: number | null): string {
  const names: Record<string, string> = {
    Windows10: 'Windows 10',
    Windows11: 'Windows 11',
    WindowsServer2012R2: 'Windows Server 2012 R2',
    WindowsServer2016: 'Windows Server 2016',
    WindowsServer2019: 'Windows Server 2019',
    WindowsServer2022: 'Windows Server 2022',
    WindowsServer2025: 'Windows Server 2025',
    Linux: 'Linux',
    macOS: 'macOS',
    iOS: 'iOS',
    Android: 'Android',
  };
  const name = platform ? (Object.hasOwn(names, platform) ? names[platform]! : platform) : 'Unknown OS';
  const parts = [name, version ?? undefined, build !== null ? `build ${build}` : undefined].filter(Boolean);
  return parts.join(' · ');
}

/** Graph (XDR incident and alerts_v2) severity, lower camel case. */
export const graphSeverityLabel = table(
  {
    high: { text: 'High', color: 'attention' },
    medium: { text: 'Medium', color: 'warning' },
    low: { text: 'Low', color: 'accent' },
    informational: { text: 'Informational', color: 'default' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Defender XDR incident status. */
export const incidentStatusLabel = table(
  {
    active: { text: 'Active', color: 'attention' },
    inProgress: { text: 'In progress', color: 'warning' },
    awaitingAction: { text: 'Awaiting action', color: 'warning' },
    resolved: { text: 'Resolved', color: 'good' },
    redirected: { text: 'Merged into another incident', color: 'default' },
  },
  { text: 'Unknown', color: 'default' },
);

/** Incident and alert classification. */
export const classificationLabel = table(
  {
    truePositive: { text: 'True positive', color: 'attention' },
    informationalExpectedActivity: { text: 'Informational, expected activity', color: 'default' },
    falsePositive: { text: 'False positive', color: 'good' },
    unknown: { text: 'Not classified', color: 'default' },
  },
  { text: 'Not classified', color: 'default' },
);

/** Incident and alert determination. */
export const determinationLabel = table(
  {
    multiStagedAttack: { text: 'Multi-staged attack', color: 'default' },
    maliciousUserActivity: { text: 'Malicious user activity', color: 'default' },
    compromisedAccount: { text: 'Compromised account', color: 'default' },
    malware: { text: 'Malware', color: 'default' },
    phishing: { text: 'Phishing', color: 'default' },
    unwantedSoftware: { text: 'Unwanted software', color: 'default' },
    securityTesting: { text: 'Security testing', color: 'default' },
    lineOfBusinessApplication: { text: 'Line-of-business application', color: 'default' },
    confirmedActivity: { text: 'Confirmed activity', color: 'default' },
    notMalicious: { text: 'Not malicious', color: 'default' },
    notEnoughDataToValidate: { text: 'Not enough data to validate', color: 'default' },
    other: { text: 'Other', color: 'default' },
    unknown: { text: 'Not determined', color: 'default' },
  },
  { text: 'Not determined', color: 'default' },
);

/** Which Defender product raised a Graph alert (`serviceSource`). */
export const serviceSourceLabel = table(
  {
    microsoftDefenderForEndpoint: { text: 'Endpoint', color: 'default' },
    microsoftDefenderForIdentity: { text: 'Identity', color: 'default' },
    microsoftDefenderForOffice365: { text: 'Office 365', color: 'default' },
    microsoftDefenderForCloudApps: { text: 'Cloud Apps', color: 'default' },
    microsoftDefenderForCloud: { text: 'Cloud', color: 'default' },
    microsoft365Defender: { text: 'Defender XDR', color: 'default' },
    azureAdIdentityProtection: { text: 'Entra ID Protection', color: 'default' },
    microsoftAppGovernance: { text: 'App Governance', color: 'default' },
    dataLossPrevention: { text: 'Data Loss Prevention', color: 'default' },
    microsoftInsiderRiskManagement: { text: 'Insider Risk', color: 'default' },
    microsoftSentinel: { text: 'Sentinel', color: 'default' },
  },
  { text: 'Other source', color: 'default' },
);
