import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { demoSeedPath, loadSeedFile } from '../../../src/simulator/seed/loadSeed';
import {
  ALERT_SEVERITIES,
  ALERT_STATUSES,
  DEVICE_VALUES,
  EXPOSURE_LEVELS,
  RISK_SCORES,
} from '../../../src/simulator/seed/seedSchema';
import type { AlertEntity, MachineEntity, Seed, SeedUser } from '../../../src/simulator/seed/seedSchema';

const TENANT_ID = '6f1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const BOT_ID = '7d1e5a2b-8c4f-4e9a-b3d6-0f2a9c8e1b54';
const SERVER_GROUPS = ['Servers-Tier0', 'Servers-Production', 'Linux-Servers', 'DMZ-Servers'];

/** The persona table of the brief: the Playground's six users and what each may do. */
const PERSONAS = [
  [
    '00000000-0000-0000-0000-0000000000020',
    'Alex Wilber',
    'alexw@contoso.com',
    ['SOC.Analyst'],
    ['ViewData', 'AlertsInvestigation'],
  ],
  [
    '00000000-0000-0000-0000-0000000000021',
    'Megan Bowen',
    'meganb@contoso.com',
    ['SOC.Responder', 'SOC.Analyst', 'SOC.Hunter'],
    ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  ],
  [
    '00000000-0000-0000-0000-0000000000022',
    'Adele Vance',
    'adelev@contoso.com',
    ['SOC.Approver', 'SOC.Admin', 'SOC.Hunter'],
    ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  ],
  [
    '00000000-0000-0000-0000-0000000000023',
    'Isaiah Langer',
    'isaiahl@contoso.com',
    ['SOC.Approver'],
    ['ViewData', 'AlertsInvestigation', 'ActiveRemediation'],
  ],
  ['00000000-0000-0000-0000-0000000000024', 'Patti Fernandez', 'pattif@contoso.com', [], ['ViewData']],
  ['00000000-0000-0000-0000-0000000000025', 'Lynne Robbins', 'lynner@contoso.com', [], []],
] as const;

function canSee(user: SeedUser, group: string | null): boolean {
  return user.deviceGroups.includes('*') || (group !== null && user.deviceGroups.includes(group));
}

const isOpenHigh = (a: AlertEntity) => a.severity === 'High' && a.status !== 'Resolved';

