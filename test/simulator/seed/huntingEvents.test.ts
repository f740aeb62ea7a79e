import assert from 'node:assert/strict';
import { huntingTablesFromSeed } from '../../../src/simulator/seed/huntingEvents';
import { HUNTING_TABLES } from '../../../src/simulator/seed/huntingSchema';
import type { HuntingRow } from '../../../src/simulator/seed/huntingSchema';
import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import { FIN_WS, WEB_SRV } from '../defender/testSeeds';
import { ALERT_1, ALERT_3, C2_DOMAIN, entitySeed, FILE_SHA1, FILE_SHA256 } from '../entities/entitySeed';

const NOW = Date.parse('2030-06-15T12:00:00.000Z');

/** entitySeed plus Graph alerts: one endpoint alert that MDE also has, one from Defender for Identity. */
function seedWithGraphAlerts(extra: Partial<Seed['events']> = {}): Seed {
  const base = entitySeed(NOW);
  const graphAlert = (id: string, serviceSource: string, evidence: unknown[]) => ({
    id,
    status: 'new',
    severity: 'medium',
    serviceSource,
    detectionSource: serviceSource,
    title: `Graph ${id}`,
    category: 'CredentialAccess',
    mitreTechniques: ['T1558.003'],
    createdDateTime: '2030-06-15T10:00:00Z',
    lastUpdateDateTime: '2030-06-15T10:00:00Z',
    evidence,
  });
  return seedSchema.parse({
    ...base,
    events: { ...base.events, ...extra },
    alertsV2: [
      graphAlert(ALERT_1, 'microsoftDefenderForEndpoint', []),
      graphAlert('mdi-1', 'microsoftDefenderForIdentity', [
        {
          '@odata.type': '#microsoft.graph.security.deviceEvidence',
          mdeDeviceId: WEB_SRV,
          deviceDnsName: 'srv-web-01',
        },
        {
          '@odata.type': '#microsoft.graph.security.userEvidence',
          userAccount: { accountName: 'jonis', domainName: 'CONTOSO', userPrincipalName: 'jonis@contoso.com' },
        },
      ]),
    ],
  });
}

const rowsOf = (seed: Seed, table: keyof typeof HUNTING_TABLES): readonly HuntingRow[] =>
  huntingTablesFromSeed(seed).get(table) ?? [];

describe('huntingTablesFromSeed', () => {
  it('has every known table, the seed events as written', () => {
    const seed = seedWithGraphAlerts();
    const tables = huntingTablesFromSeed(seed);
    assert.deepEqual([...tables.keys()].sort(), Object.keys(HUNTING_TABLES).sort());
    assert.deepEqual(tables.get('DeviceProcessEvents'), seed.events?.DeviceProcessEvents);
  });

  it('derives one DeviceInfo row per machine, with the users logged on interactively', () => {
    const seed = seedWithGraphAlerts();
    const rows = rowsOf(seed, 'DeviceInfo');
    assert.equal(rows.length, seed.machines.length);
    const finance = rows.find((r) => r.DeviceId === FIN_WS);
    assert.equal(finance?.DeviceName, 'ws-fin-042.corp.contoso.com');
    assert.equal(finance?.MachineGroup, 'Finance');
    assert.equal(finance?.PublicIP, '203.0.113.17');
    assert.equal(finance?.OSPlatform, 'Windows11');
    // adm-allan only logged on over the network, mallory failed: neither is logged on.
    assert.deepEqual(finance?.LoggedOnUsers, [{ UserName: 'jonis', DomainName: 'CONTOSO', Sid: '' }]);
  });

  it('derives AlertInfo from MDE alerts and Graph alerts MDE does not have, once each', () => {
    const seed = seedWithGraphAlerts();
    const rows = rowsOf(seed, 'AlertInfo');
    assert.equal(rows.length, seed.alerts.length + 1);
    assert.equal(rows.filter((r) => r.AlertId === ALERT_1).length, 1);
    const first = rows.find((r) => r.AlertId === ALERT_1);
    assert.equal(first?.ServiceSource, 'Microsoft Defender for Endpoint');
    assert.equal(first?.DetectionSource, 'EDR');
    assert.equal(first?.Severity, 'High');
    const identity = rows.find((r) => r.AlertId === 'mdi-1');
    assert.equal(identity?.ServiceSource, 'Microsoft Defender for Identity');
    assert.equal(identity?.AttackTechniques, '["T1558.003"]');
  });

  it("derives AlertEvidence: the alert's device, its files with their hashes, URLs and users", () => {
    const rows = rowsOf(seedWithGraphAlerts(), 'AlertEvidence');
    const ofAlert3 = rows.filter((r) => r.AlertId === ALERT_3);
    assert.deepEqual(
      ofAlert3.map((r) => [r.EntityType, r.DeviceId, r.SHA1 ?? null, r.SHA256 ?? null, r.RemoteUrl ?? null]),
      [
        ['Machine', WEB_SRV, null, null, null],
        ['File', WEB_SRV, FILE_SHA1, FILE_SHA256, null],
        ['Url', WEB_SRV, null, null, `https://${C2_DOMAIN}/gate.php`],
      ],
    );
    const identity = rows.filter((r) => r.AlertId === 'mdi-1');
    assert.deepEqual(
      identity.map((r) => [r.EntityType, r.DeviceId ?? null, r.AccountName ?? null, r.AccountUpn ?? null]),
      [
        ['Machine', WEB_SRV, null, null],
        ['User', null, 'jonis', 'jonis@contoso.com'],
      ],
    );
  });

  it('lets rows the seed writes itself win over derived ones', () => {
    const own = { Timestamp: '2030-06-15T09:00:00Z', AlertId: ALERT_1, Title: 'Written by hand', Severity: 'Low' };
    const device = { Timestamp: '2030-06-15T09:00:00Z', DeviceId: FIN_WS, DeviceName: 'renamed', OSPlatform: 'Linux' };
    const seed = seedWithGraphAlerts({ AlertInfo: [own], DeviceInfo: [device] });
    const alerts = rowsOf(seed, 'AlertInfo').filter((r) => r.AlertId === ALERT_1);
    assert.deepEqual(alerts, [own]);
    assert.deepEqual(
      rowsOf(seed, 'DeviceInfo').filter((r) => r.DeviceId === FIN_WS),
      [device],
    );
  });

  it('hands out copies: changing a table does not change the seed', () => {
    const seed = seedWithGraphAlerts();
    const rows = huntingTablesFromSeed(seed).get('DeviceProcessEvents') as HuntingRow[];
    (rows[0] as Record<string, unknown>).FileName = 'changed.exe';
    assert.equal(seed.events?.DeviceProcessEvents?.[0]?.FileName, 'evil.exe');
  });
});
