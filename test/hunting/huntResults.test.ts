import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import type { HuntingColumn, HuntingResultRow } from '../../src/hunting/huntingTypes';
import { useAzurite } from '../support/azurite';
import { BotClient, visibleText } from '../support/botClient';
import { groupChat, persona, personalChat } from '../support/demoTenant';
import { testConfig } from '../support/testApp';
import type { HuntResultBot } from './huntResultHarness';
import { commandContextOf, startHuntResultBot, streamedAnswer } from './huntResultHarness';

type Card = Record<string, unknown>;
type InvokeBody = { statusCode: number; type: string; value: unknown };

const COLUMNS: HuntingColumn[] = [
  { name: 'Timestamp', type: 'DateTime' },
  { name: 'ReportId', type: 'Int64' },
  { name: 'DeviceName', type: 'String' },
  { name: 'FileName', type: 'String' },
  { name: 'Unused', type: 'String' },
  { name: 'ProcessCommandLine', type: 'String' },
];

/** Row i: ReportId i, a pseudo-random FileSize-like order in FileName, a timestamp i minutes after the epoch of the hunt. */
function row(i: number): HuntingResultRow {
  return {
    Timestamp: new Date(Date.UTC(2026, 11, 1, 0, i % 1440)).toISOString(),
    ReportId: i,
    DeviceName: `ws-${String(i).padStart(5, '0')}`,
    FileName: `file-${String((i * 7919) % 1000).padStart(3, '0')}.exe`,
    Unused: null,
    ProcessCommandLine: `cmd.exe /c echo ${i}`,
  };
}

function rows(count: number): () => Iterable<HuntingResultRow> {
  return function* () {
    for (let i = 1; i <= count; i += 1) yield row(i);
  };
}

function cardOf(body: InvokeBody): Card {
  assert.equal(body.type, 'application/vnd.microsoft.card.adaptive', JSON.stringify(body).slice(0, 300));
  return body.value as Card;
}

/** The table's data rows as cell texts (the header row left out). */
function tableRows(card: Card): string[][] {
  const table = (card.body as { type: string; rows?: { cells: unknown[] }[] }[]).find((e) => e.type === 'Table');
  if (!table?.rows) return [];
  return table.rows.slice(1).map((r) => r.cells.map((cell) => visibleText(cell)));
}

function tableHeaders(card: Card): string[] {
  const table = (card.body as { type: string; rows?: { cells: unknown[] }[] }[]).find((e) => e.type === 'Table');
  return (table?.rows?.[0]?.cells ?? []).map((cell) => visibleText(cell));
}

function actionData(card: Card, verb: string): Record<string, unknown> {
  const found = (card.actions as { verb?: string; data?: Record<string, unknown> }[]).find((a) => a.verb === verb);
  assert.ok(found, `no ${verb} button`);
  return found.data ?? {};
}

