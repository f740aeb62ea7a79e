import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import type { FileConsentAttachment } from '../../src/simulator/channel/fileUploadSessions';
import { fileConsentInvokeValue, startFileUploadServer } from '../../src/simulator/channel/fileUploadSessions';
import { markdownEffects, markdownSurfaces } from '../fixtures/adaptiveCards';
import { readAuditFile } from '../support/auditFile';
import type { TeamsConversation, TeamsUser } from '../support/botClient';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { demoSeed, persona, personalChat } from '../support/demoTenant';
import { startTestApp, testConfig } from '../support/testApp';
import { assertValidAdaptiveCard } from '../fixtures/adaptiveCards';
import { answerText, findExecute, firstCard, investigateButtons } from '../investigation/investigationWorld';

/*
 * Issue 14 end to end: saved hunts, ad-hoc KQL, result paging/sorting/CSV and the Hunt and Investigate buttons,
 * through the bot's real POST /api/messages in demo mode, against the in-process simulator's KQL engine over the demo
 * tenant's events. The known answers are the demo story's (src/simulator/seed/demoStory.ts).
 */

const C2_IP = '198.51.100.77';
const WS_FIN_042 = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-042.'))!;
const PS_ALERT = demoSeed.alerts.find((a) => a.title.startsWith('Suspicious PowerShell'))!;
const PS_SHA1 = PS_ALERT.evidence.find((e) => e.entityType === 'Process')!.sha1!;
/** The demo story's incident on ws-fin-042 (its alerts name the device, the file, the C2 and the accounts). */
const STORY_INCIDENT = '2301';
const MAIL_ALERT = demoSeed.alerts.find((a) => a.title.startsWith('Suspicious process launched from an email'))!;

/** Short names of the devices whose process events ran `sha1`, from the seed (the oracle). */
function devicesThatRan(sha1: string): string[] {
  const ids = new Set(
    ((demoSeed.events?.DeviceProcessEvents ?? []) as Record<string, unknown>[])
      .filter((row) => row.SHA1 === sha1)
      .map((row) => row.DeviceId as string),
  );
  return demoSeed.machines
    .filter((m) => ids.has(m.id))
    .map((m) => m.computerDnsName.split('.')[0]!)
    .sort();
}

type Attachment = FileConsentAttachment & { contentType: string; content?: unknown };

/** Attachments of one content type in the bot's answers. */
function attachmentsOf(activities: { attachments?: Attachment[] }[], contentType: string): Attachment[] {
  return activities.flatMap((a) => a.attachments ?? []).filter((a) => a.contentType === contentType);
}

/** What Teams puts around an activity in a person's personal chat. */
function envelopeOf(user: TeamsUser) {
  const chat = personalChat(user);
  return {
    id: `e2e-${Math.random().toString(36).slice(2)}`,
    channelId: 'msteams',
    serviceUrl: 'http://127.0.0.1:1/_connector',
    from: { id: user.id, name: user.name, aadObjectId: user.aadObjectId },
    recipient: { id: DEMO_BOT_ID, name: 'Defender SOC Bot' },
    conversation: chat,
    channelData: { tenant: { id: chat.tenantId } },
    locale: 'en-US',
  };
}

type AuditEntry = { type: string; actor?: { aadObjectId?: string }; detail: Record<string, unknown> };

/** The query an audit entry recorded, joined from its `query`, `query2`… parts. */
function auditedQuery(entry: AuditEntry): string {
  return Object.keys(entry.detail)
    .filter((k) => /^query\d*$/.test(k))
    .sort((a, b) => Number(a.slice(5) || 1) - Number(b.slice(5) || 1))
    .map((k) => entry.detail[k] as string)
    .join('');
}

/** The rows of a hunt result card: its table's cells, row by row (the header row first). */
function tableRows(card: unknown): string[][] {
  const rows: string[][] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'TableRow') {
      rows.push(((record.cells ?? []) as unknown[]).map((cell) => visibleText(cell)));
      return;
    }
    Object.values(record).forEach(walk);
  };
  walk(card);
  return rows;
}

