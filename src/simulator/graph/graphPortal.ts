import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SimInputError } from '../defender/simInputError';
import { GRAPH_SEVERITIES, graphAlertSchema, graphIncidentSchema } from '../seed/seedSchema';
import type { GraphAlertEntity, GraphIncidentEntity } from '../seed/seedSchema';
import { determinationProblem, incidentPatchSchema } from './graphFields';
import type { GraphTenant } from './graphTenant';
import { severityRank } from './graphTenant';

/** An incident with its alerts, as the control plane answers. */
export type IncidentWithAlerts = GraphIncidentEntity & { alerts: GraphAlertEntity[] };

/**
 * Changes made "in the Defender portal", behind the bot's back: the control plane (`/_sim/incidents...`,
 * `/_sim/alerts_v2`) and tests call these. Input is validated like the seed; failures are SimInputError.
 * `tenantId` defaults to the first seed's tenant. Results are copies.
 */
export interface GraphPortal {
  /** Every incident of the tenant, with its alerts. */
  incidents(tenantId?: string): IncidentWithAlerts[];
  /** Every alerts_v2 item of the tenant. */
  alerts(tenantId?: string): GraphAlertEntity[];
  /** Someone edits the incident in the portal (status, assignedTo, classification, ...); bumps lastUpdateDateTime. */
  updateIncident(id: string, edit: unknown, tenantId?: string): IncidentWithAlerts;
  /** The incident grows: a new alert joins it, raising its severity if higher and bumping lastUpdateDateTime. */
  addAlert(incidentId: string, alert: unknown, tenantId?: string): GraphAlertEntity;
  /** A new incident appears, with optional alerts (`alerts: [...]`). */
  createIncident(incident: unknown, tenantId?: string): IncidentWithAlerts;
  /** An alert that belongs to no incident (e.g. an identity alert not yet correlated). */
  addStandaloneAlert(alert: unknown, tenantId?: string): GraphAlertEntity;
}

/** What the portal may change besides what the API's PATCH may: the severity too. */
const incidentEditSchema = incidentPatchSchema.extend({ severity: z.enum(GRAPH_SEVERITIES).optional() });

const newIncidentSchema = z.looseObject({ alerts: z.array(z.unknown()).default([]) });

function parse<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const result = schema.safeParse(input);
  if (!result.success) throw SimInputError.fromZod(`the ${what} is invalid`, result.error);
  return result.data;
}

function checkPair(classification: string, determination: string): void {
  const problem = determinationProblem(classification, determination);
  if (problem !== undefined) throw new SimInputError(problem, [{ path: 'determination', message: problem }]);
}

/** The portal over the Graph tenants; `tenantOf` resolves `?tenantId=` (SimInputError 404 when unknown). */
export function createGraphPortal(tenantOf: (tenantId?: string) => GraphTenant, now: () => Date): GraphPortal {
  const withAlerts = (tenant: GraphTenant, incident: GraphIncidentEntity): IncidentWithAlerts =>
    structuredClone({ ...incident, alerts: tenant.alerts.filter((a) => a.incidentId === incident.id) });

  const findIncident = (tenant: GraphTenant, id: string): GraphIncidentEntity => {
    const incident = tenant.incidents.find((i) => i.id === id);
    if (incident === undefined) throw new SimInputError(`no incident with id '${id}'`, [], 404);
    return incident;
  };

  /** Validates an alert with the defaults filled in; device evidence must name a seeded machine. */
  const buildAlert = (tenant: GraphTenant, input: unknown, incidentId: string | null): GraphAlertEntity => {
    const at = now().toISOString();
    const given = typeof input === 'object' && input !== null && !Array.isArray(input) ? input : {};
    const alert = parse(
      graphAlertSchema,
      { id: `sim-${randomUUID()}`, status: 'new', createdDateTime: at, lastUpdateDateTime: at, ...given, incidentId },
      'alert',
    );
    if (tenant.alerts.some((a) => a.id === alert.id)) {
      throw new SimInputError(`an alert with id '${alert.id}' already exists`, [], 409);
    }
    alert.evidence.forEach((item, index) => {
      if (item.mdeDeviceId !== undefined && !tenant.machineGroups.has(item.mdeDeviceId.toLowerCase())) {
        throw new SimInputError('the alert is invalid', [
          { path: `evidence.${index}.mdeDeviceId`, message: `no machine with id ${item.mdeDeviceId}` },
        ]);
      }
    });
    return alert;
  };

  const joinIncident = (tenant: GraphTenant, incident: GraphIncidentEntity, input: unknown): GraphAlertEntity => {
    const alert = buildAlert(tenant, input, incident.id);
    tenant.alerts.push(alert);
    if (severityRank(alert.severity) > severityRank(incident.severity)) incident.severity = alert.severity;
    incident.lastUpdateDateTime = now().toISOString();
    return alert;
  };

  return {
    incidents: (tenantId) => {
      const tenant = tenantOf(tenantId);
      return tenant.incidents.map((i) => withAlerts(tenant, i));
    },
    alerts: (tenantId) => structuredClone(tenantOf(tenantId).alerts),
    updateIncident: (id, edit, tenantId) => {
      const tenant = tenantOf(tenantId);
      const incident = findIncident(tenant, id);
      const change = parse(incidentEditSchema, edit, 'incident change');
      const classification = change.classification ?? incident.classification;
      const determination = change.determination ?? incident.determination;
      if (change.classification !== undefined || change.determination !== undefined) {
        checkPair(classification, determination);
      }
      Object.assign(incident, change, { classification, determination });
      incident.lastUpdateDateTime = now().toISOString();
      return withAlerts(tenant, incident);
    },
    addAlert: (incidentId, alert, tenantId) => {
      const tenant = tenantOf(tenantId);
      return structuredClone(joinIncident(tenant, findIncident(tenant, incidentId), alert));
    },
    createIncident: (input, tenantId) => {
      const tenant = tenantOf(tenantId);
      const { alerts, ...fields } = parse(newIncidentSchema, input, 'incident');
      const at = now().toISOString();
      const nextId = Math.max(0, ...tenant.incidents.map((i) => Number(i.id)).filter(Number.isSafeInteger)) + 1;
      const incident = parse(
        graphIncidentSchema,
        { id: String(nextId), status: 'active', createdDateTime: at, lastUpdateDateTime: at, ...fields },
        'incident',
      );
      checkPair(incident.classification, incident.determination);
      if (tenant.incidents.some((i) => i.id === incident.id)) {
        throw new SimInputError(`an incident with id '${incident.id}' already exists`, [], 409);
      }
      // Every alert is checked before anything is stored, so a bad one leaves the tenant unchanged.
      alerts.forEach((alert) => buildAlert(tenant, alert, incident.id));
      tenant.incidents.push(incident);
      for (const alert of alerts) joinIncident(tenant, incident, alert);
      incident.lastUpdateDateTime = at;
      return withAlerts(tenant, incident);
    },
    addStandaloneAlert: (input, tenantId) => {
      const tenant = tenantOf(tenantId);
      const given = typeof input === 'object' && input !== null ? (input as { incidentId?: unknown }) : {};
      if (given.incidentId !== undefined && given.incidentId !== null) {
        throw new SimInputError('an alert without incident has no incidentId; use /_sim/incidents/{id}/alerts', [
          { path: 'incidentId', message: 'must be absent or null' },
        ]);
      }
      const alert = buildAlert(tenant, input, null);
      tenant.alerts.push(alert);
      return structuredClone(alert);
    },
  };
}
