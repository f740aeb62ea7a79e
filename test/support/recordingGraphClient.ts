import { translatorFor } from '../../src/i18n/translator';
import type { CommandContext } from '../../src/commands/commandContext';
import { AppError } from '../../src/errors';
import type { GraphSecurityClient, IncidentUpdate } from '../../src/graph/graphSecurityClient';
import type { GraphComment, Incident } from '../../src/graph/graphSchemas';

/** When the double's comments are written. */
const SEEN = '2026-12-01T10:00:00.0000000Z';

/** A Graph security client holding one incident in memory and recording every call made to it. */
export class RecordingGraphClient implements GraphSecurityClient {
  readonly calls: string[] = [];
  constructor(public incident: Incident) {}
  listIncidents(): never {
    throw new Error('not used');
  }
  listAlerts(): never {
    throw new Error('not used');
  }
  getAlert(): never {
    throw new Error('not used');
  }
  getIncident(_auth: unknown, id: string): Promise<Incident> {
    this.calls.push(`GET ${id}`);
    if (id !== this.incident.id) return Promise.reject(new AppError('notFound', 'no such incident'));
    return Promise.resolve(structuredClone(this.incident));
  }
  updateIncident(_auth: unknown, id: string, update: IncidentUpdate): Promise<Incident> {
    this.calls.push(`PATCH ${id}`);
    this.incident = { ...this.incident, ...update, lastUpdateDateTime: '2026-12-01T11:00:00Z' };
    const { alerts: _alerts, ...withoutAlerts } = this.incident;
    return Promise.resolve(withoutAlerts);
  }
  addIncidentComment(_auth: unknown, id: string, comment: string): Promise<GraphComment[]> {
    this.calls.push(`POST ${id}`);
    this.incident.comments.push({ comment, createdByDisplayName: 'adelev@contoso.com', createdDateTime: SEEN });
    return Promise.resolve(this.incident.comments);
  }
}

/** The context of Adele Vance (contoso) as triage sees it, calling Graph through `graph`. */
export function triageContext(graph: GraphSecurityClient): CommandContext {
  const auth = { kind: 'delegated' as const, tenantId: 't', queueKey: 'q', getAccessToken: () => Promise.resolve('x') };
  return {
    user: {
      tenantId: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d',
      aadObjectId: '11111111-1111-4111-8111-111111111111',
      userPrincipalName: 'adelev@contoso.com',
      displayName: 'Adele Vance',
      appRoles: [],
    },
    tenant: { id: '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d' },
    i18n: translatorFor('en'),
    auth,
    graphAuth: auth,
    defender: undefined as never,
    graph,
    now: new Date('2026-12-01T12:00:00Z'),
  };
}
