/*
 * Machine action types (defender-api.md §4.3), in a module of their own so the fault configuration (which the
 * seed embeds) can name them without importing the seed schema back.
 */

/** Every documented MachineAction `type`. */
export const MACHINE_ACTION_TYPES = [
  'RunAntiVirusScan',
  'Offboard',
  'LiveResponse',
  'CollectInvestigationPackage',
  'Isolate',
  'Unisolate',
  'StopAndQuarantineFile',
  'RestrictCodeExecution',
  'UnrestrictCodeExecution',
] as const;
