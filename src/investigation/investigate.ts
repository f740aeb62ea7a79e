import type { AuditSink } from '../approvals/auditSink';
import { toInvestigationCard } from '../cards/investigationCard';
import type { CommandContext, Reply } from '../commands/commandContext';
import { cardReply } from '../commands/commandContext';
import type { EntityKind } from '../defender/entityValues';
import { recogniseEntity, toEntityValue } from '../defender/entityValues';
import { isAppError } from '../errors';
import type { Incident } from '../graph/graphSchemas';
import { incidentNotVisible } from '../incidents/showIncident';
import { clipLine } from '../cards/text';
import { cachedForViewer, enrichEntity, LIST_READ_MAX, logonUsersKey } from './enrichEntity';
import { enrichmentCacheOf } from './enrichmentCache';
import type { InvestigableEntity } from './investigableEntities';
import { entitiesOfAlert, entitiesOfDevice, entitiesOfIncident } from './investigableEntities';
import type { EntityInvestigateData } from './investigatePayload';

/** The enrichment card of an entity already checked, with the summary Teams shows in previews. */
async function enrichmentReply(ctx: CommandContext, entity: InvestigableEntity): Promise<Reply> {
  const enrichment = await enrichEntity(ctx, entity);
  return cardReply(
    toInvestigationCard({ enrichment }, ctx.i18n),
    ctx.i18n.t('investigation.summary', { label: clipLine(entity.label, 100) }),
  );
}

/**
 * "investigate <sha1|sha256|ip|domain|user>" (and "investigar …"): the value is checked to be what its kind can be
 * (or recognised when no kind was said) before Defender is asked anything.
 */
export async function investigateTyped(
  ctx: CommandContext,
  kind: EntityKind | undefined,
  text: string,
): Promise<Reply> {
  if (text.trim() === '') return { kind: 'text', text: ctx.i18n.t('investigation.askWhat') };
  const value = kind ? toEntityValue(kind, text) : null;
  const entity = kind ? (value === null ? null : { kind, value }) : recogniseEntity(text);
  if (!entity) return { kind: 'text', text: ctx.i18n.t('investigation.notAnEntity', { text: clipLine(text, 100) }) };
  return enrichmentReply(ctx, { ...entity, label: entity.value });
}

/**
 * The `entity.investigate` button: reads the alert, device or incident again with the clicker's token (or takes
 * what they read of it in the last minutes), and investigates the entity only when that source has it; a value
 * the source does not have is refused, recorded in the audit trail, and nothing is read about it.
 */
export async function investigateFromCard(
  ctx: CommandContext,
  audit: AuditSink | undefined,
  data: EntityInvestigateData,
): Promise<Reply> {
  const entities = await sourceEntities(ctx, data);
  if (entities.kind === 'invisible') return entities.reply;
  const entity = entities.list.find((e) => e.kind === data.kind && e.value === data.entity);
  if (!entity) {
    await audit?.append({
      type: 'request.refused',
      tenantId: ctx.tenant.id,
      actor: { aadObjectId: ctx.user.aadObjectId, userPrincipalName: ctx.user.userPrincipalName },
      detail: {
        reason: 'entityNotInSource',
        verb: 'entity.investigate',
        kind: data.kind,
        sourceKind: data.source.kind,
        sourceId: data.source.id,
      },
    });
    return { kind: 'text', text: ctx.i18n.t('investigation.notInSource', { source: data.source.kind }) };
  }
  return enrichmentReply(ctx, entity);
}

type SourceEntities = { kind: 'visible'; list: InvestigableEntity[] } | { kind: 'invisible'; reply: Reply };

/**
 * The entities of the card a button came from, as the clicker may see them now. Read through the same per-viewer
 * cache as the sections, so a second click within minutes asks Defender nothing.
 */
async function sourceEntities(ctx: CommandContext, data: EntityInvestigateData): Promise<SourceEntities> {
  const cache = enrichmentCacheOf(ctx.defender);
  const { source } = data;
  // A source that cannot be read is the whole answer (the turn's own error message), not a section of one.
  const remember = <T>(key: string, read: () => Promise<T>): Promise<T> =>
    cachedForViewer(ctx, cache, `source:${source.kind}:${source.id}:${key}`, read);
  switch (source.kind) {
    case 'alert': {
      const alert = await remember('alert', () => ctx.defender.getAlert(ctx.auth, source.id));
      return { kind: 'visible', list: entitiesOfAlert(alert) };
    }
    case 'device': {
      if (data.kind !== 'user') {
        const machine = await remember('machine', () => ctx.defender.getMachine(ctx.auth, source.id));
        return { kind: 'visible', list: entitiesOfDevice(machine) };
      }
      // A logged-on user's button (on the device's investigation card): the device's users as Defender lists them
      // now (404 for a device the person may not see), read under the same key as that card's section.
      const users = await cachedForViewer(ctx, cache, logonUsersKey(source.id), () =>
        ctx.defender.entities.listLogonUsers(ctx.auth, source.id, LIST_READ_MAX),
      );
      const logonUsers = users.items.flatMap((u): InvestigableEntity[] => {
        const value = toEntityValue('user', u.accountName);
        return value === null ? [] : [{ kind: 'user', value, label: u.accountName }];
      });
      return { kind: 'visible', list: logonUsers };
    }
    case 'incident': {
      let incident: Incident;
      try {
        incident = await remember('incident', () => ctx.graph.getIncident(ctx.graphAuth, source.id));
      } catch (err) {
        if (isAppError(err, 'notFound')) return { kind: 'invisible', reply: incidentNotVisible(source.id, ctx.i18n) };
        throw err;
      }
      return { kind: 'visible', list: entitiesOfIncident(incident.alerts ?? []) };
    }
  }
}
