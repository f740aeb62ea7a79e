import os from 'node:os';
import fs from 'node:fs';
import assert from 'node:assert/strict';
import path from 'node:path';
import type { AuditEntryInput } from '../../src/audit/auditEntry';
import { prepareCardAction } from '../../src/cardActions/registry';
import type { CommandContext, Reply } from '../../src/commands/commandContext';
import type { CommandEnvironment } from '../../src/commands/commandEnvironment';
import { parseCommand } from '../../src/commands/parseCommand';
import { english } from '../../src/commands/phrasebook';
import { runCommand } from '../../src/commands/registry';
import { showAlert } from '../../src/commands/showAlert';
import { showDevice } from '../../src/commands/showDevice';
import { HttpDefenderClient } from '../../src/defender/defenderClient';
import { isAppError } from '../../src/errors';
import { HttpGraphSecurityClient } from '../../src/graph/graphSecurityClient';
import { HttpHuntingClient } from '../../src/graph/huntingClient';
import { HttpClient } from '../../src/http/httpClient';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { HuntCallCounter } from '../../src/hunting/huntCallCounter';
import { HuntCommands } from '../../src/hunting/huntCommands';
import { loadHuntLibrary } from '../../src/hunting/huntLibrary';
import { HuntResults } from '../../src/hunting/huntResultPresenter';
import { HuntResultStore } from '../../src/hunting/huntResultStore';
import { HttpCsvUploader } from '../../src/hunting/huntResultUpload';
import { FileStorage } from '../../src/storage/fileStorage';
import type { Locale } from '../../src/i18n/locale';
import { translatorFor } from '../../src/i18n/translator';
import { createLogger } from '../../src/logging/logger';
import { userMessageFor } from '../../src/userMessages';
import type { SimulatorWithUser } from '../defender/simulatorWithUser';
import { startSimulatorWithUser } from '../defender/simulatorWithUser';
import { assertValidAdaptiveCard } from '../fixtures/adaptiveCards';
import { visibleText } from '../support/botClient';
import { demoSeed } from '../support/demoTenant';
import { FakeHuntingService, graphError, huntingAnswer } from './support/fakeHuntingService';
import { parseKql, stringLiterals } from './support/kustoParser';

const NOW = new Date('2026-12-07T04:00:00Z');
const WS_FIN_042 = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-042.'))!;
const SHA1 = '2bb65221185072a3db6a13b1d907e8a30c9b945c';

/** What the hunting commands wrote to the audit trail. */
class RecordingAudit {
  readonly entries: AuditEntryInput[] = [];
  append(entry: AuditEntryInput): Promise<void> {
    this.entries.push(entry);
    return Promise.resolve();
  }
  ofType(type: string): AuditEntryInput[] {
    return this.entries.filter((e) => e.type === type);
  }
}

/** The query text the audit recorded, joined from its parts. */
function auditedQuery(entry: AuditEntryInput): string {
  const detail = entry.detail as Record<string, string>;
  return Object.keys(detail)
    .filter((k) => /^query\d*$/.test(k))
    .sort((a, b) => Number(a.slice(5) || 1) - Number(b.slice(5) || 1))
    .map((k) => detail[k])
    .join('');
}

