import assert from 'node:assert/strict';
import { visibleText } from '../support/botClient';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { postsIn, startProductionHarness } from '../support/productionApp';
import { deliverNewHighAlert } from './i18nSupport';

/**
 * A channel's language (issue 13): cards nobody in particular reads — alert notifications, approval requests —
 * speak the language chosen for that conversation with "idioma português", whatever each member's Teams says.
 */
describe('a channel’s own language for the cards posted there (production mode, POST /api/messages)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let adele: TeamsPerson;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_DIGEST_THRESHOLD: '1000', GRAPH_RATE_LIMIT_PER_MINUTE: '100000' },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
    });
    adele = h.person(demoSeed, 'Adele');
  });
  after(async () => h?.stop());

  async function command(text: string, where: Conversation): Promise<string> {
    const body = await h.execute('command.view', { command: text }, adele, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  it('posts alert notices in Portuguese in a channel set to Portuguese, and in English elsewhere', async () => {
    const tenantId = demoSeed.tenant.id;
    const portuguese: Conversation = { id: '19:pt-soc@thread.tacv2', conversationType: 'channel', tenantId };
    const english: Conversation = { id: '19:en-soc@thread.tacv2', conversationType: 'channel', tenantId };
    assert.match(await command('idioma português', portuguese), /cartões publicados nesta conversa/);
    for (const where of [portuguese, english])
      assert.match(await command('subscribe to high alerts', where), /Subscribed this channel/);
    const since = await deliverNewHighAlert(h, 'Language test beacon');
    const posted = (where: Conversation) =>
      postsIn(h, where, since)
        .map((a) => visibleText(a.attachments))
        .join('\n');
    assert.match(posted(portuguese), /Language test beacon/);
    assert.match(posted(portuguese), /Abrir no Microsoft Defender/);
    assert.match(posted(english), /Open in Microsoft Defender/);
    assert.doesNotMatch(posted(english), /Abrir no Microsoft Defender/);
  });
});
