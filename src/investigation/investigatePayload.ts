import { z } from 'zod';
import { toEntityValue } from '../defender/entityValues';

const ALERT_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$/;
const MACHINE_ID = /^[0-9a-f]{40}$/;
const INCIDENT_ID = /^\d{1,20}$/;

/** True when `id` is an id of a source of `kind` (an alert id, a 40-hex machine id, an incident number). */
export function isSourceId(kind: 'alert' | 'device' | 'incident', id: string): boolean {
  return (kind === 'alert' ? ALERT_ID : kind === 'device' ? MACHINE_ID : INCIDENT_ID).test(id);
}

/**
 * The `entity.investigate` button's data: which kind of entity, which card it came from (by id), and the entity's
 * canonical value as a key. Nothing here is trusted beyond selecting: the server reads the alert, device or incident
 * again with the clicker's token and investigates the entity only if that source still has it.
 */
export const entityInvestigateDataSchema = z
  .strictObject({
    kind: z.enum(['file', 'ip', 'domain', 'user', 'device']),
    source: z.strictObject({
      kind: z.enum(['alert', 'device', 'incident']),
      id: z.string().max(128),
    }),
    entity: z.string().min(1).max(253),
  })
  .superRefine((data, issues) => {
    const { source } = data;
    if (!isSourceId(source.kind, source.id))
      issues.addIssue({ code: 'custom', path: ['source', 'id'], message: 'not an id of its kind' });
    const canonical =
      data.kind === 'device'
        ? source.kind === 'device' && data.entity === source.id
        : toEntityValue(data.kind, data.entity) === data.entity;
    if (!canonical) issues.addIssue({ code: 'custom', path: ['entity'], message: 'not a canonical value of its kind' });
  });
/** Validated `entity.investigate` data. */
export type EntityInvestigateData = z.infer<typeof entityInvestigateDataSchema>;
