/*
 * Our own words and colours for Defender's enum values, in the viewer's language. Cards show these labels rather
 * than the raw values, so nothing Defender returns reaches a markdown-processed TextBlock or FactSet; unknown
 * values (the API adds some over time) get a neutral label. The words live in the `labels` catalogue
 * (src/i18n/locales/<locale>/labels.json, key `label.<table>.<value>`, `label.<table>._other` for unknown values);
 * the colours are Adaptive Cards' semantic colours, used only where they mean something (danger, caution, done),
 * so they stay legible in Teams' light, dark and high-contrast themes.
 */
import type { MessageKey } from '../i18n/catalogues';
import type { Translator } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';

/** Adaptive Card text colours used by the cards. */
export type CardColor = 'default' | 'good' | 'warning' | 'attention' | 'accent';

/** A label with its colour. */
export interface Label {
  text: string;
  color: CardColor;
}

/** The default translator of every card builder: English, UTC (call sites that pass none keep working). */
export const ENGLISH: Translator = translatorFor('en');

/** A label function: the value's words in the viewer's language (English when none is given) and its colour. */
export type LabelFor = (value: string | null | undefined, i18n?: Translator) => Label;

/** The known values of every label table, for the test that walks them in every language. */
export const LABEL_TABLES: Record<string, readonly string[]> = {};

const table = (name: string, colors: Record<string, CardColor>): LabelFor => {
  LABEL_TABLES[name] = Object.keys(colors).filter((value) => value !== '_other');
  return (value, i18n = ENGLISH) => {
    const known = value !== null && value !== undefined && Object.hasOwn(colors, value) ? value : '_other';
    return { text: i18n.t(`label.${name}.${known}` as MessageKey), color: colors[known] ?? 'default' };
  };
};

/** Alert severity. */
export const severityLabel = table('severity', {
  High: 'attention',
  Medium: 'warning',
  Low: 'accent',
  Informational: 'default',
  UnSpecified: 'default',
  _other: 'default',
});

/** Alert status ("In progress" is not a warning: no yellow text for it). */
export const statusLabel = table('status', {
  New: 'attention',
  InProgress: 'accent',
  Resolved: 'good',
  Unknown: 'default',
  _other: 'default',
});

/** Device sensor health. */
export const healthLabel = table('health', {
  Active: 'good',
  Inactive: 'warning',
  ImpairedCommunication: 'warning',
  NoSensorData: 'attention',
  NoSensorDataImpairedCommunication: 'attention',
  Unknown: 'default',
  _other: 'default',
});

/** Device risk score and exposure level share one scale. */
export const levelLabel = table('level', {
  None: 'good',
  Informational: 'default',
  Low: 'accent',
  Medium: 'warning',
  High: 'attention',
  _other: 'default',
});

/** Device value (asset criticality). */
export const deviceValueLabel = table('deviceValue', {
  High: 'attention',
  Normal: 'default',
  Low: 'default',
  _other: 'default',
});

/** Readable operating system names for Defender's `osPlatform` values; other values are shown as sent. */
export function osLabel(
  platform: string | null,
  version: string | null,
  build: number | null,
  i18n: Translator = ENGLISH,
): string {
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
  const name = platform ? (Object.hasOwn(names, platform) ? names[platform]! : platform) : i18n.t('label.os.unknown');
  const parts = [name, version ?? undefined, build !== null ? i18n.t('label.os.build', { build }) : undefined];
  return parts.filter(Boolean).join(' · ');
}

/** Graph (XDR incident and alerts_v2) severity, lower camel case. */
export const graphSeverityLabel = table('graphSeverity', {
  high: 'attention',
  medium: 'warning',
  low: 'accent',
  informational: 'default',
  _other: 'default',
});

/** Defender XDR incident status. */
export const incidentStatusLabel = table('incidentStatus', {
  active: 'attention',
  inProgress: 'accent',
  awaitingAction: 'warning',
  resolved: 'good',
  redirected: 'default',
  _other: 'default',
});

/** Incident and alert classification. */
export const classificationLabel = table('classification', {
  truePositive: 'attention',
  informationalExpectedActivity: 'default',
  falsePositive: 'good',
  unknown: 'default',
  _other: 'default',
});

/** Incident and alert determination. */
export const determinationLabel = table('determination', {
  multiStagedAttack: 'default',
  maliciousUserActivity: 'default',
  compromisedAccount: 'default',
  malware: 'default',
  phishing: 'default',
  unwantedSoftware: 'default',
  securityTesting: 'default',
  lineOfBusinessApplication: 'default',
  confirmedActivity: 'default',
  notMalicious: 'default',
  notEnoughDataToValidate: 'default',
  other: 'default',
  unknown: 'default',
  _other: 'default',
});

/** Which Defender product raised a Graph alert (`serviceSource`). */
export const serviceSourceLabel = table('serviceSource', {
  microsoftDefenderForEndpoint: 'default',
  microsoftDefenderForIdentity: 'default',
  microsoftDefenderForOffice365: 'default',
  microsoftDefenderForCloudApps: 'default',
  microsoftDefenderForCloud: 'default',
  microsoft365Defender: 'default',
  azureAdIdentityProtection: 'default',
  microsoftAppGovernance: 'default',
  dataLossPrevention: 'default',
  microsoftInsiderRiskManagement: 'default',
  microsoftSentinel: 'default',
  _other: 'default',
});
