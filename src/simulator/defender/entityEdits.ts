import { randomInt, randomUUID } from 'node:crypto';
import { alertSchema, machineSchema } from '../seed/seedSchema';
import type { AlertEntity, EvidenceEntity, MachineEntity } from '../seed/seedSchema';
import { toODataTimestamp } from './odataDateTime';
import { SimInputError } from './simInputError';
import type { TenantStore } from './tenantStore';

/*
 * Control-plane edits (`POST /_sim/alerts`, `PATCH /_sim/alerts/{id}`, `PATCH /_sim/machines/{id}`): anything
 * the seed schema allows may be set, and the result is validated with the same schema the seed loader uses,
 * so an injected alert is indistinguishable from a seeded one.
 */

/** .NET ticks at the Unix epoch; MDE alert ids start with `da` + the creation time in ticks. */
const EPOCH_TICKS = 621_355_968_000_000_000n;

/** A new alert id in the documented shape, e.g. `da637472900382838869_1364969609`. */
export function newAlertId(now: Date): string {
  const ticks = BigInt(now.getTime()) * 10_000n + EPOCH_TICKS + BigInt(randomInt(0, 10_000));
  return `da${ticks}_${randomInt(1_000_000_000, 2_147_483_647)}`;
}

function asObject(input: unknown, what: string): Record<string, unknown> {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new SimInputError(`${what} must be a JSON object`);
  }
  return input as Record<string, unknown>;
}

function evidenceDefaults(now: string): EvidenceEntity {
  return {
    entityType: 'File',
    evidenceCreationTime: now,
    sha1: null,
    sha256: null,
    fileName: null,
    filePath: null,
    processId: null,
    processCommandLine: null,
    processCreationTime: null,
    parentProcessId: null,
    parentProcessCreationTime: null,
    parentProcessFileName: null,
    parentProcessFilePath: null,
    ipAddress: null,
    url: null,
    registryKey: null,
    registryHive: null,
    registryValueType: null,
    registryValue: null,
    accountName: null,
    domainName: null,
    userSid: null,
    aadUserId: null,
    userPrincipalName: null,
    detectionStatus: 'Detected',
  };
}

function checkMachineRef(store: TenantStore, alert: AlertEntity): void {
  if (alert.machineId !== null && store.machine(alert.machineId) === undefined) {
    throw new SimInputError('alert references an unknown machine', [
      { path: 'machineId', message: `no machine with id ${alert.machineId} in tenant ${store.tenantId}` },
    ]);
  }
}

/**
 * Completes a partial alert with realistic defaults (new id, timestamps = now, status New, device fields
 * copied from `machineId`'s machine, partial evidence items completed with nulls) and validates it.
 */
export function buildInjectedAlert(input: unknown, store: TenantStore, now: Date): AlertEntity {
  const partial = asObject(input, 'the alert');
  const timestamp = toODataTimestamp(now);
  const machine = typeof partial.machineId === 'string' ? store.machine(partial.machineId) : undefined;
  const candidate: Record<string, unknown> = {
    id: newAlertId(now),
    incidentId: null,
    investigationId: null,
    assignedTo: null,
    severity: 'Medium',
    status: 'New',
    classification: null,
    determination: null,
    investigationState: 'Queued',
    detectionSource: 'WindowsDefenderAtp',
    detectorId: randomUUID(),
    category: 'SuspiciousActivity',
    threatFamilyName: null,
    title: 'Simulated alert',
    description: '',
    alertCreationTime: timestamp,
    firstEventTime: timestamp,
    lastEventTime: timestamp,
    lastUpdateTime: timestamp,
    resolvedTime: null,
    machineId: machine?.id ?? null,
    computerDnsName: machine?.computerDnsName ?? null,
    rbacGroupName: machine?.rbacGroupName ?? null,
    aadTenantId: store.tenantId,
    threatName: null,
    mitreTechniques: [],
    relatedUser: null,
    comments: [],
    evidence: [],
    ...partial,
  };
  if (Array.isArray(partial.evidence)) {
    candidate.evidence = partial.evidence.map((item: unknown) =>
      typeof item === 'object' && item !== null && !Array.isArray(item)
        ? { ...evidenceDefaults(timestamp), ...item }
        : item,
    );
  }
  const parsed = alertSchema.safeParse(candidate);
  if (!parsed.success) throw SimInputError.fromZod('the alert is invalid', parsed.error);
  const alert = parsed.data;
  checkMachineRef(store, alert);
  if (store.alert(alert.id) !== undefined) {
    throw new SimInputError('duplicate alert id', [{ path: 'id', message: `alert ${alert.id} already exists` }], 409);
  }
  return alert;
}

/** Merges `input` into the alert and validates; lastUpdateTime moves to now unless the edit sets it. */
export function applyAlertEdit(existing: AlertEntity, input: unknown, store: TenantStore, now: Date): AlertEntity {
  const edit = asObject(input, 'the alert edit');
  if ('id' in edit && edit.id !== existing.id) {
    throw new SimInputError('the alert id cannot be changed', [{ path: 'id', message: 'remove id from the edit' }]);
  }
  const parsed = alertSchema.safeParse({ ...existing, lastUpdateTime: toODataTimestamp(now), ...edit });
  if (!parsed.success) throw SimInputError.fromZod('the alert edit is invalid', parsed.error);
  checkMachineRef(store, parsed.data);
  return parsed.data;
}

/** Merges `input` into the machine and validates (e.g. set healthStatus Inactive to rehearse TimeOut). */
export function applyMachineEdit(existing: MachineEntity, input: unknown): MachineEntity {
  const edit = asObject(input, 'the machine edit');
  if ('id' in edit && edit.id !== existing.id) {
    throw new SimInputError('the machine id cannot be changed', [{ path: 'id', message: 'remove id from the edit' }]);
  }
  const parsed = machineSchema.safeParse({ ...existing, ...edit });
  if (!parsed.success) throw SimInputError.fromZod('the machine edit is invalid', parsed.error);
  return parsed.data;
}
