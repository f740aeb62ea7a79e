import assert from 'node:assert/strict';
import { chooseHuntColumns, toHuntResultCard } from '../../src/cards/huntResultCard';
import { stampCard } from '../../src/cards/customerStamp';
import { MAX_CARD_BYTES } from '../../src/cards/renderCard';
import type { HuntResultHeader } from '../../src/hunting/huntResultStore';
import { translatorFor } from '../../src/i18n/translator';
import { visibleText } from '../support/botClient';

function header(overrides: Partial<HuntResultHeader> = {}): HuntResultHeader {
  return {
    id: 'H-AAAAAAAAAAAAAAAAAAAAAAAA',
    owner: { tenantId: 't', userId: 'u', userTenantId: 't' },
    title: 'Network connections to 203.0.113.7',
    columns: [
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'RemoteIP', type: 'String' },
      { name: 'DeviceName', type: 'String' },
      { name: 'count_', type: 'Int64' },
    ],
    filledColumns: ['Timestamp', 'RemoteIP', 'DeviceName', 'count_'],
    rowCount: 1234,
    truncated: false,
    chunkRowCounts: [500, 500, 234],
    csvBytes: 1000,
    timing: { elapsedMs: 2500, callsThisMinute: 4, callsThisHour: 40 },
    createdAt: '2026-12-07T04:00:00.000Z',
    expiresAt: '2026-12-08T04:00:00.000Z',
    ...overrides,
  };
}

function cardBytes(card: unknown): number {
  return Buffer.byteLength(JSON.stringify(card));
}

describe('hunt result card', () => {
  it('shows the preferred columns first, then counts, then the rest, skipping empty ones', () => {
    const columns = [
      { name: 'ReportId', type: 'Int64' },
      { name: 'AccountName', type: 'String' },
      { name: 'Empty', type: 'String' },
      { name: 'dcount_DeviceId', type: 'Int64' },
      { name: 'FileName', type: 'String' },
      { name: 'Timestamp', type: 'DateTime' },
      { name: 'SHA1', type: 'String' },
    ];
    const names = chooseHuntColumns({
      columns,
      filledColumns: columns.filter((c) => c.name !== 'Empty').map((c) => c.name),
    }).map((c) => c.name);
    assert.deepEqual(names, ['Timestamp', 'FileName', 'AccountName', 'dcount_DeviceId', 'ReportId']);
  });

  it('stays under the card size limit whatever the cells hold, with a customer banner', () => {
    const hostile = ['"'.repeat(5000), '漢'.repeat(5000), '🙂'.repeat(5000), '\\'.repeat(5000), '\u0001'.repeat(5000)];
    // Half the names are plain (sortable), half are bracketed names full of quotes.
    const columns = Array.from({ length: 40 }, (_, i) => ({
      name: i % 2 === 0 ? `${'C'.repeat(60)}${i}`.slice(-64) : `${'"'.repeat(250)}${i}`,
      type: 'String',
    }));
    const rows = Array.from({ length: 10 }, (_, r) =>
      Object.fromEntries(columns.map((c, i) => [c.name, hostile[(r + i) % hostile.length]])),
    );
    for (const locale of ['en', 'pt-BR'] as const) {
      const i18n = translatorFor(locale);
      const card = toHuntResultCard(
        {
          header: header({
            title: '"'.repeat(3000),
            columns,
            filledColumns: columns.map((c) => c.name),
            rowCount: 100_000,
            truncated: true,
          }),
          page: 3,
          rows,
          sort: { column: columns[0]!.name, direction: 'desc' },
          sortedLimit: 2000,
        },
        i18n,
      );
      const stamped = stampCard(
        card,
        { id: '00000000-0000-0000-0000-000000000001', customerName: '"'.repeat(500) },
        i18n,
      );
      assert.ok(cardBytes(stamped) <= MAX_CARD_BYTES, `${locale}: ${cardBytes(stamped)} bytes`);
    }
  });

  it('writes dates in the viewer’s language and time zone, and numbers their way', () => {
    const card = toHuntResultCard(
      {
        header: header(),
        page: 0,
        rows: [{ Timestamp: '2026-12-07T04:15:00Z', RemoteIP: '203.0.113.7', DeviceName: 'ws-fin-042', count_: 12345 }],
      },
      translatorFor('pt-BR', 'America/Sao_Paulo'),
    );
    const text = visibleText(card);
    assert.match(text, /7 de dez\. de 2026, 01:15/);
    assert.match(text, /12\.345/);
    assert.match(text, /1\.234 linhas · levou 2,5 s/);
    assert.match(text, /4 de 45 chamadas neste minuto · 40 de 1\.500 nesta hora/);
  });

  it('says when the hunt returned nothing, and offers neither sorting nor a CSV', () => {
    const empty = toHuntResultCard({ header: header({ rowCount: 0 }), page: 0, rows: [] }, translatorFor('en'));
    assert.match(visibleText(empty), /The hunt returned no rows\./);
    assert.deepEqual(empty.actions, []);
    const blank = toHuntResultCard(
      { header: header({ rowCount: 2, filledColumns: [] }), page: 0, rows: [{ RemoteIP: '' }, { RemoteIP: null }] },
      translatorFor('en'),
    );
    assert.match(visibleText(blank), /These rows have no values in any column\./);
    assert.equal(JSON.stringify(blank).includes('"Table"'), false);
  });

  it('carries only the result id, the page and the sort on its buttons', () => {
    const card = toHuntResultCard(
      {
        header: header(),
        page: 1,
        rows: [{ Timestamp: '2026-12-07T04:15:00Z', RemoteIP: '203.0.113.7', DeviceName: 'ws', count_: 1 }],
        sort: { column: 'count_', direction: 'asc' },
      },
      translatorFor('en'),
    );
    const actions = card.actions as { verb: string; data: unknown }[];
    assert.deepEqual(
      actions.map((a) => [a.verb, a.data]),
      [
        ['hunt.page', { resultId: 'H-AAAAAAAAAAAAAAAAAAAAAAAA', sort: 'count_:asc', page: 0 }],
        ['hunt.page', { resultId: 'H-AAAAAAAAAAAAAAAAAAAAAAAA', sort: 'count_:asc', page: 2 }],
        ['hunt.sort', { resultId: 'H-AAAAAAAAAAAAAAAAAAAAAAAA' }],
        ['hunt.csv', { resultId: 'H-AAAAAAAAAAAAAAAAAAAAAAAA' }],
      ],
    );
  });
});
