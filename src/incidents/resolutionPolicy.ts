import type { Incident } from '../graph/graphSchemas';

/*
 * When resolving an incident needs a second person (INCIDENT_RESOLVE_APPROVAL). Severity is Defender's own
 * judgement of the incident; the classification is the resolver's. The default rule is `high`: it cannot be
 * side-stepped by the person being reviewed (a rule on `truePositive` alone is avoided by choosing another
 * classification, and a wrong "false positive" is the costlier mistake), and it leaves the daily stream of
 * low and medium incidents to the analyst's own Defender permissions.
 */

/** Severity rules: the incident's severity as Graph reports it when the person asks. */
export const SEVERITY_RULES = ['high', 'medium', 'low', 'informational'] as const;
/** Classification rules: the classification the person resolves with. */
export const CLASSIFICATION_RULES = ['truePositive', 'falsePositive', 'informationalExpectedActivity'] as const;

/** One rule of INCIDENT_RESOLVE_APPROVAL: a severity, a classification, `all` or `none`. */
export type ResolutionRule = (typeof SEVERITY_RULES)[number] | (typeof CLASSIFICATION_RULES)[number] | 'all' | 'none';

/** Every rule name, for the configuration parser. */
export const RESOLUTION_RULES: readonly ResolutionRule[] = [...SEVERITY_RULES, ...CLASSIFICATION_RULES, 'all', 'none'];

/** The default: any High incident needs a second person to resolve it (see above why not `truePositive`). */
export const DEFAULT_RESOLUTION_RULES: readonly ResolutionRule[] = ['high'];

const CLASSIFICATION_NAMES: Record<(typeof CLASSIFICATION_RULES)[number], string> = {
  truePositive: 'True positive',
  falsePositive: 'False positive',
  informationalExpectedActivity: 'Informational, expected activity',
};

/**
 * Why resolving `incident` as `classification` needs an approver (the note shown on the approval card), or
 * undefined when the person may resolve it at once. `none` wins over every other rule.
 */
export function resolutionApprovalReason(
  rules: readonly ResolutionRule[],
  incident: Pick<Incident, 'severity'>,
  classification: string,
): string | undefined {
  if (rules.includes('none')) return undefined;
  if (rules.includes('all')) return 'Every resolution needs an approver (policy)';
  const severity = incident.severity.toLowerCase();
  const bySeverity = SEVERITY_RULES.find((rule) => rule === severity && rules.includes(rule));
  if (bySeverity) return `${bySeverity[0]!.toUpperCase()}${bySeverity.slice(1)} severity incident`;
  const byClassification = CLASSIFICATION_RULES.find((rule) => rule === classification && rules.includes(rule));
  if (byClassification) return `Resolved as ${CLASSIFICATION_NAMES[byClassification]}`;
  return undefined;
}
