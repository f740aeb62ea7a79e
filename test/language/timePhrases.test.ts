import assert from 'node:assert/strict';
import { parseCommand } from '../../src/commands/parseCommand';
import type { Intent } from '../../src/commands/intents';
import { alertListQuerySchema, toAlertFilter } from '../../src/defender/alertListQuery';
import { windowOf } from '../../src/language/timePhrases';

function query(intent: Intent) {
  assert.equal(intent.id, 'alerts.list', JSON.stringify(intent));
  return intent.query;
}

// Wednesday 9 December 2026, 12:00 in São Paulo (UTC-3): "yesterday" there is Tuesday 8th from 03:00 UTC.
const saoPaulo = { now: new Date('2026-12-09T15:00:00Z'), timeZone: 'America/Sao_Paulo' };

describe('time phrases in the viewer time zone', () => {
  it('reads "show alerts from yesterday" as yesterday, never as a device named yesterday', () => {
    const q = query(parseCommand('show alerts from yesterday', undefined, saoPaulo));
    assert.equal(q.device, undefined);
    assert.equal(q.since, '2026-12-08T03:00:00.000Z');
    assert.equal(q.until, '2026-12-09T03:00:00.000Z');
  });

  it('reads the same phrases in Portuguese', () => {
    assert.deepEqual(
      [
        query(parseCommand('alertas de ontem', undefined, saoPaulo)).since,
        query(parseCommand('alertas de ontem', undefined, saoPaulo)).until,
      ],
      ['2026-12-08T03:00:00.000Z', '2026-12-09T03:00:00.000Z'],
    );
    assert.equal(query(parseCommand('alertas desde segunda', undefined, saoPaulo)).since, '2026-12-07T03:00:00.000Z');
    assert.equal(query(parseCommand('alertas desta semana', undefined, saoPaulo)).since, '2026-12-07T03:00:00.000Z');
    assert.equal(query(parseCommand('alertas nas últimas 24 horas', undefined, saoPaulo)).sinceHours, 24);
  });

  it('starts "since Monday" and "this week" on Monday midnight, and "since Friday" last Friday', () => {
    assert.equal(query(parseCommand('alerts since Monday', undefined, saoPaulo)).since, '2026-12-07T03:00:00.000Z');
    assert.equal(query(parseCommand('alerts this week', undefined, saoPaulo)).since, '2026-12-07T03:00:00.000Z');
    assert.equal(query(parseCommand('alerts since friday', undefined, saoPaulo)).since, '2026-12-04T03:00:00.000Z');
    assert.equal(query(parseCommand('alerts since friday', undefined, saoPaulo)).until, undefined);
  });

  it('reads weeks and months as calendar periods, never as one day', () => {
    const lastWeek = query(parseCommand('alerts from last week', undefined, saoPaulo));
    assert.deepEqual([lastWeek.since, lastWeek.until], ['2026-11-30T03:00:00.000Z', '2026-12-07T03:00:00.000Z']);
    const semanaPassada = query(parseCommand('alertas da semana passada', undefined, saoPaulo));
    assert.deepEqual([semanaPassada.since, semanaPassada.until], [lastWeek.since, lastWeek.until]);
    assert.equal(query(parseCommand('high alerts this month', undefined, saoPaulo)).until, undefined);
    assert.equal(query(parseCommand('alertas deste mês', undefined, saoPaulo)).since, '2026-12-01T03:00:00.000Z');
    assert.equal(
      query(parseCommand('alertas desde 3 de dezembro', undefined, saoPaulo)).since,
      '2026-12-03T03:00:00.000Z',
    );
    assert.equal(parseCommand('alerts this weekend', undefined, saoPaulo).id, 'unknown');
  });

  it('uses the viewer zone: the same instant is another day in Tokyo', () => {
    const tokyo = { now: new Date('2026-12-09T15:00:00Z'), timeZone: 'Asia/Tokyo' };
    // 00:00 on 10 December in Tokyo: yesterday there is the 9th, from 15:00 UTC on the 8th.
    assert.equal(query(parseCommand('alerts yesterday', undefined, tokyo)).since, '2026-12-08T15:00:00.000Z');
    assert.equal(query(parseCommand('alerts today', undefined, tokyo)).since, '2026-12-09T15:00:00.000Z');
  });

  it('defaults to UTC', () => {
    const q = query(parseCommand('alerts yesterday', undefined, { now: new Date('2026-12-09T15:00:00Z') }));
    assert.equal(q.since, '2026-12-08T00:00:00.000Z');
  });

  it('keeps "last 24h" as a sliding window and refuses two windows in one request', () => {
    assert.equal(query(parseCommand('alerts last 24h', undefined, saoPaulo)).sinceHours, 24);
    assert.equal(parseCommand('alerts yesterday last 24h', undefined, saoPaulo).id, 'unknown');
  });

  it('never reads a name as a date', () => {
    assert.equal(windowOf('on ws-fin-042', saoPaulo), undefined);
    assert.equal(query(parseCommand('alerts on ws-fin-042 yesterday', undefined, saoPaulo)).device, 'ws-fin-042');
  });

  it('filters Defender by the window, and a card payload carrying it validates', () => {
    const q = query(parseCommand('high alerts from yesterday', undefined, saoPaulo));
    const filter = toAlertFilter(q, { userPrincipalName: 'adele@contoso.com', now: saoPaulo.now })?.odata ?? '';
    assert.match(filter, /alertCreationTime ge 2026-12-08T03:00:00(\.000)?Z/);
    assert.match(filter, /alertCreationTime lt 2026-12-09T03:00:00(\.000)?Z/);
    assert.deepEqual(alertListQuerySchema.parse(JSON.parse(JSON.stringify(q))), JSON.parse(JSON.stringify(q)));
    assert.throws(() => alertListQuerySchema.parse({ ...q, since: 'yesterday' }));
  });
});