describe('hunt results through POST /api/messages (two instances on one Blob container)', function () {
  this.timeout(120_000);
  const azurite = useAzurite();
  let first: HuntResultBot;
  let second: HuntResultBot;
  let clockOffsetMs = 0;
  const now = () => new Date(Date.now() + clockOffsetMs);
  const adele = persona('Adele');
  const megan = persona('Megan');

  before(async () => {
    const env = {
      STORAGE_CONNECTION_STRING: azurite().connectionString,
      STORAGE_CONTAINER: `hunt-${randomBytes(5).toString('hex')}`,
      NOTIFY_POLL: 'off',
    };
    first = await startHuntResultBot(testConfig(env), now);
    second = await startHuntResultBot(testConfig(env), now);
  });
  after(async () => {
    await first?.stop();
    await second?.stop();
  });
  afterEach(() => {
    clockOffsetMs = 0;
  });

  async function present(count: number, by = adele): Promise<Card> {
    const reply = await first.huntResults.present(
      commandContextOf(by),
      undefined,
      {
        huntName: 'processes-on-device',
        title: 'Processes on ws-fin-042, last 24 hours',
        query: 'DeviceProcessEvents',
      },
      streamedAnswer(COLUMNS, rows(count)),
      () => ({ elapsedMs: 1234, callsThisMinute: 3, callsThisHour: 17 }),
    );
    assert.equal(reply.kind, 'card');
    return reply.card;
  }

  it('answers with the first page, the row count, time and quota, skipping empty columns', async () => {
    const card = await present(1234);
    const text = visibleText(card);
    assert.match(text, /Processes on ws-fin-042, last 24 hours/);
    assert.match(text, /1,234 rows · took 1\.2 s/);
    assert.match(text, /3 of 45 calls this minute · 17 of 1,500 this hour/);
    assert.match(text, /Rows 1–10 of 1,234/);
    assert.deepEqual(tableHeaders(card), ['Timestamp', 'DeviceName', 'FileName', 'ProcessCommandLine', 'ReportId']);
    assert.deepEqual(
      tableRows(card).map((r) => r[1]),
      Array.from({ length: 10 }, (_, i) => `ws-${String(i + 1).padStart(5, '0')}`),
    );
  });

  it('serves the next pages from the other instance, to the person who ran the hunt', async () => {
    const card = await present(1234);
    const bot = new BotClient(second.url, DEMO_BOT_ID);
    const next = cardOf(await bot.execute('hunt.page', actionData(card, 'hunt.page'), adele, personalChat(adele)));
    assert.match(visibleText(next), /Rows 11–20 of 1,234/);
    assert.equal(tableRows(next)[0]?.[1], 'ws-00011');
    const last = cardOf(
      await bot.execute(
        'hunt.page',
        { resultId: actionData(card, 'hunt.csv').resultId, page: 123 },
        adele,
        personalChat(adele),
      ),
    );
    assert.deepEqual(
      tableRows(last).map((r) => r[1]),
      ['ws-01231', 'ws-01232', 'ws-01233', 'ws-01234'],
    );
    assert.equal(
      (last.actions as { verb: string; title: string }[]).some((a) => a.title === 'Next'),
      false,
      'no Next on the last page',
    );
  });

  it('sorts by a column, streaming every stored chunk', async () => {
    const card = await present(1234);
    const bot = new BotClient(first.url, DEMO_BOT_ID);
    const resultId = actionData(card, 'hunt.sort').resultId;
    const sorted = cardOf(
      await bot.execute('hunt.sort', { resultId, sort: 'ReportId:desc' }, adele, personalChat(adele)),
    );
    assert.deepEqual(
      tableRows(sorted).map((r) => r[4]),
      ['1,234', '1,233', '1,232', '1,231', '1,230', '1,229', '1,228', '1,227', '1,226', '1,225'],
    );
    assert.match(visibleText(sorted), /sorted by ReportId \(descending\)/);
    // "Next" keeps the order: the page after is the next ten in the same sort.
    const next = cardOf(await bot.execute('hunt.page', actionData(sorted, 'hunt.page'), adele, personalChat(adele)));
    assert.equal(tableRows(next)[0]?.[4], '1,224');
    // By file name ascending: ties keep the hunt's order.
    const byName = cardOf(
      await bot.execute('hunt.sort', { resultId, sort: 'FileName:asc' }, adele, personalChat(adele)),
    );
    const names = tableRows(byName).map((r) => r[2]);
    assert.deepEqual(names, [...names].sort());
    assert.equal(names[0], 'file-000.exe');
  });

  it("refuses another person's result and audits the refusal", async () => {
    const card = await present(25);
    const bot = new BotClient(second.url, DEMO_BOT_ID);
    const answer = cardOf(await bot.execute('hunt.page', actionData(card, 'hunt.page'), megan, personalChat(megan)));
    assert.match(visibleText(answer), /Not your results/);
    assert.doesNotMatch(JSON.stringify(answer), /ws-000/);
    const resultId = String(actionData(card, 'hunt.page').resultId);
    const refusals = (await second.audit.recent({ limit: 1000 })).filter(
      (e) => e.type === 'request.refused' && typeof e.detail === 'object' && e.detail.resultId === resultId,
    );
    assert.equal(refusals.length, 1);
    assert.equal((refusals[0]?.detail as Record<string, unknown>).fromAadObjectId, megan.aadObjectId);
  });

  it('says the results expired after 24 hours', async () => {
    const card = await present(25);
    clockOffsetMs = 24 * 60 * 60_000 + 60_000;
    const bot = new BotClient(first.url, DEMO_BOT_ID);
    const answer = cardOf(await bot.execute('hunt.page', actionData(card, 'hunt.page'), adele, personalChat(adele)));
    assert.match(visibleText(answer), /These results expired .* Run the hunt again/);
  });

  it('offers the CSV in a personal chat only', async () => {
    const card = await present(25);
    const bot = new BotClient(first.url, DEMO_BOT_ID);
    const answer = await bot.execute('hunt.csv', actionData(card, 'hunt.csv'), adele, groupChat);
    assert.equal(answer.type, 'application/vnd.microsoft.activity.message');
    assert.match(String(answer.value), /CSV download is offered in a personal chat with the bot/);
  });
});
