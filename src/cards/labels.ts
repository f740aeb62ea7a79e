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