describe('hunting commands (saved hunts and ad-hoc KQL, as the person, against the demo simulator)', function () {
  this.timeout(30_000);
  let world: SimulatorWithUser;
  const service = new FakeHuntingService();
  const http = new HttpClient();
  let audit: RecordingAudit;
  let hunting: HuntCommands;
  let defender: HttpDefenderClient;
  let graph: HttpGraphSecurityClient;

  before(async () => {
    world = await startSimulatorWithUser();
    const calls = {
      http: world.httpClient,
      limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
      logger: createLogger({ level: 'silent' }),
      timeoutMs: 5_000,
      maxRetries: 0,
      maxRetryAfterMs: 0,
    };
    defender = new HttpDefenderClient({ ...calls, baseUrl: world.simulator.url });
    graph = new HttpGraphSecurityClient({ ...calls, baseUrl: `${world.simulator.url}/v1.0` });
    const baseUrl = await service.start();
    audit = new RecordingAudit();
    hunting = new HuntCommands({
      library: await loadHuntLibrary([path.resolve(__dirname, '..', '..', '..', 'hunts')]),
      client: new HttpHuntingClient({
        baseUrl,
        http,
        limiter: new SlidingWindowLimiter({ windows: [{ limit: 45, windowMs: 60_000 }], maxWaitMs: 0 }),
        logger: createLogger({ level: 'silent' }),
        maxRetries: 0,
        maxRetryAfterMs: 0,
      }),
      presenter: new HuntResults({
        store: new HuntResultStore({
          storage: new FileStorage({ dir: fs.mkdtempSync(path.join(os.tmpdir(), 'hunt-results-')) }),
          now: () => NOW,
        }),
        audit,
        upload: new HttpCsvUploader(http, createLogger({ level: 'silent' })),
      }),
      audit,
      counter: new HuntCallCounter(),
      now: () => NOW,
    });
  });
  after(async () => {
    http.close();
    await service.stop();
    await world.close();
  });
  beforeEach(() => {
    service.received.length = 0;
    service.script.length = 0;
    audit.entries.length = 0;
  });

  const context = (appRoles: string[], locale: Locale = 'en'): CommandContext => ({
    user: {
      tenantId: demoSeed.tenant.id,
      aadObjectId: '00000000-0000-0000-0000-0000000000022',
      userPrincipalName: 'adelev@contoso.com',
      displayName: 'Adele Vance',
      appRoles,
    },
    tenant: { id: demoSeed.tenant.id },
    i18n: translatorFor(locale),
    auth: world.auth,
    defender,
    graphAuth: world.graphAuth,
    graph,
    now: NOW,
  });

  const environment = (locale: Locale = 'en'): CommandEnvironment => ({
    phrasebook: english,
    i18n: translatorFor(locale),
    tenantId: demoSeed.tenant.id,
    adminConsentUrl: () => '',
    responseActions: undefined,
    conversation: undefined,
    notifications: undefined,
    hunting,
    now: NOW,
  });

  const say = (text: string, roles: string[] = ['SOC.Analyst'], locale: Locale = 'en'): Promise<Reply> =>
    runCommand(
      parseCommand(text, english, { now: NOW }),
      () => Promise.resolve(context(roles, locale)),
      environment(locale),
    );

  const click = async (data: unknown, roles: string[] = ['SOC.Analyst']): Promise<Reply> => {
    const prepared = prepareCardAction('hunt.run', data);
    assert.ok(prepared.ok, 'the card data passes its schema');
    return prepared.run(() => Promise.resolve(context(roles)), environment());
  };

  const textOf = (reply: Reply) => (reply.kind === 'text' ? reply.text : visibleText(reply.card));

  it('runs "hunt processes on ws-fin-042 last 24h" with the device resolved and every value an escaped let', async () => {
    service.script.push(
      huntingAnswer(
        ['DeviceName', 'FileName'],
        [
          { DeviceName: WS_FIN_042.computerDnsName, FileName: 'powershell.exe' },
          { DeviceName: WS_FIN_042.computerDnsName, FileName: 'cmd.exe' },
        ],
      ),
    );
    const reply = await say('hunt processes on ws-fin-042 last 24h');
    const sent = JSON.parse(service.received[0]!.body) as { Query: string };
    assert.ok(
      sent.Query.startsWith(
        `let device = '${WS_FIN_042.computerDnsName}';\nlet deviceId = '${WS_FIN_042.id}';\nlet since = ago(1440m);\nlet until = now();\nDeviceProcessEvents`,
      ),
      sent.Query,
    );
    assert.deepEqual(parseKql(sent.Query).diagnostics, []);
    assert.match(textOf(reply), /2 rows/);
    assert.match(textOf(reply), /powershell\.exe/);
    assertValidAdaptiveCard(reply.kind === 'card' ? reply.card : {});
    const [entry] = audit.ofType('hunt.run');
    assert.equal(entry?.tenantId, demoSeed.tenant.id);
    assert.deepEqual(
      {
        hunt: (entry?.detail as Record<string, unknown>).hunt,
        rows: (entry?.detail as Record<string, unknown>).rowCount,
      },
      { hunt: 'processes-on-device', rows: 2 },
    );
    assert.equal(auditedQuery(entry), sent.Query);
  });

  const runs: { command: string; hunt: string; literal: string }[] = [
    { command: `hunt devices that ran ${SHA1}`, hunt: 'devices-that-ran-file', literal: SHA1 },
    { command: `hunt devices with file ${SHA1}`, hunt: 'devices-with-file', literal: SHA1 },
    { command: 'hunt connections to 203.0.113.7', hunt: 'connections-to-ip', literal: '203.0.113.7' },
    { command: 'hunt connections to g.api.mega.co.nz', hunt: 'connections-to-domain', literal: 'g.api.mega.co.nz' },
    { command: 'hunt logons of alice@contoso.com', hunt: 'logons-of-user', literal: 'alice@contoso.com' },
    { command: 'hunt devices of user svc-sqlpay last 7d', hunt: 'devices-user-logged-on', literal: 'svc-sqlpay' },
    {
      command: 'run hunt process tree of da639307847308570000_-1580510265',
      hunt: 'process-tree-of-alert',
      literal: 'da639307847308570000_-1580510265',
    },
  ];
  for (const { command, hunt, literal } of runs) {
    it(`runs "${command}" as ${hunt}`, async () => {
      service.script.push(huntingAnswer(['DeviceName'], [{ DeviceName: 'ws-fin-042.corp.contoso.com' }]));
      const reply = await say(command);
      assert.match(textOf(reply), /1 row/);
      const query = (JSON.parse(service.received[0]!.body) as { Query: string }).Query;
      const parsed = parseKql(query);
      assert.deepEqual(parsed.diagnostics, []);
      assert.equal(stringLiterals(parsed)[0], literal);
      assert.equal((audit.ofType('hunt.run')[0]?.detail as Record<string, unknown>).hunt, hunt);
    });
  }

  it('runs "buscar processos em ws-fin-042 últimas 24h" and titles the result in Portuguese', async () => {
    service.script.push(huntingAnswer(['FileName'], [{ FileName: 'x.exe' }]));
    const reply = await say('buscar processos em ws-fin-042 últimas 24h', ['SOC.Analyst'], 'pt-BR');
    assert.match(textOf(reply), /1 linha/);
    assert.match(
      textOf(reply),
      /Processos recentes em um dispositivo: ws-fin-042\.corp\.contoso\.com, últimas 24 horas/,
    );
    assert.match((JSON.parse(service.received[0]!.body) as { Query: string }).Query, /let since = ago\(1440m\)/);
  });

  it('refuses ad-hoc KQL without SOC.Hunter, says what to use instead, audits it and sends nothing', async () => {
    const reply = await say('kql DeviceInfo\n| take 10', ['SOC.Analyst', 'SOC.Responder']);
    assert.equal(textOf(reply), 'Ad-hoc KQL needs the SOC.Hunter role; saved hunts: "hunts".');
    assert.equal(service.received.length, 0);
    const [refusal] = audit.ofType('hunt.refused');
    assert.equal((refusal?.detail as Record<string, unknown>).reason, 'roleMissing');
    assert.equal(auditedQuery(refusal!), 'DeviceInfo\n| take 10');
  });

  it("sends a SOC.Hunter's multi-line KQL exactly as typed and audits it", async () => {
    service.script.push(huntingAnswer(['DeviceName'], []));
    const query = 'DeviceInfo\n| where DeviceName startswith "ws-"\n| take 10';
    const reply = await say(`kql\n${query}`, ['SOC.Analyst', 'SOC.Hunter']);
    assert.equal((JSON.parse(service.received[0]!.body) as { Query: string }).Query, query);
    assert.match(textOf(reply), /0 rows/);
    assert.equal(auditedQuery(audit.ofType('hunt.run')[0]!), query);
  });

  it('says when ad-hoc KQL is too long to send, and sends nothing', async () => {
    const reply = await say(`kql DeviceInfo | where FileName in (${"'a.exe', ".repeat(1_500)}'b.exe')`, ['SOC.Hunter']);
    assert.match(textOf(reply), /longer than 12,000 characters/);
    assert.equal(service.received.length, 0);
  });

  it('explains a syntax error with the service message and position, and audits the failure', async () => {
    service.script.push({
      status: 400,
      chunks: [graphError('BadRequest', "Syntax error: Query could not be parsed at 'wher' on line [2,3]")],
    });
    await assert.rejects(say('kql DeviceInfo\n| wher x', ['SOC.Hunter']), (err: unknown) => {
      assert.ok(isAppError(err, 'huntFailed'));
      const message = userMessageFor(err, 'run hunts');
      assert.equal(message.heading, 'The query has a syntax error');
      assert.match(message.text, /at line 2, column 3: Syntax error: Query could not be parsed/);
      return true;
    });
    assert.equal((audit.ofType('hunt.run')[0]?.detail as Record<string, unknown>).outcome, 'syntax');
  });

  const hostileCommands = [
    "hunt logons of alice'|union",
    "hunt logons of x';DeviceInfo",
    'hunt connections to 203.0.113.7"',
    "hunt processes on ws-fin-042'",
    'hunt connections to evil.example\u2028|union',
  ];
  for (const command of hostileCommands) {
    it(`sends no query for ${JSON.stringify(command)}`, async () => {
      const reply = await say(command);
      assert.equal(service.received.length, 0, textOf(reply));
      assert.equal(audit.ofType('hunt.run').length, 0);
    });
  }

  it('refuses forged hunt buttons at the schema, and never takes a typed value that is not its type', async () => {
    assert.equal(prepareCardAction('hunt.run', { hunt: "x' | union" }).ok, false);
    assert.equal(
      prepareCardAction('hunt.run', { hunt: 'processes-on-device', source: { kind: 'device', id: "a' or '1" } }).ok,
      false,
    );
    assert.equal(prepareCardAction('hunt.run', { hunt: 'processes-on-device', deviceName: 'ws-fin-042' }).ok, false);
    const reply = await click({ hunt: 'logons-of-user', entity: "alice' | union DeviceInfo" });
    assert.match(textOf(reply), /That is not a User account/);
    assert.equal(service.received.length, 0);
  });

  it("fills a device card's hunt from the device Defender returns for the id, not from the card", async () => {
    service.script.push(huntingAnswer(['FileName'], [{ FileName: 'a.exe' }]));
    await click({ hunt: 'processes-on-device', source: { kind: 'device', id: WS_FIN_042.id } });
    const query = (JSON.parse(service.received[0]!.body) as { Query: string }).Query;
    assert.deepEqual(stringLiterals(parseKql(query)).slice(0, 2), [WS_FIN_042.computerDnsName, WS_FIN_042.id]);
  });

  it("fills an alert card's hunt from the alert's evidence, reloaded by id", async () => {
    service.script.push(huntingAnswer(['DeviceName'], [{ DeviceName: 'x' }]));
    await click({ hunt: 'devices-that-ran-file', source: { kind: 'alert', id: 'da639307847308570000_-1580510265' } });
    const query = (JSON.parse(service.received[0]!.body) as { Query: string }).Query;
    assert.equal(stringLiterals(parseKql(query))[0], SHA1);
  });

  it('answers an unknown hunt with the closest one as a button whose command runs', async () => {
    const reply = await say('hunt procesess on ws-fin-042');
    assert.equal(reply.kind, 'card');
    const json = JSON.stringify(reply.kind === 'card' ? reply.card : {});
    const command = /"command":"([^"]+)"/.exec(json)?.[1];
    assert.equal(command, 'hunt processes-on-device ws-fin-042');
    service.script.push(huntingAnswer(['FileName'], []));
    await say(command);
    assert.equal(service.received.length, 1);
  });

  it('answers a device that does not resolve with the devices it might be, each running the hunt', async () => {
    const reply = await say('hunt processes on ws-fin-04');
    const json = JSON.stringify(reply.kind === 'card' ? reply.card : {});
    assert.match(json, /"verb":"hunt\.run"/);
    assert.match(json, /"hunt":"processes-on-device"/);
    assert.equal(service.received.length, 0);
  });

  it('puts a Hunt button on the device and alert cards whose hunts name the card by id, and they run', async () => {
    const withButtons = {
      ...context(['SOC.Analyst']),
      huntButton: (source: { kind: 'alert' | 'device' | 'incident'; id: string }) =>
        hunting.buttonFor(source, translatorFor('en')),
    };
    const device = await showDevice(withButtons, 'ws-fin-042');
    const alert = await showAlert(withButtons, 'da639307847308570000_-1580510265');
    const buttonsOf = (reply: Reply) => {
      const actions =
        reply.kind === 'card'
          ? (reply.card.actions as { type: string; card?: { actions: { data: unknown }[] } }[])
          : [];
      const hunt = actions.find((a) => a.type === 'Action.ShowCard' && JSON.stringify(a).includes('hunt.run'));
      return (hunt?.card?.actions ?? []).map((a) => a.data as { hunt: string; source: { kind: string; id: string } });
    };
    for (const reply of [device, alert])
      assertValidAdaptiveCard(reply.kind === 'card' ? reply.card : {}, { maxActions: 6 });
    assert.deepEqual(buttonsOf(device), [
      { hunt: 'processes-on-device', source: { kind: 'device', id: WS_FIN_042.id } },
    ]);
    const alertHunts = buttonsOf(alert).map((d) => d.hunt);
    assert.ok(
      alertHunts.includes('process-tree-of-alert') && alertHunts.includes('devices-that-ran-file'),
      alertHunts.join(),
    );
    assert.equal(alertHunts[0], 'process-tree-of-alert');
    assert.ok(alertHunts.length <= 6);
    service.script.push(huntingAnswer(['FileName'], []));
    await click(buttonsOf(device)[0]);
    assert.equal(service.received.length, 1);
  });

  it("runs the hunts card's Run with the value typed for that hunt only", async () => {
    service.script.push(huntingAnswer(['RemoteIP'], []));
    await click({
      hunt: 'connections-to-ip',
      'entity-connections-to-ip': '203.0.113.7',
      'entity-logons-of-user': "x' | union DeviceInfo",
    });
    const query = (JSON.parse(service.received[0]!.body) as { Query: string }).Query;
    assert.deepEqual(stringLiterals(parseKql(query)).slice(0, 1), ['203.0.113.7']);
  });

  it('lists the saved hunts with a Run button each, without signing in', () => {
    const reply = hunting.list(translatorFor('pt-BR'));
    const text = textOf(reply);
    assert.match(text, /8 buscas salvas/);
    assertValidAdaptiveCard(reply.kind === 'card' ? reply.card : {});
    assert.match(text, /Árvore de processos de um alerta/);
    assert.equal(JSON.stringify(reply.kind === 'card' ? reply.card : {}).match(/"verb":"hunt\.run"/g)?.length, 8);
  });
});
