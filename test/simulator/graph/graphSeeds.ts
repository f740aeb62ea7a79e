import { graphAlertSchema, graphIncidentSchema, machineSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import { machine } from '../defender/testSeeds';

/** The MDE machine the endpoint alert's deviceEvidence points at. */
export const GRAPH_MACHINE_ID = 'feedbeef00000000000000000000000000000001';

/** Incident ids of the Graph test seed, created oldest first. */
export const INCIDENT_IDS = ['101', '102', '103', '104', '105'] as const;

const SEVERITIES = ['high', 'medium', 'low', 'high', 'informational'] as const;

/** Adds five incidents (the first one multi-stage, with three alerts from three sources) to `seed`. */
export function addGraphSection(seed: Seed): Seed {
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
