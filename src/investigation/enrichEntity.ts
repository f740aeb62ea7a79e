import type { CommandContext } from '../commands/commandContext';
import type { FileStats, LogonUser, OrgStats } from '../defender/entityClient';
import type { Alert, Machine } from '../defender/schemas';
import type { AppErrorCode } from '../errors';
import { AppError, isAppError } from '../errors';
import { toFileHash } from '../defender/entityValues';
import type { ListResult } from '../http/restApi';
import type { EnrichmentCache } from './enrichmentCache';
import { enrichmentCacheOf } from './enrichmentCache';
import type { InvestigableEntity } from './investigableEntities';

/** Devices, alerts or users read per list section; the card shows the first few and says how many more. */
export const LIST_READ_MAX = 50;

/** Why one section could not be shown; the other sections still are. */
export type SectionProblem = 'forbidden' | 'notFound' | 'rateLimited' | 'timeout' | 'unavailable';

/** One section of an enrichment card: what its endpoint answered, or why it did not. */
export type Section<T> = { ok: true; value: T } | { ok: false; problem: SectionProblem };

/** Everything an enrichment card shows, each section from its own documented endpoint. */
export type Enrichment =
  | {
      kind: 'file';
      entity: InvestigableEntity;
      stats: Section<FileStats>;
      devices: Section<ListResult<Machine>>;
      alerts: Section<ListResult<Alert>>;
    }
  | { kind: 'ip'; entity: InvestigableEntity; stats: Section<OrgStats> }
  | {
      kind: 'domain';
      entity: InvestigableEntity;
      stats: Section<OrgStats>;
      devices: Section<ListResult<Machine>>;
      alerts: Section<ListResult<Alert>>;
    }
  | {
      kind: 'user';
      entity: InvestigableEntity;
      devices: Section<ListResult<Machine>>;
      alerts: Section<ListResult<Alert>>;
    }
  | {
      kind: 'device';
      entity: InvestigableEntity;
      users: Section<ListResult<LogonUser>>;
      alerts: Section<ListResult<Alert>>;
    };

/** AppError codes a section absorbs, and how the card words them. */
const SECTION_PROBLEMS: Partial<Record<AppErrorCode, SectionProblem>> = {
  forbidden: 'forbidden',
  notFound: 'notFound',
  rateLimited: 'rateLimited',
  timeout: 'timeout',
  upstreamUnavailable: 'unavailable',
  unexpectedResponse: 'unavailable',
  badRequest: 'unavailable',
};

/**
 * The failures a section absorbs (Defender refused, throttled, timed out or answered oddly for this one endpoint).
 * Anything else — sign-in needed, consent missing, a bug — is the whole turn's and is thrown on.
 */
function sectionProblem(err: unknown): SectionProblem | undefined {
  if (!isAppError(err)) return undefined;
  return SECTION_PROBLEMS[err.code];
}

/** The viewer a cache entry belongs to: the tenant read and the person reading it. */
function viewerOf(ctx: CommandContext) {
  return { tenantId: ctx.tenant.id, aadObjectId: ctx.user.aadObjectId };
}

/** One read for the viewer, answered from their cache when they asked within the last minutes; failures are thrown. */
export async function cachedForViewer<T>(
  ctx: CommandContext,
  cache: EnrichmentCache,
  key: string,
  read: () => Promise<T>,
): Promise<T> {
  const hit = cache.get<T>(viewerOf(ctx), key, ctx.now.getTime());
  if (hit !== undefined) return hit;
  const value = await read();
  cache.set(viewerOf(ctx), key, value, ctx.now.getTime());
  return value;
}

/** Refusals that say something about the viewer or the entity, kept like answers; the others are asked again. */
const LASTING_PROBLEMS: ReadonlySet<SectionProblem> = new Set(['forbidden', 'notFound']);

/**
 * One section's read through the viewer's cache. Answers are kept, and so are Defender's refusals of this viewer
 * (forbidden) and of this entity (not found); a throttled, slow or failed section is asked again on the next click.
 */
