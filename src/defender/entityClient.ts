import { z } from 'zod';
import { AppError } from '../errors';
import type { ApiAuth, ListResult, RestApi } from '../http/restApi';
import { collectionSchema } from '../http/restApi';
import { nullableString } from '../http/tolerantFields';
import type { Alert, Machine } from './schemas';
import { alertSchema, machineSchema } from './schemas';
import type { EntityKind } from './entityValues';
import { toEntityValue } from './entityValues';

/*
 * Defender for Endpoint's entity APIs (file, IP, domain and user statistics, related machines and alerts, a
 * device's logged-on users), read with the viewer's delegated token so Defender applies their role and device
 * groups. Every path segment is checked by src/defender/entityValues.ts before the call; a value that is not a
 * hash, an address, a domain or a user name never reaches Defender.
 */

const nullableCount = z
  .number()
  .nullish()
  .transform((v) => v ?? null);

/** `GET /api/files/{id}`: the file profile (learn.microsoft.com/defender-endpoint/api/files). */
export const fileProfileSchema = z.object({
  sha1: nullableString,
  sha256: nullableString,
  globalPrevalence: nullableCount,
  globalFirstObserved: nullableString,
  globalLastObserved: nullableString,
  size: nullableCount,
  fileType: nullableString,
  filePublisher: nullableString,
  fileProductName: nullableString,
  signer: nullableString,
  isValidCertificate: z
    .boolean()
    .nullish()
    .transform((v) => v ?? null),
  determinationType: nullableString,
  determinationValue: nullableString,
});
/** A file profile as the bot uses it. */
export type FileProfile = z.infer<typeof fileProfileSchema>;

/**
 * `GET /api/files/{id}/stats` (InOrgFileStats). The documented example spells the worldwide count
 * `globallyPrevalence`; the resource type says `globalPrevalence`: both are read.
 */
export const fileStatsSchema = z
  .object({
    sha1: nullableString,
    organizationPrevalence: nullableCount,
    orgFirstSeen: nullableString,
    orgLastSeen: nullableString,
    globalPrevalence: nullableCount,
    globallyPrevalence: nullableCount,
    globalFirstObserved: nullableString,
    globalLastObserved: nullableString,
    topFileNames: z
      .array(z.string())
      .nullish()
      .transform((v) => v ?? []),
  })
  .transform(({ globallyPrevalence, ...stats }) => ({
    ...stats,
    globalPrevalence: stats.globalPrevalence ?? globallyPrevalence,
  }));
/** File statistics as the bot uses them. */
export type FileStats = z.infer<typeof fileStatsSchema>;

/** `GET /api/ips/{ip}/stats` and `GET /api/domains/{domain}/stats` (InOrgIPStats, DomainStats): prevalence in the org. */
export const orgStatsSchema = z.object({
  organizationPrevalence: nullableCount,
  orgFirstSeen: nullableString,
  orgLastSeen: nullableString,
});
/** Organisation prevalence of an IP address or a domain. */
export type OrgStats = z.infer<typeof orgStatsSchema>;

/** One user of `GET /api/machines/{id}/logonusers` (the user resource type). */
export const logonUserSchema = z.object({
  id: nullableString,
  accountName: z.string().min(1),
  accountDomain: nullableString,
  firstSeen: nullableString,
  lastSeen: nullableString,
  logonTypes: nullableString,
  isDomainAdmin: z
    .boolean()
    .nullish()
    .transform((v) => v ?? null),
});
/** A user who logged on to a device. */
export type LogonUser = z.infer<typeof logonUserSchema>;

