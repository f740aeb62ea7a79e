import assert from 'node:assert/strict';
import type { HttpClient } from '../../../src/http/httpClient';
import { graphAlertSchema, graphIncidentSchema, machineSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';
import { machine } from '../defender/testSeeds';
import { TENANT_A } from '../entra/entraTestSeeds';

/** The MDE machine the endpoint alert's deviceEvidence points at. */
export const GRAPH_MACHINE_ID = 'feedbeef00000000000000000000000000000001';

/** Incident ids of the Graph test seed, created oldest first. */
export const INCIDENT_IDS = ['101', '102', '103', '104', '105'] as const;

const SEVERITIES = ['high', 'medium', 'low', 'high', 'informational'] as const;

/**
 * Adds five incidents (the first one multi-stage, with three alerts from three sources) to `seed`, and lets its
 * users triage them (Defender role permission Alerts investigation, needed to change incidents).
 */
export function addGraphSection(seed: Seed): Seed {
  for (const user of seed.users) {
    if (!user.defenderPermissions.includes('AlertsInvestigation')) user.defenderPermissions.push('AlertsInvestigation');
  }
  seed.machines.push(
    machineSchema.parse(machine({ id: GRAPH_MACHINE_ID, computerDnsName: 'ws-graph.contoso.example' })),
  );
  seed.incidents = INCIDENT_IDS.map((id, index) =>
    graphIncidentSchema.parse({
      id,
      displayName: `Incident ${id}`,
      severity: SEVERITIES[index],
      status: index === 2 ? 'resolved' : 'active',
      assignedTo: index === 1 ? 'alice@contoso.example' : null,
      createdDateTime: `2026-11-0${index + 1}T10:00:00Z`,
      lastUpdateDateTime: `2026-11-0${index + 1}T12:00:00Z`,
    }),
  );
  const alert = (id: string, serviceSource: string, evidence: unknown[] = []) =>
    graphAlertSchema.parse({
      id,
      incidentId: '101',
      status: 'new',
      severity: 'high',
      serviceSource,
      detectionSource: 'automatedInvestigation',
      title: `Alert ${id}`,
      createdDateTime: '2026-11-01T10:00:00Z',
      lastUpdateDateTime: '2026-11-01T10:05:00Z',
      evidence,
    });
  seed.alertsV2 = [
    alert('fa-mail-1', 'microsoftDefenderForOffice365'),
    alert('ad-ident-1', 'microsoftDefenderForIdentity'),
    alert('da-endpoint-1', 'microsoftDefenderForEndpoint', [
      { '@odata.type': '#microsoft.graph.security.deviceEvidence', mdeDeviceId: GRAPH_MACHINE_ID },
    ]),
  ];
  return seed;
}

/** A person's Graph access token in tenant A, obtained on behalf of them by `app` as the bot does; asserts a 200. */
export async function graphTokenOnBehalfOf(
  http: HttpClient,
  simulator: SimulatorServer,
  app: { clientId: string; clientSecret: string },
  aadObjectId: string,
  scope: string,
): Promise<string> {
  const assertion = simulator.entra.mintUserAssertion({
    tenantId: TENANT_A,
    aadObjectId,
    audience: app.clientId,
  }).token;
  const response = await http.request({
    method: 'POST',
    url: `${simulator.url}/${TENANT_A}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      assertion,
      scope,
    }).toString(),
  });
  assert.equal(response.status, 200, response.body);
  return (JSON.parse(response.body) as { access_token: string }).access_token;
}