describe('hunting end to end (POST /api/messages, the simulator’s real KQL over the demo story)', function () {
  this.timeout(180_000);
  let app: RunningApp;
  let bot: BotClient;
  let dataDir: string;
  const adele = persona('Adele');
  const alex = persona('Alex');

  before(async () => {
    const config = testConfig({ NOTIFY_POLL: 'off' });
    dataDir = config.dataDir;
    app = await startTestApp(config);
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app?.stop());
  afterEach(() => app.demo!.simulator.graph.hunting.reset());

  const huntAudits = () => readAuditFile<AuditEntry>(dataDir).filter((e) => e.type === 'hunt.run');

  /** An invoke from Adele's personal chat; the bot's messages (its answer buffered with expectReplies). */
  async function invoke(name: string, value: unknown): Promise<{ attachments?: Attachment[] }[]> {
    const sent = await bot.post({ ...envelopeOf(adele), type: 'invoke', name, value, deliveryMode: 'expectReplies' });
    assert.equal(sent.status, 200, JSON.stringify(sent.body));
    return (sent.body as { activities: { type: string; attachments?: Attachment[] }[] }).activities.filter(
      (a) => a.type === 'message',
    );
  }

  async function ask(text: string, who: TeamsUser = adele, where: TeamsConversation = personalChat(who)) {
    const replies = await bot.say(text, who, where);
    assert.ok(replies.length > 0, `no answer to "${text}"`);
    return replies[0]!;
  }

  /** The first card of the answer to `text`, and its table (header row first). */
  async function huntCard(text: string, who: TeamsUser = adele) {
    const card = firstCard(await ask(text, who));
    return { card, rows: tableRows(card), text: visibleText(card) };
  }

  /** The values of one column of a result table. */
  function column(rows: string[][], name: string): string[] {
    const at = rows[0]!.indexOf(name);
    assert.ok(at >= 0, `the table shows ${name}: ${JSON.stringify(rows[0])}`);
    return rows.slice(1).map((row) => row[at]!);
  }

  const short = (names: string[]) => [...new Set(names.map((n) => n.split('.')[0]!))].sort();

  describe('each saved hunt by command, with the demo story’s known answers', () => {
    it('processes on ws-fin-042 in the last 24 hours: the encoded PowerShell and rundll32 of the attack', async () => {
      const { rows } = await huntCard('hunt processes on ws-fin-042 last 24h');
      assert.deepEqual(short(column(rows, 'DeviceName')), ['ws-fin-042']);
      const files = column(rows, 'FileName');
      assert.ok(files.includes('powershell.exe') && files.includes('rundll32.exe'), JSON.stringify(files));
      assert.ok(
        column(rows, 'ProcessCommandLine').some((line) => / -enc /.test(line)),
        'the encoded command line is there',
      );
    });

    it('connections to 198.51.100.77: ws-fin-042’s beacons and the second device', async () => {
      const { rows } = await huntCard(`hunt connections to ${C2_IP}`);
      assert.deepEqual(short(column(rows, 'DeviceName')), ['ws-fin-042', 'ws-fin-043']);
      assert.ok(column(rows, 'RemoteIP').every((ip) => ip === C2_IP));
    });

    it('connections to the C2 domain: the same beacons by URL', async () => {
      const { rows } = await huntCard('hunt connections to domain cdn-update.evil.example');
      assert.ok(rows.length > 1);
      assert.ok(column(rows, 'RemoteUrl').every((url) => url.includes('cdn-update.evil.example')));
      assert.ok(short(column(rows, 'DeviceName')).includes('ws-fin-042'));
    });

    it('logons of adm-allan: the hop to ws-fin-043 and the domain controller', async () => {
      const { rows } = await huntCard('hunt logons of adm-allan');
      const devices = short(column(rows, 'DeviceName'));
      for (const device of ['ws-fin-042', 'ws-fin-043', 'dc-01']) assert.ok(devices.includes(device), device);
      assert.ok(column(rows, 'AccountName').every((name) => name === 'adm-allan'));
    });

    it('devices adm-allan logged on to: one row per device', async () => {
      const { rows } = await huntCard('hunt devices user logged on adm-allan');
      const devices = column(rows, 'DeviceName');
      assert.equal(new Set(devices).size, devices.length, 'one row per device');
      for (const device of ['ws-fin-043', 'dc-01']) assert.ok(short(devices).includes(device), device);
    });

    it('devices that ran the attack’s PowerShell binary: ws-fin-042 among the devices the seed ran it on', async () => {
      const { rows } = await huntCard(`hunt devices that ran ${PS_SHA1}`);
      const devices = short(column(rows, 'DeviceName'));
      assert.ok(devices.includes('ws-fin-042'));
      // Powershell.exe's own hash: every device the seed ran it on within the hunt's 7 days (none other).
      for (const device of devices) assert.ok(devicesThatRan(PS_SHA1).includes(device), device);
      assert.ok(column(rows, 'FileName').every((name) => name === 'powershell.exe'));
    });

    it('devices where the DLL landed (rundll32 loads it, so no process of its own): ws-fin-042, ws-fin-043, dc-01', async () => {
      const dll = demoSeed.alerts.flatMap((a) => a.evidence).find((e) => e.fileName === 'wvgqzp.dll' && e.sha1)!;
      assert.equal((await huntCard(`hunt devices that ran ${dll.sha1}`)).rows.length, 0, 'it never ran itself');
      const { rows } = await huntCard(`hunt devices with file ${dll.sha1}`);
      assert.deepEqual([...new Set(short(column(rows, 'DeviceName')))].sort(), ['dc-01', 'ws-fin-042', 'ws-fin-043']);
    });

    it('process tree of the email-attachment alert: Outlook, then x).pdf.exe', async () => {
      const { rows } = await huntCard(`hunt process tree of alert ${MAIL_ALERT.id}`);
      const files = column(rows, 'FileName');
      assert.equal(files[0], 'OUTLOOK.EXE', 'oldest first');
      assert.ok(files.includes('x).pdf.exe'), JSON.stringify(files));
      assert.deepEqual(short(column(rows, 'DeviceName')), ['ws-fin-042']);
    });

    it('the attacker’s file name with a markdown link is shown as text, never as a link', async () => {
      const { card, text } = await huntCard(`hunt process tree of alert ${MAIL_ALERT.id}`);
      assert.match(text, /Invoice_\[Open\]\(https:\/\/evil\.example/, 'the command line is shown');
      assert.deepEqual(markdownSurfaces(card).flatMap(markdownEffects), []);
    });

    it('every run is audited with the exact query sent and the row count', async () => {
      const before = huntAudits().length;
      const { text } = await huntCard(`hunt connections to ${C2_IP}`);
      const entries = huntAudits().slice(before);
      assert.equal(entries.length, 1);
      assert.equal(entries[0]!.detail.hunt, 'connections-to-ip');
      assert.equal(entries[0]!.detail.outcome, 'answered');
      assert.equal(`${String(entries[0]!.detail.rowCount)} rows`, /(\d+) rows/.exec(text)![0]);
      assert.match(auditedQuery(entries[0]!), /DeviceNetworkEvents/);
    });
  });

  describe('a real result: next page, sort, CSV', () => {
    it('pages through a long result and sorts it by a column', async () => {
      const { card, rows } = await huntCard('hunt processes on ws-fin-042 last 24h');
      const next = findExecute(card, 'hunt.page');
      assert.ok(next, 'a long result has a Next button');
      const firstPage = rows.slice(1).map((r) => r.join('|'));
      const page2 = await bot.execute('hunt.page', next.data, adele, personalChat(adele));
      const secondPage = tableRows(page2.value)
        .slice(1)
        .map((r) => r.join('|'));
      assert.ok(secondPage.length > 0);
      assert.notDeepEqual(secondPage, firstPage, 'the second page shows other rows');
      assert.match(visibleText(page2.value), new RegExp(`Rows ${firstPage.length + 1}–`));
      const sort = findExecute(card, 'hunt.sort')!;
      const sorted = await bot.execute('hunt.sort', { ...sort.data, sort: 'FileName:asc' }, adele, personalChat(adele));
      const names = column(tableRows(sorted.value), 'FileName');
      assert.deepEqual(
        names,
        [...names].sort((a, b) => a.localeCompare(b, 'en', { sensitivity: 'base' })),
      );
    });

    it('Download CSV in a personal chat: file consent, Allow, and the file holds every row of the hunt', async () => {
      const { card, text } = await huntCard(`hunt connections to ${C2_IP}`);
      const csv = findExecute(card, 'hunt.csv')!;
      const [consent] = attachmentsOf(
        await invoke('adaptiveCard/action', {
          action: { type: 'Action.Execute', verb: 'hunt.csv', data: csv.data },
          trigger: 'manual',
        }),
        'application/vnd.microsoft.teams.card.file.consent',
      );
      assert.ok(consent, 'a file consent card');
      assert.match(consent.name ?? '', /^hunt-connections-to-ip-\d{8}-\d{4}\.csv$/);
      const uploads = await startFileUploadServer();
      try {
        const [info] = attachmentsOf(
          await invoke('fileConsent/invoke', fileConsentInvokeValue(consent, 'accept', uploads.sessions)),
          'application/vnd.microsoft.teams.card.file.info',
        );
        assert.ok(info, 'a file info card once uploaded');
        const file = uploads.sessions.file((info.content as { uniqueId: string }).uniqueId);
        assert.ok(file, 'the upload completed');
        const lines = file
          .toString('utf8')
          .replace(/^\uFEFF/, '')
          .trim()
          .split(/\r?\n/);
        assert.equal(`${lines.length - 1} rows`, /(\d+) rows/.exec(text)![0], 'a header and every row');
        assert.match(lines[0]!, /InitiatingProcessCommandLine/, 'every column, not only the card’s');
        assert.ok(lines.some((line) => line.includes('ws-fin-043')));
      } finally {
        await uploads.close();
      }
    });
  });

  describe('who may hunt what', () => {
    it('without SOC.Hunter, `kql DeviceInfo | take 5` is refused in words and audited; nothing is sent', async () => {
      const before = huntAudits().length;
      const reply = await ask('kql DeviceInfo | take 5', alex);
      assert.match(typeof reply.text === 'string' ? reply.text : visibleText(reply), /needs the SOC\.Hunter role/);
      assert.equal(huntAudits().length, before, 'no query ran');
      const refused = readAuditFile<AuditEntry>(dataDir).filter(
        (e) => e.type === 'hunt.refused' && e.actor?.aadObjectId === alex.aadObjectId,
      );
      assert.equal(refused.length, 1);
      assert.equal(refused[0]!.detail.reason, 'roleMissing');
      assert.equal(auditedQuery(refused[0]!), 'DeviceInfo | take 5');
    });

    it('with SOC.Hunter, the same query answers rows', async () => {
      const megan = persona('Megan');
      const { rows, text } = await huntCard('kql DeviceInfo | take 5', megan);
      assert.match(text, /5 rows/);
      assert.equal(rows.length - 1, 5);
    });

    it('a persona limited to the Finance workstations gets only their rows', async () => {
      const patti = persona('Patti');
      const all = short(column((await huntCard('hunt logons of adm-allan')).rows, 'DeviceName'));
      assert.ok(all.includes('dc-01'), 'someone who sees every group sees the domain controller');
      const { rows } = await huntCard('hunt logons of adm-allan', patti);
      const seen = short(column(rows, 'DeviceName'));
      assert.ok(seen.length > 0);
      for (const device of seen) assert.match(device, /^ws-fin-/);
    });
  });

  describe('KQL injection through commands and card payloads: none succeeds', () => {
    /** Runs `attempt`; every hunt it ran must have read no row, and nothing beyond the intended hunt's table. */
    async function assertNoInjection(attempt: () => Promise<unknown>) {
      const before = huntAudits().length;
      await attempt();
      for (const entry of huntAudits().slice(before)) {
        assert.equal(entry.detail.rowCount, 0, `a row came back for ${auditedQuery(entry)}`);
        assert.doesNotMatch(auditedQuery(entry), /^\s*(DeviceInfo|union)|\n\s*\|\s*union\b/m);
      }
    }

    for (const typed of [
      "hunt logons of adm-allan' or AccountName != '",
      'hunt logons of adm-allan" or 1==1 or AccountName == "',
      'hunt logons of x | union DeviceInfo',
      'hunt logons of x\n| union DeviceInfo',
      "hunt logons of x\\' | union DeviceInfo //",
      "hunt processes on ws-fin-042' or DeviceId != '",
      `hunt connections to ${C2_IP}' or RemoteIP != '`,
      "hunt connections to domain evil.example' or RemoteUrl != '",
    ]) {
      it(`typed: ${JSON.stringify(typed)}`, () => assertNoInjection(() => bot.say(typed, adele, personalChat(adele))));
    }

    for (const data of [
      { hunt: 'logons-of-user', entity: "x' or AccountName != '" },
      { hunt: 'logons-of-user', entity: 'x\n| union DeviceInfo' },
      { hunt: 'processes-on-device', entity: "ws-fin-042' or DeviceId != '" },
      { hunt: 'logons-of-user | union DeviceInfo', entity: 'adm-allan' },
      { hunt: 'logons-of-user', source: { kind: 'alert', id: "x' or 1==1" } },
      { hunt: 'logons-of-user', entity: 'adm-allan', query: 'DeviceInfo' },
    ]) {
      it(`tampered hunt.run: ${JSON.stringify(data)}`, () =>
        assertNoInjection(() => bot.execute('hunt.run', data, adele, personalChat(adele))));
    }

    it('a hunt button’s entity is read again from Defender: a value added to the card is never used', async () => {
      const before = huntAudits().length;
      const data = { hunt: 'processes-on-device', source: { kind: 'device', id: WS_FIN_042.id }, entity: "' or 1==1" };
      const response = await bot.execute('hunt.run', data, adele, personalChat(adele));
      const entries = huntAudits().slice(before);
      for (const entry of entries) assert.doesNotMatch(auditedQuery(entry), /1==1/);
      if (entries.length > 0) assert.deepEqual(short(column(tableRows(response.value), 'DeviceName')), ['ws-fin-042']);
    });
  });

  describe('what the service refuses, explained', () => {
    const megan = persona('Megan');

    it('a syntax error shows the service’s message with its line and column', async () => {
      const reply = await ask('kql DeviceProcessEvents | where', megan);
      const text = cardsOf(reply).length > 0 ? visibleText(cardsOf(reply)[0]) : String(reply.text);
      assert.match(text, /syntax error/i);
      assert.match(text, /at line 1, column \d+/);
    });

    it('an unknown table is named clearly', async () => {
      const reply = await ask('kql FooBarEvents | take 5', megan);
      const text = cardsOf(reply).length > 0 ? visibleText(cardsOf(reply)[0]) : String(reply.text);
      assert.match(text, /Unknown table or column/);
      assert.match(text, /FooBarEvents/);
    });

    it('the tenant’s hunting call quota used up: 429 explained with when to retry', async () => {
      app.demo!.simulator.graph.hunting.configure({ rateLimits: { perMinute: 1, perHour: 1500 } });
      await ask(`hunt connections to ${C2_IP}`);
      const reply = await ask(`hunt connections to ${C2_IP}`);
      const text = cardsOf(reply).length > 0 ? visibleText(cardsOf(reply)[0]) : String(reply.text);
      assert.match(text, /Hunting request limit reached/);
      assert.match(text, /Try again in \d+ seconds?/);
    });

    it('the tenant’s hunting CPU quota used up: explained, with the next cycle as when to retry', async () => {
      app.demo!.simulator.graph.hunting.configure({ cpuQuotaMsPerCycle: 0 });
      await ask(`hunt connections to ${C2_IP}`).catch(() => undefined);
      const reply = await ask(`hunt connections to ${C2_IP}`);
      const text = cardsOf(reply).length > 0 ? visibleText(cardsOf(reply)[0]) : String(reply.text);
      assert.match(text, /Hunting CPU quota used up/);
      assert.match(text, /Try again in \d+ seconds?/);
    });
  });

  describe('the Hunt and Investigate buttons on the alert, device and incident cards', () => {
    /** The hunt.run button of a card for one saved hunt. */
    function huntButton(card: unknown, hunt: string) {
      const button = findExecute(card, 'hunt.run', (data) => data.hunt === hunt);
      assert.ok(button, `the card offers ${hunt}: ${JSON.stringify(card).slice(0, 300)}`);
      return button;
    }

    it('the alert card’s Hunt → process tree answers what the command answers', async () => {
      const card = firstCard(await ask(`alert ${MAIL_ALERT.id}`));
      const clicked = await bot.execute(
        'hunt.run',
        huntButton(card, 'process-tree-of-alert').data,
        adele,
        personalChat(adele),
      );
      const typed = (await huntCard(`hunt process tree of alert ${MAIL_ALERT.id}`)).rows;
      assert.deepEqual(tableRows(clicked.value), typed);
      assert.equal(column(typed, 'FileName')[0], 'OUTLOOK.EXE');
    });

    it('the device card’s Hunt → recent processes: the device’s own rows', async () => {
      const card = firstCard(await ask('device ws-fin-042'));
      const clicked = await bot.execute(
        'hunt.run',
        huntButton(card, 'processes-on-device').data,
        adele,
        personalChat(adele),
      );
      assert.deepEqual(short(column(tableRows(clicked.value), 'DeviceName')), ['ws-fin-042']);
    });

    it('a file’s devices on the Investigate card include every device the “devices that ran file” hunt returns', async () => {
      const card = firstCard(await ask(`alert ${PS_ALERT.id}`));
      const investigate = investigateButtons(card).find((b) => b.data.entity === PS_SHA1);
      assert.ok(investigate, 'the alert card offers its process file');
      const investigation = answerText(
        await bot.execute('entity.investigate', investigate.data, adele, personalChat(adele)),
      );
      const hunted = await bot.execute(
        'hunt.run',
        huntButton(card, 'devices-that-ran-file').data,
        adele,
        personalChat(adele),
      );
      const devices = column(tableRows(hunted.value), 'DeviceName');
      assert.ok(devices.length > 0);
      for (const device of devices) assert.ok(investigation.includes(device), `${device} on the Investigate card`);
    });

    it('each user the device’s Investigate card lists as logged on: the logon hunt finds them on that device', async () => {
      const card = firstCard(await ask('device ws-fin-042'));
      const device = investigateButtons(card).find((b) => b.data.kind === 'device');
      assert.ok(device, 'the device card offers to investigate the device');
      const investigation = await bot.execute('entity.investigate', device.data, adele, personalChat(adele));
      const users = [...answerText(investigation).matchAll(/CONTOSO\\([\w-]+)/g)].map((m) => m[1]!);
      assert.ok(users.includes('adm-allan'), answerText(investigation));
      for (const user of new Set(users)) {
        const { rows } = await huntCard(`hunt devices user logged on ${user}`);
        assert.ok(short(column(rows, 'DeviceName')).includes('ws-fin-042'), user);
      }
    });

    it('the incident card’s Hunt → logons of its account, and its Investigate buttons answer', async () => {
      const card = firstCard(await ask(`incident ${STORY_INCIDENT}`));
      const hunt = findExecute(card, 'hunt.run');
      assert.ok(hunt, 'the incident card offers hunts');
      const clicked = await bot.execute('hunt.run', hunt.data, adele, personalChat(adele));
      assert.equal(clicked.type, 'application/vnd.microsoft.card.adaptive', answerText(clicked));
      const investigate = investigateButtons(card)[0];
      assert.ok(investigate, 'the incident card offers Investigate');
      const answer = await bot.execute('entity.investigate', investigate.data, adele, personalChat(adele));
      assert.match(answerText(answer), /investigation/i);
    });

    it('alert, device and incident cards keep at most 6 top-level actions (Teams’ limit) with Hunt and Investigate', async () => {
      for (const command of [
        `alert ${MAIL_ALERT.id}`,
        `alert ${PS_ALERT.id}`,
        'device ws-fin-042',
        `incident ${STORY_INCIDENT}`,
      ]) {
        const card = firstCard(await ask(command));
        assert.ok(findExecute(card, 'hunt.run'), `${command}: a Hunt button`);
        assert.ok(investigateButtons(card).length > 0, `${command}: Investigate buttons`);
        assert.ok((card.actions as unknown[]).length <= 6, `${command}: ${(card.actions as unknown[]).length} actions`);
        assertValidAdaptiveCard(card, { maxActions: 6 });
      }
    });
  });
});