/** The entity operations the investigation cards use; tests may fake it. */
export interface EntityClient {
  /** The file profile (worldwide prevalence, signer, determination); AppError `notFound` for an unknown file. */
  getFileProfile(auth: ApiAuth, hash: string): Promise<FileProfile>;
  /** Prevalence of a file in the organisation and worldwide, first/last seen. */
  getFileStats(auth: ApiAuth, hash: string): Promise<FileStats>;
  /** Prevalence of an IP address in the organisation (devices that connected to it), first/last seen. */
  getIpStats(auth: ApiAuth, ip: string): Promise<OrgStats>;
  /** Prevalence of a domain in the organisation, first/last seen. */
  getDomainStats(auth: ApiAuth, domain: string): Promise<OrgStats>;
  /** Devices related to a file, a domain or a user (only those the viewer's device groups show), up to `max`. */
  listEntityMachines(
    auth: ApiAuth,
    kind: Exclude<EntityKind, 'ip'>,
    value: string,
    max: number,
  ): Promise<ListResult<Machine>>;
  /** Alerts related to a file, a domain or a user, up to `max`. */
  listEntityAlerts(
    auth: ApiAuth,
    kind: Exclude<EntityKind, 'ip'>,
    value: string,
    max: number,
  ): Promise<ListResult<Alert>>;
  /** Users who logged on to a device, up to `max`. */
  listLogonUsers(auth: ApiAuth, machineId: string, max: number): Promise<ListResult<LogonUser>>;
}

const MACHINE_ID = /^[0-9a-f]{40}$/i;
const COLLECTION_ROOT: Record<Exclude<EntityKind, 'ip'>, string> = {
  file: '/api/files',
  domain: '/api/domains',
  user: '/api/users',
};
const STATS_ROOT: Record<EntityKind, string> = { ...COLLECTION_ROOT, ip: '/api/ips' };

/**
 * The path of an entity resource, from a value that must already be canonical: a value that is not (a caller's
 * bug or a forged input) is refused before any call.
 */
export function entityPath(kind: EntityKind, value: string, tail: '' | '/stats' | '/machines' | '/alerts'): string {
  if (toEntityValue(kind, value) !== value)
    throw new AppError('invalidInput', `not a canonical ${kind} value`, { status: 400 });
  return `${STATS_ROOT[kind]}/${encodeURIComponent(value)}${tail}`;
}

/**
 * The entity APIs over the Defender client's shared REST caller (its token per call, tenant quota, timeouts and
 * bounded retries for reads). These endpoints document no `$top`, so one page is read and cut to `max`.
 */
export class HttpEntityClient implements EntityClient {
  constructor(private readonly api: RestApi) {}

  getFileProfile(auth: ApiAuth, hash: string): Promise<FileProfile> {
    return this.api.get(auth, entityPath('file', hash, ''), fileProfileSchema);
  }

  getFileStats(auth: ApiAuth, hash: string): Promise<FileStats> {
    return this.api.get(auth, entityPath('file', hash, '/stats'), fileStatsSchema);
  }

  getIpStats(auth: ApiAuth, ip: string): Promise<OrgStats> {
    return this.api.get(auth, entityPath('ip', ip, '/stats'), orgStatsSchema);
  }

  getDomainStats(auth: ApiAuth, domain: string): Promise<OrgStats> {
    return this.api.get(auth, entityPath('domain', domain, '/stats'), orgStatsSchema);
  }

  listEntityMachines(
    auth: ApiAuth,
    kind: Exclude<EntityKind, 'ip'>,
    value: string,
    max: number,
  ): Promise<ListResult<Machine>> {
    return this.firstPage(auth, entityPath(kind, value, '/machines'), machineSchema, max);
  }

  listEntityAlerts(
    auth: ApiAuth,
    kind: Exclude<EntityKind, 'ip'>,
    value: string,
    max: number,
  ): Promise<ListResult<Alert>> {
    return this.firstPage(auth, entityPath(kind, value, '/alerts'), alertSchema, max);
  }

  listLogonUsers(auth: ApiAuth, machineId: string, max: number): Promise<ListResult<LogonUser>> {
    if (!MACHINE_ID.test(machineId)) throw new AppError('invalidInput', 'not a machine id', { status: 400 });
    return this.firstPage(auth, `/api/machines/${machineId.toLowerCase()}/logonusers`, logonUserSchema, max);
  }

  private async firstPage<T extends z.ZodType>(
    auth: ApiAuth,
    path: string,
    item: T,
    max: number,
  ): Promise<ListResult<z.infer<T>>> {
    const page = await this.api.get(auth, path, collectionSchema(item));
    return {
      items: page.value.slice(0, max),
      truncated: page.value.length > max || page['@odata.nextLink'] !== undefined,
    };
  }
}
