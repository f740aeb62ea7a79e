import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { SentActivity } from '../../src/simulator/channel/sentActivityLog';
import { visibleText } from '../support/botClient';
import { demoSeed, visibleAlerts } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

const QUOTA_PER_MINUTE = 4;
const QUEUED_NOTICE =
  /Defender's request quota for your organisation is in use: your answer will be posted here in about \d+ (seconds|minutes) \((you are next|\d+ requests? ahead of you)\)/;

/** What a person reads of a post: its cards' text, else its text. */
function textOf(sent: SentActivity): string {
  return (
    visibleText(sent.activity.attachments ?? []) || (typeof sent.activity.text === 'string' ? sent.activity.text : '')
  );
}

function personal(person: TeamsPerson): Conversation {
  return { id: `a:${person.user.aadObjectId}`, conversationType: 'personal', tenantId: person.tenantId };
}

/** What "show high alerts" answers a person: the count of the unresolved High alerts their role lets them see. */
function highAlertsAnswer(person: TeamsPerson): RegExp {
  const count = visibleAlerts(person.user).filter(
    (a) => a.severity === 'High' && (a.status === 'New' || a.status === 'InProgress'),
  ).length;
  return new RegExp(`\\b${count} alerts?\\b`);
}

describe("people queued fairly when Defender's quota is spent (production mode, through POST /api/messages)", function () {
  // One command waits for the next minute of Defender's quota: the queue's whole point is that this takes time.
  this.timeout(150_000);
  let h: ProductionHarness;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      // Defender's real quota, scaled down: the simulator answers 429 beyond it, and the bot knows the same limit.
      rateLimits: { perMinute: QUOTA_PER_MINUTE, perHour: QUOTA_PER_MINUTE * 15 },
      env: { DEFENDER_RATE_LIMIT_PER_MINUTE: String(QUOTA_PER_MINUTE), NOTIFY_POLL: 'off' },
    });
  });
  after(async () => h?.stop());

  it('answers every command, the ones beyond the quota with a notice at once and their answer later, with no 429 from Defender', async () => {
    const adele = h.person(demoSeed, 'Adele');
    const megan = h.person(demoSeed, 'Megan');
    const alex = h.person(demoSeed, 'Alex');
    for (const person of [adele, megan, alex]) {
      const signedIn = await h.invoke(
        'signin/tokenExchange',
        { id: randomUUID(), token: h.ssoToken(person) },
        person,
        personal(person),
      );
      assert.equal(signedIn.status, 200);
    }
    h.simulator.defender.resetStats();
    const since = h.channel.sentCount();

    // Adele alone spends the minute's quota and asks once more; Megan (twice) and Alex come after her.
    const commands = [adele, adele, adele, adele, adele, megan, megan, alex];
    for (const person of commands) {
      const turn = await h.message('show high alerts', person, personal(person));
      assert.equal(turn.status, 200, 'every turn is answered at once, never held until the queue moves');
    }

    // A card click is answered within Teams' invoke time: not queued for a later post, but told when to try again.
    const isaiah = h.person(demoSeed, 'Isaiah');
    const triage: Conversation = {
      id: '19:fair-queue@thread.v2',
      conversationType: 'groupChat',
      tenantId: isaiah.tenantId,
    };
    const click = await h.execute('command.view', { command: 'show high alerts' }, isaiah, triage);
    assert.equal(click.type, 'application/vnd.microsoft.activity.message', JSON.stringify(click).slice(0, 300));
    assert.match(String(click.value), /Try again in \d+ seconds/);

    const answered = async (person: TeamsPerson, count: number) => {
      const posts = await h.channel.waitFor(
        (s) => s.conversationId === personal(person).id && s.kind !== 'update' && s.kind !== 'delete',
        { since, count, timeoutMs: 120_000 },
      );
      return posts.map((s) => textOf(s));
    };
    // Adele: four answers at once, a notice for the fifth command, then its answer.
    const adelePosts = await answered(adele, 6);
    assert.equal(adelePosts.filter((text) => highAlertsAnswer(adele).test(text)).length, 5, adelePosts.join('\n---\n'));
    assert.match(adelePosts[4]!, QUEUED_NOTICE);
    assert.match(adelePosts[5]!, highAlertsAnswer(adele));
    // Megan and Alex: a notice per command at once, each answer posted into the same chat when its turn came.
    for (const [person, count] of [
      [megan, 2],
      [alex, 1],
    ] as const) {
      const posts = await answered(person, 2 * count);
      assert.equal(posts.filter((text) => QUEUED_NOTICE.test(text)).length, count, posts.join('\n---\n'));
      assert.equal(posts.filter((text) => highAlertsAnswer(person).test(text)).length, count, posts.join('\n---\n'));
    }
    const everything = h.channel
      .sent()
      .slice(since)
      .map((s) => textOf(s));
    assert.ok(!everything.some((text) => /busy|Try again/i.test(text)), 'nobody was refused');
    // One Defender call per command: a 429 would have cost a retry (or a refusal) on top.
    assert.equal(h.simulator.defender.stats().defenderCalls, commands.length);
  });
});