describe('demo tenant seed', () => {
  let seed: Seed;
  let machineByHost: (host: string) => MachineEntity;
  let userByUpn: (upn: string) => SeedUser;

  before(() => {
    seed = loadSeedFile(demoSeedPath());
    machineByHost = (host) => {
      const found = seed.machines.filter((m) => m.computerDnsName === host);
      assert.equal(found.length, 1, `exactly one machine ${host}`);
      return found[0]!;
    };
    userByUpn = (upn) => {
      const user = seed.users.find((u) => u.userPrincipalName === upn);
      assert.ok(user, upn);
      return user;
    };
  });

  it('lives at an absolute path inside src/, found from dist/', () => {
    const file = demoSeedPath();
    assert.ok(path.isAbsolute(file));
    assert.ok(file.endsWith(path.join('src', 'simulator', 'seed', 'demoTenant.json')), file);
    assert.ok(fs.existsSync(path.join(path.dirname(file), 'seedSchema.ts')));
  });

  it('is the Contoso tenant the bot config and the Playground use', () => {
    assert.deepEqual(seed.tenant, { id: TENANT_ID, name: 'Contoso Ltd' });
    assert.ok(seed.alerts.every((a) => a.aadTenantId === TENANT_ID));
  });

  describe('Graph incidents and alerts_v2', () => {
    it('tells the phishing → credential theft → lateral movement story in incident 2301 across three sources', () => {
      const incident = seed.incidents.find((i) => i.id === '2301');
      assert.ok(incident);
      const alerts = seed.alertsV2.filter((a) => a.incidentId === '2301');
      const sources = new Set(alerts.map((a) => a.serviceSource));
      assert.deepEqual([...sources].sort(), [
        'microsoftDefenderForEndpoint',
        'microsoftDefenderForIdentity',
        'microsoftDefenderForOffice365',
      ]);
      const firstByCategory = (category: string) =>
        Math.min(...alerts.filter((a) => a.category === category).map((a) => Date.parse(a.createdDateTime)));
      assert.ok(firstByCategory('InitialAccess') < firstByCategory('CredentialAccess'));
      assert.ok(firstByCategory('CredentialAccess') < firstByCategory('LateralMovement'));
      const devices = new Set(
        alerts.flatMap((a) => a.evidence.flatMap((e) => (e.mdeDeviceId === undefined ? [] : [e.mdeDeviceId]))),
      );
      for (const host of ['ws-fin-042.corp.contoso.com', 'ws-fin-043.corp.contoso.com', 'dc-01.corp.contoso.com']) {
        assert.ok(devices.has(machineByHost(host).id), host);
      }
    });

    it('mirrors every MDE alert on alerts_v2 with its incident and device', () => {
      for (const alert of seed.alerts) {
        const twin = seed.alertsV2.find((a) => a.id === alert.id);
        assert.ok(twin, alert.id);
        assert.equal(twin.serviceSource, 'microsoftDefenderForEndpoint');
        assert.equal(twin.incidentId, String(alert.incidentId));
        assert.ok(twin.evidence.some((e) => e.mdeDeviceId === alert.machineId));
      }
      const incidentIds = new Set(seed.incidents.map((i) => i.id));
      assert.ok(seed.alertsV2.every((a) => a.incidentId !== null && incidentIds.has(a.incidentId)));
    });
  });

  describe('alerts', () => {
    it('has at least 45, covering every severity and status', () => {
      assert.ok(seed.alerts.length >= 45, `${seed.alerts.length} alerts`);
      assert.deepEqual(new Set(seed.alerts.map((a) => a.severity)), new Set(ALERT_SEVERITIES));
      assert.deepEqual(new Set(seed.alerts.map((a) => a.status)), new Set(ALERT_STATUSES));
    });

    it('has at least 10 categories and 5 detection sources', () => {
      assert.ok(new Set(seed.alerts.map((a) => a.category)).size >= 10);
      const sources = new Set(seed.alerts.map((a) => a.detectionSource));
      for (const source of [
        'WindowsDefenderAtp',
        'WindowsDefenderAv',
        'CustomDetection',
        'AutomatedInvestigation',
        'SmartScreen',
        'CustomerTI',
        'MTP',
      ]) {
        assert.ok(sources.has(source), source);
      }
    });

    it('carries evidence, and MITRE ids in the ATT&CK format', () => {
      assert.ok(seed.alerts.every((a) => a.evidence.length > 0));
      const kinds = new Set(seed.alerts.flatMap((a) => a.evidence.map((e) => e.entityType)));
      for (const kind of ['Process', 'File', 'User', 'Ip', 'Url', 'Registry']) assert.ok(kinds.has(kind), kind);
      for (const t of seed.alerts.flatMap((a) => a.mitreTechniques)) assert.match(t, /^T\d{4}(\.\d{3})?$/);
    });

    it('classifies resolved alerts and only those', () => {
      for (const a of seed.alerts) {
        const resolved = a.status === 'Resolved';
        assert.equal(a.classification !== null, resolved, a.id);
        assert.equal(a.determination !== null, resolved, a.id);
        assert.equal(a.resolvedTime !== null, resolved, a.id);
      }
    });

    it('points at its device with the same name and device group', () => {
      for (const a of seed.alerts) {
        const machine = seed.machines.find((m) => m.id === a.machineId);
        assert.ok(machine, a.id);
        assert.equal(a.computerDnsName, machine.computerDnsName, a.id);
        assert.equal(a.rbacGroupName, machine.rbacGroupName, a.id);
      }
    });

    it('has timestamps in a believable order', () => {
      const t = (value: string | null) => (value === null ? NaN : Date.parse(value));
      for (const a of seed.alerts) {
        assert.ok(t(a.firstEventTime) <= t(a.lastEventTime), a.id);
        assert.ok(t(a.lastEventTime) <= t(a.alertCreationTime), a.id);
        assert.ok(t(a.alertCreationTime) <= t(a.lastUpdateTime), a.id);
        for (const c of a.comments) assert.ok(t(c.createdTime) <= t(a.lastUpdateTime), a.id);
        if (a.resolvedTime !== null) assert.ok(t(a.resolvedTime) <= t(a.lastUpdateTime), a.id);
      }
    });

    it('puts most alerts in the last 24 hours before the newest, and some up to a month older', () => {
      const newest = Math.max(...seed.alerts.map((a) => Date.parse(a.lastUpdateTime)));
      const ageDays = seed.alerts.map((a) => (newest - Date.parse(a.alertCreationTime)) / 86_400_000);
      assert.ok(ageDays.filter((d) => d <= 1).length > seed.alerts.length / 2);
      assert.ok(ageDays.some((d) => d >= 2 && d <= 7));
      assert.ok(ageDays.some((d) => d > 20 && d <= 31));
      // Nothing may end up in the future after freshening.
      const latest = Math.max(
        ...seed.machines.map((m) => Date.parse(m.lastSeen)),
        ...seed.machineActions.map((x) => Date.parse(x.lastUpdateDateTimeUtc)),
      );
      assert.ok(latest <= newest);
    });

    it('tells a multi-stage story from ws-fin-042 to dc-01 in one incident', () => {
      const fin = machineByHost('ws-fin-042.corp.contoso.com');
      const dc = machineByHost('dc-01.corp.contoso.com');
      const incidents = (m: MachineEntity) =>
        new Set(seed.alerts.filter((a) => a.machineId === m.id).map((a) => a.incidentId));
      const shared = [...incidents(fin)].filter((id) => incidents(dc).has(id));
      assert.equal(shared.length, 1);
      assert.ok(seed.alerts.filter((a) => a.machineId === fin.id).length >= 5);
      assert.ok(seed.alerts.filter((a) => a.machineId === dc.id).length >= 3);
    });

    it('assigns alerts to the Tier-1 analyst and the responder, with comments', () => {
      for (const upn of ['alexw@contoso.com', 'meganb@contoso.com']) {
        assert.ok(
          seed.alerts.some((a) => a.assignedTo === upn && a.status !== 'Resolved'),
          upn,
        );
      }
      assert.ok(seed.alerts.filter((a) => a.comments.length > 0).length >= 5);
    });

    it('contains attacker-controlled text that a careless card would render dangerously', () => {
      // Card and message tests rely on these strings being present in the demo data.
      const text = JSON.stringify(seed.alerts);
      assert.ok(text.includes('Invoice_[Open](https://evil.example/x).pdf.exe'));
      assert.ok(text.includes('**bold**'));
      assert.ok(text.includes('`'));
      assert.ok(text.includes('<at>'));
      const longest = Math.max(...seed.alerts.flatMap((a) => a.evidence.map((e) => e.processCommandLine?.length ?? 0)));
      assert.ok(longest > 2000, `longest command line ${longest}`);
      assert.ok(seed.alerts.some((a) => /[*_[\]|#]/.test(a.title)));
    });
  });

  describe('machines', () => {
    it('has at least 28 with unique ids, covering every platform, health state, risk, exposure and value', () => {
      assert.ok(seed.machines.length >= 28);
      const set = (pick: (m: MachineEntity) => unknown) => new Set(seed.machines.map(pick));
      for (const platform of [
        'Windows10',
        'Windows11',
        'WindowsServer2016',
        'WindowsServer2019',
        'WindowsServer2022',
        'Linux',
        'macOS',
      ]) {
        assert.ok(set((m) => m.osPlatform).has(platform), platform);
      }
      for (const health of ['Active', 'Inactive', 'ImpairedCommunication', 'NoSensorData']) {
        assert.ok(set((m) => m.healthStatus).has(health), health);
      }
      assert.deepEqual(
        set((m) => m.riskScore),
        new Set(RISK_SCORES),
      );
      assert.deepEqual(
        set((m) => m.exposureLevel),
        new Set(EXPOSURE_LEVELS),
      );
      assert.deepEqual(
        set((m) => m.deviceValue),
        new Set(DEVICE_VALUES),
      );
      assert.equal(set((m) => m.computerDnsName).size, seed.machines.length);
    });

    it('has the observed extra fields on every device', () => {
      const extras = [
        'mergedIntoMachineId',
        'isPotentialDuplication',
        'isExcluded',
        'exclusionReason',
        'osVersion',
        'agentVersion',
        'isAadJoined',
        'defenderAvStatus',
        'managedBy',
        'managedByStatus',
        'vmMetadata',
      ];
      for (const m of seed.machines) for (const field of extras) assert.ok(field in m, `${m.computerDnsName} ${field}`);
    });

    it('gives each device group one stable numeric id', () => {
      const ids = new Map<string, number | null>();
      for (const m of seed.machines) {
        assert.ok(m.rbacGroupName);
        if (ids.has(m.rbacGroupName)) assert.equal(ids.get(m.rbacGroupName), m.rbacGroupId, m.rbacGroupName);
        ids.set(m.rbacGroupName, m.rbacGroupId);
      }
      assert.equal(new Set(ids.values()).size, ids.size);
    });

    it('has ws-fin-042 with close-named siblings, and two web-01 devices in different domains', () => {
      for (const n of ['041', '042', '043', '044']) machineByHost(`ws-fin-${n}.corp.contoso.com`);
      for (const host of ['dc-01', 'dc-02', 'srv-sql-01', 'srv-pay-01', 'lnx-web-01', 'mac-design-07', 'lt-ceo-01']) {
        machineByHost(`${host}.corp.contoso.com`);
      }
      const web = seed.machines
        .filter((m) => m.computerDnsName.split('.')[0] === 'web-01')
        .map((m) => m.computerDnsName);
      assert.deepEqual(web.sort(), ['web-01.corp.contoso.com', 'web-01.dmz.contoso.com']);
    });

    it('has exactly one clearly offline device, last seen 3 days before start-up once freshened', () => {
      const now = new Date('2027-03-01T08:00:00Z');
      const fresh = loadSeedFile(demoSeedPath(), { freshen: true, now });
      const offline = fresh.machines.filter((m) => m.healthStatus === 'Inactive');
      assert.deepEqual(
        offline.map((m) => m.computerDnsName),
        ['lt-vp-sales-02.corp.contoso.com'],
      );
      const daysAgo = (now.getTime() - Date.parse(offline[0]!.lastSeen)) / 86_400_000;
      assert.ok(Math.abs(daysAgo - 3) < 1 / 24, `last seen ${daysAgo} days ago`);
    });

    it('marks the CEO laptop as a high-value VIP device', () => {
      const ceo = machineByHost('lt-ceo-01.corp.contoso.com');
      assert.equal(ceo.deviceValue, 'High');
      assert.ok(ceo.machineTags.includes('VIP'));
    });
  });

  describe('machine actions', () => {
    const latestIsolation = (s: Seed, m: MachineEntity) =>
      s.machineActions
        .filter(
          (x) => x.machineId === m.id && (x.type === 'Isolate' || x.type === 'Unisolate') && x.status === 'Succeeded',
        )
        .sort((a, b) => Date.parse(b.creationDateTimeUtc) - Date.parse(a.creationDateTimeUtc))[0]?.type;

    it('has ws-eng-017 isolated now and a ws-hr device isolated then released', () => {
      assert.equal(latestIsolation(seed, machineByHost('ws-eng-017.corp.contoso.com')), 'Isolate');
      const released = seed.machines.filter(
        (m) => m.computerDnsName.startsWith('ws-hr-') && latestIsolation(seed, m) === 'Unisolate',
      );
      assert.equal(released.length, 1);
      assert.ok(seed.machineActions.some((x) => x.machineId === released[0]!.id && x.type === 'Isolate'));
    });

    it('has a succeeded scan on ws-fin-041 and a failed package collection on the inactive laptop', () => {
      const fin041 = machineByHost('ws-fin-041.corp.contoso.com');
      assert.ok(
        seed.machineActions.some(
          (x) => x.machineId === fin041.id && x.type === 'RunAntiVirusScan' && x.status === 'Succeeded',
        ),
      );
      const failed = seed.machineActions.find((x) => x.type === 'CollectInvestigationPackage' && x.status === 'Failed');
      assert.ok(failed);
      const device = seed.machines.find((m) => m.id === failed.machineId);
      assert.equal(device?.healthStatus, 'Inactive');
      assert.ok(device?.computerDnsName.startsWith('lt-'));
    });

    it('was requested by personas allowed to take response actions', () => {
      const responders = new Set(
        seed.users.filter((u) => u.defenderPermissions.includes('ActiveRemediation')).map((u) => u.userPrincipalName),
      );
      for (const x of seed.machineActions) assert.ok(responders.has(x.requestor), x.requestor);
    });
  });

  describe('users', () => {
    it('are the six Playground personas with their roles, and one MFA-blocked contractor', () => {
      for (const [aadObjectId, displayName, upn, appRoles, permissions] of PERSONAS) {
        const user = userByUpn(upn);
        assert.equal(user.aadObjectId, aadObjectId);
        assert.equal(user.displayName, displayName);
        assert.deepEqual(user.appRoles, appRoles);
        assert.deepEqual(user.defenderPermissions, permissions);
        assert.equal(user.signInError, undefined);
      }
      assert.deepEqual(userByUpn('pattif@contoso.com').deviceGroups, ['Finance-Workstations']);
      assert.deepEqual(userByUpn('lynner@contoso.com').deviceGroups, []);
      for (const upn of ['alexw@contoso.com', 'meganb@contoso.com', 'adelev@contoso.com']) {
        assert.deepEqual(userByUpn(upn).deviceGroups, ['*']);
      }
      const extra = seed.users.filter((u) => !PERSONAS.some(([id]) => id === u.aadObjectId));
      assert.equal(extra.length, 1);
      assert.equal(extra[0]?.signInError, 'interaction_required');
    });

    it('scopes Isaiah to every workstation and laptop group and no server group', () => {
      const isaiah = userByUpn('isaiahl@contoso.com');
      const groups = new Set(seed.machines.map((m) => m.rbacGroupName!));
      const clientGroups = [...groups].filter((g) => !SERVER_GROUPS.includes(g));
      assert.deepEqual(new Set(isaiah.deviceGroups), new Set(clientGroups));
      for (const g of SERVER_GROUPS) assert.ok(groups.has(g), g);
    });

    it('lets every persona with View data see an unresolved High alert', () => {
      for (const user of seed.users.filter((u) => u.defenderPermissions.includes('ViewData'))) {
        assert.ok(
          seed.alerts.some((a) => isOpenHigh(a) && canSee(user, a.rbacGroupName)),
          user.userPrincipalName,
        );
      }
      assert.ok(seed.alerts.some((a) => isOpenHigh(a) && a.rbacGroupName === 'Finance-Workstations'));
    });

    it('keeps unresolved High server alerts out of Isaiah’s view', () => {
      const isaiah = userByUpn('isaiahl@contoso.com');
      const hidden = seed.alerts.filter((a) => isOpenHigh(a) && !canSee(isaiah, a.rbacGroupName));
      assert.ok(hidden.length >= 3);
      assert.ok(hidden.every((a) => SERVER_GROUPS.includes(a.rbacGroupName!)));
    });
  });

  describe('.m365agentsplayground.yml', () => {
    let lines: string[];

    before(() => {
      const root = path.resolve(path.dirname(demoSeedPath()), '..', '..', '..');
      lines = fs.readFileSync(path.join(root, '.m365agentsplayground.yml'), 'utf8').split(/\r?\n/);
    });

    const valuesOf = (key: string) =>
      lines.flatMap((line) => {
        const match = new RegExp(`^\\s*(?:- )?${key}:\\s*"?([^"#\\s]+)"?\\s*$`).exec(line);
        return match?.[1] === undefined ? [] : [match[1]];
      });

    it('uses the seed tenant and the demo bot id', () => {
      assert.deepEqual(valuesOf('tenantId'), [TENANT_ID]);
      const botLine = lines.indexOf('bot:');
      assert.ok(botLine >= 0);
      assert.match(lines[botLine + 1] ?? '', new RegExp(`^\\s+id: ${BOT_ID}$`));
    });

    it('lists the six personas with the seed’s aadObjectIds and UPNs', () => {
      const ids = valuesOf('aadObjectId');
      const upns = valuesOf('userPrincipleName');
      assert.deepEqual(
        ids,
        PERSONAS.map(([id]) => id),
      );
      assert.deepEqual(
        upns,
        PERSONAS.map(([, , upn]) => upn),
      );
      for (const [i, id] of ids.entries()) {
        assert.equal(seed.users.find((u) => u.aadObjectId === id)?.userPrincipalName, upns[i]);
      }
      assert.equal(valuesOf('id').filter((id) => id.startsWith('user-id-')).length, 6);
    });

    it('declares at most one channel besides General, the Playground schema limit', () => {
      assert.equal(lines.filter((line) => /^\s+- id: channel-/.test(line)).length, 1);
    });
  });
});
