import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { seedStory, STORY_SEEDS } from '../../../src/simulator/seed/demoStory';
import type { HuntingRow } from '../../../src/simulator/seed/huntingSchema';
import { demoSeedPath, loadSeedFile, parseSeed } from '../../../src/simulator/seed/loadSeed';
import type { Seed } from '../../../src/simulator/seed/seedSchema';

const SEED_DIRECTORY = path.dirname(demoSeedPath());
const NOW = new Date('2031-02-03T04:05:06.000Z');

function rawSeed(file: string): Record<string, unknown> {
  return JSON.parse(fs.readFileSync(path.join(SEED_DIRECTORY, file), 'utf8')) as Record<string, unknown>;
}

const rows = (seed: Seed, table: keyof NonNullable<Seed['events']>): readonly HuntingRow[] =>
  seed.events?.[table] ?? [];
/** A string cell, '' when absent (rows are loosely typed). */
const text = (value: unknown): string => (typeof value === 'string' ? value : '');
const hostOf = (name: unknown) => text(name).split('.')[0];

describe('the demo seeds tell their story in advanced hunting events', () => {
  for (const { file, options } of STORY_SEEDS) {
    it(`${file}: its events and entity profiles are what demoStory.ts generates (rerun it after editing the seed)`, () => {
      const raw = rawSeed(file);
      const { events, entityProfiles, ...rest } = raw;
      const seed = parseSeed(rest, file);
      const story = seedStory(seed, options);
      assert.deepEqual(events, story.events);
      assert.deepEqual(entityProfiles, story.entityProfiles);
    });

    it(`${file}: every MDE alert's files, IP addresses and URLs appear in the events`, () => {
      const seed = loadSeedFile(path.join(SEED_DIRECTORY, file));
      const hashes = new Set(
        [...rows(seed, 'DeviceProcessEvents'), ...rows(seed, 'DeviceFileEvents')].map((r) => r.SHA1),
      );
      const network = rows(seed, 'DeviceNetworkEvents');
      const ips = new Set(network.map((r) => r.RemoteIP));
      const urls = new Set(network.map((r) => r.RemoteUrl));
      for (const alert of seed.alerts.filter((a) => a.machineId !== null)) {
        for (const item of alert.evidence) {
          if (item.sha1 !== null) assert.ok(hashes.has(item.sha1), `${alert.id}: ${item.fileName ?? item.sha1}`);
          if (item.ipAddress !== null) assert.ok(ips.has(item.ipAddress), `${alert.id}: ${item.ipAddress}`);
          if (item.url !== null) assert.ok(urls.has(item.url), `${alert.id}: ${item.url}`);
        }
      }
    });
  }

  describe('the demo tenant', () => {
    const seed = loadSeedFile(demoSeedPath());
    const devicesWhere = (table: 'DeviceFileEvents' | 'DeviceNetworkEvents', test: (row: HuntingRow) => boolean) =>
      [
        ...new Set(
          rows(seed, table)
            .filter(test)
            .map((r) => hostOf(r.DeviceName)),
        ),
      ].sort();

    it('has a few hundred events, every one on a seeded device and not after the newest alert', () => {
      const all = Object.values(seed.events ?? {}).flat();
      assert.ok(all.length >= 300 && all.length <= 1000, String(all.length));
      const machines = new Set(seed.machines.map((m) => m.id));
      const newest = Math.max(...seed.alerts.map((a) => Date.parse(a.lastUpdateTime)));
      for (const row of all) {
        assert.ok(machines.has(text(row.DeviceId)), text(row.DeviceId));
        assert.ok(Date.parse(text(row.Timestamp)) <= newest, text(row.Timestamp));
      }
    });

    it('puts the dropped DLL on ws-fin-042 and on the two devices the stolen admin account reached', () => {
      assert.deepEqual(
        devicesWhere('DeviceFileEvents', (r) => r.FileName === 'wvgqzp.dll'),
        ['dc-01', 'ws-fin-042', 'ws-fin-043'],
      );
    });

    it('has the C2 address called from ws-fin-042 (beaconing) and from one more device', () => {
      const c2 = (r: HuntingRow) => r.RemoteIP === '198.51.100.77';
      assert.deepEqual(devicesWhere('DeviceNetworkEvents', c2), ['ws-fin-042', 'ws-fin-043']);
      assert.ok(
        rows(seed, 'DeviceNetworkEvents').filter((r) => c2(r) && hostOf(r.DeviceName) === 'ws-fin-042').length >= 5,
      );
    });

    it("has jonis's logons on ws-fin-042 and the admin account's network logon from it to the domain controller", () => {
      const logons = rows(seed, 'DeviceLogonEvents');
      const jonis = logons.filter((r) => r.AccountName === 'jonis' && hostOf(r.DeviceName) === 'ws-fin-042');
      assert.ok(jonis.length >= 3);
      assert.ok(jonis.every((r) => r.LogonType === 'Interactive' && r.ActionType === 'LogonSuccess'));
      const lateral = logons.filter((r) => r.RemoteIP === '10.20.30.42' && r.AccountName === 'adm-allan');
      assert.deepEqual([...new Set(lateral.map((r) => hostOf(r.DeviceName)))].sort(), ['dc-01', 'ws-fin-043']);
      assert.ok(lateral.every((r) => r.LogonType === 'Network'));
    });

    it('runs the alert process chain with the alert hashes: Outlook, the attachment, rundll32, encoded PowerShell', () => {
      const chain = rows(seed, 'DeviceProcessEvents')
        .filter((r) => hostOf(r.DeviceName) === 'ws-fin-042')
        .map((r) => `${text(r.InitiatingProcessFileName)} > ${text(r.FileName)}`);
      const steps = ['OUTLOOK.EXE > x).pdf.exe', 'x).pdf.exe > rundll32.exe', 'rundll32.exe > powershell.exe'];
      const at = steps.map((step) => chain.indexOf(step));
      assert.ok(
        at.every((index) => index >= 0),
        chain.join('\n'),
      );
      assert.deepEqual(
        [...at].sort((a, b) => a - b),
        at,
      );
      const powershell = rows(seed, 'DeviceProcessEvents').find(
        (r) => hostOf(r.DeviceName) === 'ws-fin-042' && r.FileName === 'powershell.exe',
      );
      assert.match(text(powershell?.ProcessCommandLine), / -enc /);
      assert.equal(powershell?.SHA1, '54b085b876ff2305f1a717dc3674891b47c6bfe0');
    });
  });

  it('gives each MSSP customer events on its own devices only', () => {
    const seeds = ['mssp/contoso.json', 'mssp/fabrikam.json', 'mssp/tailspin.json'].map((f) =>
      loadSeedFile(path.join(SEED_DIRECTORY, f)),
    );
    for (const seed of seeds) {
      const own = new Set(seed.machines.map((m) => m.id));
      const events = Object.values(seed.events ?? {}).flat();
      assert.ok(events.length > 0, seed.tenant.name);
      assert.ok(
        events.every((r) => own.has(text(r.DeviceId))),
        seed.tenant.name,
      );
    }
  });

  describe('freshening', () => {
    const original = loadSeedFile(demoSeedPath());
    const fresh = loadSeedFile(demoSeedPath(), { freshen: true, now: NOW });
    const offset = Date.parse(fresh.alerts[0]!.lastUpdateTime) - Date.parse(original.alerts[0]!.lastUpdateTime);

    it('moves every event Timestamp and ProcessCreationTime by the alerts offset, keeping their order', () => {
      for (const table of [
        'DeviceProcessEvents',
        'DeviceNetworkEvents',
        'DeviceLogonEvents',
        'DeviceFileEvents',
      ] as const) {
        const before = rows(original, table);
        const after = rows(fresh, table);
        assert.equal(after.length, before.length);
        after.forEach((row, i) => {
          assert.equal(Date.parse(text(row.Timestamp)) - Date.parse(text(before[i]!.Timestamp)), offset, table);
          if (row.ProcessCreationTime !== undefined && row.ProcessCreationTime !== null) {
            const moved = Date.parse(text(row.ProcessCreationTime)) - Date.parse(text(before[i]!.ProcessCreationTime));
            assert.equal(moved, offset, table);
          }
        });
      }
    });

    it('leaves the story recent: the newest event within the last hours before now, none after it', () => {
      const times = Object.values(fresh.events ?? {})
        .flat()
        .map((r) => Date.parse(text(r.Timestamp)));
      const newest = Math.max(...times);
      assert.ok(newest <= NOW.getTime());
      assert.ok(NOW.getTime() - newest < 6 * 3_600_000);
    });

    it("moves the files' worldwide first and last observed times too", () => {
      const [sha1, before] = Object.entries(original.entityProfiles?.files ?? {})[0]!;
      const after = fresh.entityProfiles?.files[sha1];
      assert.equal(Date.parse(after!.globalLastObserved!) - Date.parse(before.globalLastObserved!), offset);
    });
  });
});
