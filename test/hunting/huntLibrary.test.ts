import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { HuntFileError, loadHuntLibrary } from '../../src/hunting/huntLibrary';
import type { HuntValue } from '../../src/hunting/huntQuery';
import { buildHuntQuery, readParameterValue } from '../../src/hunting/huntQuery';
import { parseKql, statementCount, stringLiterals } from './support/kustoParser';

const SHIPPED = path.resolve(__dirname, '..', '..', '..', 'hunts');
const NOW = new Date('2026-12-07T04:00:00Z');

/** A harmless value of each parameter type, as a card or a command would give it. */
const SAMPLE: Record<string, HuntValue> = {
  device: { type: 'device', name: 'ws-fin-042.corp.contoso.com', id: 'a'.repeat(40) },
  file: { type: 'file', value: 'b'.repeat(40) },
  ip: { type: 'ip', value: '203.0.113.7' },
  domain: { type: 'domain', value: 'evil.example' },
  account: { type: 'account', value: 'alice@contoso.com' },
  alertId: { type: 'alertId', value: 'da637472900382838869_1364969609' },
};

describe('saved hunts', () => {
  it('ships the documented library, each hunt in English and Portuguese', async () => {
    const library = await loadHuntLibrary([SHIPPED]);
    assert.deepEqual(
      library.all().map((h) => h.name),
      [
        'connections-to-domain',
        'connections-to-ip',
        'devices-that-ran-file',
        'devices-user-logged-on',
        'devices-with-file',
        'logons-of-user',
        'process-tree-of-alert',
        'processes-on-device',
      ],
    );
  });

  it("builds every hunt into KQL that Microsoft's parser reads without an error", async () => {
    for (const hunt of (await loadHuntLibrary([SHIPPED])).all()) {
      const type = hunt.parameters[0]?.type;
      const query = buildHuntQuery(hunt, type ? SAMPLE[type] : undefined, undefined, NOW);
      assert.deepEqual(parseKql(query).diagnostics, [], `${hunt.name}:\n${query}`);
      assert.match(query, /^let \w+ = '/);
    }
  });

  it('puts a calendar window in datetime literals and a recent one in ago()', async () => {
    const hunt = (await loadHuntLibrary([SHIPPED])).get('connections-to-ip')!;
    const recent = buildHuntQuery(hunt, SAMPLE.ip, { kind: 'recent', minutes: 60 }, NOW);
    assert.match(recent, /let since = ago\(60m\);\nlet until = now\(\);/);
    const yesterday = buildHuntQuery(
      hunt,
      SAMPLE.ip,
      { kind: 'between', since: new Date('2026-12-06T00:00:00Z'), until: new Date('2026-12-07T00:00:00Z') },
      NOW,
    );
    assert.match(
      yesterday,
      /let since = datetime\(2026-12-06T00:00:00.000Z\);\nlet until = datetime\(2026-12-07T00:00:00.000Z\);/,
    );
    assert.throws(() =>
      buildHuntQuery(hunt, SAMPLE.ip, { kind: 'between', since: new Date('2026-10-01T00:00:00Z') }, NOW),
    );
  });

  it('keeps a hostile account name inside its literal (one statement per let, the body unchanged)', async () => {
    const hunt = (await loadHuntLibrary([SHIPPED])).get('logons-of-user')!;
    const hostile = "alice' or 1==1 //";
    // The account shape refuses it before any query is built…
    assert.equal(readParameterValue('account', hostile), undefined);
    assert.throws(() => buildHuntQuery(hunt, { type: 'account', value: hostile }, undefined, NOW));
    // …and a device name (resolved by Defender, so not the person's text) is still only ever a literal.
    const device = (await loadHuntLibrary([SHIPPED])).get('processes-on-device')!;
    const name = "x';\n| union DeviceLogonEvents //";
    const query = buildHuntQuery(device, { type: 'device', name, id: "y' | take 1" }, undefined, NOW);
    const parsed = parseKql(query);
    assert.deepEqual(parsed.diagnostics, []);
    assert.equal(statementCount(parsed), 5);
    assert.deepEqual(stringLiterals(parsed).slice(0, 2), [name, "y' | take 1"]);
  });

  it('reads parameter values by type and refuses anything else', () => {
    assert.equal(readParameterValue('ip', '203.0.113.7'), '203.0.113.7');
    assert.equal(readParameterValue('ip', '2001:db8::1'), '2001:db8::1');
    assert.equal(readParameterValue('ip', "203.0.113.7' or '1"), undefined);
    assert.equal(readParameterValue('file', 'A'.repeat(64)), 'a'.repeat(64));
    assert.equal(readParameterValue('file', 'g'.repeat(40)), undefined);
    assert.equal(readParameterValue('domain', 'https://Evil.Example/path?q=1'), 'evil.example');
    assert.equal(readParameterValue('domain', 'evil.example; DeviceInfo'), undefined);
    assert.equal(readParameterValue('account', 'CONTOSO\\alice'), 'CONTOSO\\alice');
    assert.equal(readParameterValue('alertId', 'da637472900382838869_1364969609'), 'da637472900382838869_1364969609');
  });

  describe("an administrator's folder", () => {
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunts-'));
    });
    afterEach(() => fs.rm(dir, { recursive: true, force: true }));

    const valid = (name: string) => `name: ${name}
title: { en: Scheduled tasks, pt-BR: Tarefas agendadas }
description: { en: Tasks created, pt-BR: Tarefas criadas }
parameters: []
window: 7d
query: |
  DeviceProcessEvents
  | where Timestamp between (since .. until)
  | where FileName == 'schtasks.exe'
`;

    it('adds its hunts to the shipped ones', async () => {
      await fs.writeFile(path.join(dir, 'scheduled-tasks.yaml'), valid('scheduled-tasks'));
      const library = await loadHuntLibrary([SHIPPED, dir]);
      assert.equal(library.get('scheduled-tasks')?.title['pt-BR'], 'Tarefas agendadas');
    });

    const broken: { name: string; file: string; text: string; says: RegExp }[] = [
      { name: 'invalid YAML', file: 'bad.yaml', text: 'name: [unclosed', says: /bad\.yaml is not valid YAML/ },
      {
        name: 'a missing Portuguese title',
        file: 'x-hunt.yaml',
        text: valid('x-hunt').replace(', pt-BR: Tarefas agendadas', ''),
        says: /x-hunt\.yaml is not a valid hunt: title\.pt-BR/,
      },
      {
        name: 'a body that declares a bound name',
        file: 'y-hunt.yaml',
        text: valid('y-hunt').replace('DeviceProcessEvents', 'let since = ago(1d);\n  DeviceProcessEvents'),
        says: /y-hunt\.yaml .*must not declare since/,
      },
      {
        name: 'a name defined twice',
        file: 'processes-on-device.yaml',
        text: valid('processes-on-device'),
        says: /"processes-on-device" is defined twice/,
      },
    ];
    for (const { name, file, text, says } of broken) {
      it(`fails startup on ${name}, naming the file`, async () => {
        await fs.writeFile(path.join(dir, file), text);
        await assert.rejects(loadHuntLibrary([SHIPPED, dir]), (err: unknown) => {
          assert.ok(err instanceof HuntFileError);
          assert.match(err.message, says);
          assert.ok(err.message.includes(dir) || /defined twice/.test(err.message));
          return true;
        });
      });
    }
  });

  it('finds a hunt by name, phrase or title in either language, and suggests the closest', async () => {
    const library = await loadHuntLibrary([SHIPPED]);
    assert.equal(library.find('processes')?.name, 'processes-on-device');
    assert.equal(library.find('processos')?.name, 'processes-on-device');
    assert.equal(library.find('Connections to domain')?.name, 'connections-to-domain');
    assert.equal(library.find('árvore de processos')?.name, 'process-tree-of-alert');
    assert.equal(library.find('devices-that-ran-file')?.name, 'devices-that-ran-file');
    assert.equal(library.find('procesess'), undefined);
    assert.equal(library.closest('procesess')?.name, 'processes-on-device');
    assert.equal(library.closest('weather forecast'), undefined);
  });
});