export async function readForViewer<T>(
  ctx: CommandContext,
  cache: EnrichmentCache,
  key: string,
  read: () => Promise<T>,
): Promise<Section<T>> {
  const refused = cache.get<SectionProblem>(viewerOf(ctx), `${key}:refused`, ctx.now.getTime());
  if (refused !== undefined) return { ok: false, problem: refused };
  try {
    return { ok: true, value: await cachedForViewer(ctx, cache, key, read) };
  } catch (err) {
    const problem = sectionProblem(err);
    if (problem === undefined) throw err;
    if (LASTING_PROBLEMS.has(problem)) cache.set(viewerOf(ctx), `${key}:refused`, problem, ctx.now.getTime());
    return { ok: false, problem };
  }
}

/** The cache key of a device's logged-on users: its card's section and its users' buttons read them once. */
export function logonUsersKey(machineId: string): string {
  return `device:${machineId}:users`;
}

/**
 * Reads what Defender knows about one entity with the viewer's token, each section from its documented endpoint, in
 * parallel: a file's and a domain's prevalence, devices and alerts; an IP address's prevalence; a user's devices and
 * alerts; a device's logged-on users and alerts. At most one call per section, none for a section the viewer read
 * in the last minutes.
 */
export async function enrichEntity(ctx: CommandContext, entity: InvestigableEntity): Promise<Enrichment> {
  const cache = enrichmentCacheOf(ctx.defender);
  const client = ctx.defender.entities;
  const read = <T>(section: string, run: () => Promise<T>) =>
    readForViewer(ctx, cache, `${entity.kind}:${entity.value}:${section}`, run);
  const { value } = entity;
  /*
   * A file's related devices and alerts take its SHA-1 only (get-file-related-machines.md): one known by its SHA-256
   * alone is looked up once (its profile names the SHA-1), then read like any other.
   */
  let sha1: Promise<Section<string>> | undefined;
  const fileSha1 = (): Promise<Section<string>> =>
    (sha1 ??=
      value.length === 40
        ? Promise.resolve({ ok: true, value })
        : read('sha1', async () => {
            const profile = await client.getFileProfile(ctx.auth, value);
            const found = profile.sha1 === null ? null : toFileHash(profile.sha1);
            if (found === null || found.length !== 40) throw new AppError('notFound', 'the file profile has no SHA-1');
            return found;
          }));
  /** A related list read by the entity's key, or (a file) by its SHA-1 once that is known. */
  const relatedBy = async <T>(
    key: (() => Promise<Section<string>>) | undefined,
    section: string,
    run: (key: string) => Promise<T>,
  ): Promise<Section<T>> => {
    if (!key) return read(section, () => run(value));
    const resolved = await key();
    return resolved.ok ? read(section, () => run(resolved.value)) : resolved;
  };
  switch (entity.kind) {
    case 'file':
    case 'domain': {
      const kind = entity.kind;
      const [stats, devices, alerts] = await Promise.all([
        read('stats', () =>
          kind === 'file' ? client.getFileStats(ctx.auth, value) : client.getDomainStats(ctx.auth, value),
        ),
        relatedBy(kind === 'file' ? fileSha1 : undefined, 'devices', (key) =>
          client.listEntityMachines(ctx.auth, kind, key, LIST_READ_MAX),
        ),
        relatedBy(kind === 'file' ? fileSha1 : undefined, 'alerts', (key) =>
          client.listEntityAlerts(ctx.auth, kind, key, LIST_READ_MAX),
        ),
      ]);
      return kind === 'file'
        ? { kind, entity, stats: stats as Section<FileStats>, devices, alerts }
        : { kind, entity, stats, devices, alerts };
    }
    case 'ip':
      return { kind: 'ip', entity, stats: await read('stats', () => client.getIpStats(ctx.auth, value)) };
    case 'user': {
      const [devices, alerts] = await Promise.all([
        read('devices', () => client.listEntityMachines(ctx.auth, 'user', value, LIST_READ_MAX)),
        read('alerts', () => client.listEntityAlerts(ctx.auth, 'user', value, LIST_READ_MAX)),
      ]);
      return { kind: 'user', entity, devices, alerts };
    }
    case 'device': {
      const [users, alerts] = await Promise.all([
        readForViewer(ctx, cache, logonUsersKey(value), () => client.listLogonUsers(ctx.auth, value, LIST_READ_MAX)),
        read('alerts', () => ctx.defender.listMachineAlerts(ctx.auth, value, { max: LIST_READ_MAX })),
      ]);
      return { kind: 'device', entity, users, alerts };
    }
  }
}
