import assert from 'node:assert/strict';
import { visibleText } from '../support/botClient';
import { actionData } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { postsIn, startProductionHarness } from '../support/productionApp';
import { deliverNewHighAlert } from './i18nSupport';

/*
 * Issue 13's last English words, through the real POST /api/messages in production mode: what a Portuguese speaker
 * typed wrong, the alert list's heading, the toast text of notifications, the approval card posted in a channel set
 * to Portuguese (from its first post, not only once it is updated) and its risk note.
 */

const CONTOSO = demoSeed.tenant.id;

describe('Portuguese everywhere (production mode, POST /api/messages)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  const approvers: Conversation = {
    id: '19:pt-approvers@thread.tacv2',
    conversationType: 'channel',
    tenantId: CONTOSO,
  };
  const triage: Conversation = { id: '19:pt-triage@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };

  /** What a click on "Show me" for `command` answers `who` in `where`, as text. */
  async function shown(command: string, who: TeamsPerson, where: Conversation): Promise<string> {
    const body = await h.execute('command.view', { command }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { NOTIFY_POLL: 'off', NOTIFY_DIGEST_THRESHOLD: '1000', GRAPH_RATE_LIMIT_PER_MINUTE: '100000' },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    // The channel's address is taken from a message sent there, as Teams would.
    await h.message('use this channel for approvals', adele, approvers);
    assert.match(await shown('use this channel for approvals', adele, approvers), /also posted here/);
    assert.match(await shown('idioma português', adele, approvers), /cartões publicados nesta conversa/);
    const meganChat: Conversation = {
      id: `a:${megan.user.aadObjectId}`,
      conversationType: 'personal',
      tenantId: CONTOSO,
    };
    assert.match(await shown('idioma português', megan, meganChat), /respondo em português/);
  });
  after(async () => h?.stop());

  it('explains what was wrong with a command in Portuguese', async () => {
    assert.match(
      await shown('snooze alerts 99d', megan, triage),
      /^Uma pausa dura de 1 minuto a 7 dias.* Por exemplo: "silenciar alertas 1h"\.$/,
    );
    assert.match(
      await shown('approve A-1b2c3d4e5f6g', megan, triage),
      /^Um pedido é aprovado ou rejeitado no cartão do pedido, por um aprovador\. Digite "approvals"/,
    );
    assert.match(
      await shown('resolve incident 2301 as false positive phishing', megan, triage),
      /^Com false positive, a determinação é uma destas: not malicious/,
    );
    assert.match(await shown('idioma klingon', megan, triage), /^Eu falo inglês e português do Brasil/);
    const meganChat: Conversation = {
      id: `a:${megan.user.aadObjectId}`,
      conversationType: 'personal',
      tenantId: CONTOSO,
    };
    const snoozed = await shown('silenciar alertas 2h', megan, meganChat);
    assert.match(snoozed, /^Suspenso: .* até \d{1,2} de [a-z]{3}\. de \d{4}, \d{2}:\d{2}\./);
    assert.doesNotMatch(snoozed, /UTC/);
    assert.match(
      await shown('subscribe to high alerts tagged VIP category Malware tagged x', megan, triage),
      /^Essa tag não é um nome que eu consiga comparar/,
    );
  });

  it('titles an alert list in Portuguese, severities and statuses by their labels', async () => {
    const text = await shown('show new high alerts since yesterday', megan, triage);
    assert.match(text, /Alertas de gravidade Alta/);
    assert.match(text, /Nova · criados desde /);
    assert.doesNotMatch(text, /High alerts|UTC|created since/);
  });

  it('posts the first approval card in a Portuguese channel in Portuguese, with its toast and risk note', async () => {
    const command = 'isolate ws-fin-042';
    const confirmation = await h.execute('command.view', { command }, megan, triage);
    const confirm = actionData(confirmation.value, 'action.confirm');
    assert.ok(confirm, visibleText(confirmation.value).slice(0, 300));
    const since = h.channel.sentCount();
    const answer = await h.execute('action.confirm', { ...confirm, reason: 'Qakbot' }, megan, triage);
    assert.match(visibleText(answer.value), /Isolar dispositivo/, 'the requester reads Portuguese');
    const [posted] = await h.channel.waitFor((s) => s.conversationId.startsWith(approvers.id) && s.kind !== 'update', {
      since,
      count: 1,
      timeoutMs: 5_000,
    });
    const text = visibleText(posted!.activity.attachments);
    assert.match(text, /Isolar dispositivo/);
    assert.match(text, /Política padrão|Dispositivo de alto valor|Dispositivo com a tag/);
    assert.doesNotMatch(text, /Isolate device|Standard policy/);
    assert.match(String(posted!.activity.summary), /^Isolar dispositivo: solicitação de Megan/);
    // The group chat where it was asked has no language of its own: English there.
    const [asked] = await h.channel.waitFor((s) => s.conversationId.startsWith(triage.id) && s.kind !== 'update', {
      since,
      count: 1,
      timeoutMs: 5_000,
    });
    assert.match(String(asked!.activity.summary), /^Isolate device request from Megan/);
  });

  it('gives a Portuguese channel its notifications’ toast text and subscription in Portuguese', async () => {
    const notices: Conversation = { id: '19:pt-notices@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };
    assert.match(await shown('idioma português', adele, notices), /cartões publicados nesta conversa/);
    // Adele's own answer is in her language (English); the cards posted in the channel are in the channel's.
    assert.match(await shown('subscribe to high alerts', adele, notices), /Subscribed this channel to High alerts/);
    const since = await deliverNewHighAlert(h, 'Toast language beacon');
    const [notice] = postsIn(h, notices, since);
    assert.equal(notice?.summary, 'Alerta de gravidade Alta: Toast language beacon');
    assert.match(visibleText(notice?.attachments), /Alertas de gravidade Alta/, 'the subscription line');
  });

  it('asks a Portuguese speaker to sign in in Portuguese', async () => {
    const isaiah = h.person(demoSeed, 'Isaiah');
    const chat: Conversation = { id: `a:${isaiah.user.aadObjectId}`, conversationType: 'personal', tenantId: CONTOSO };
    let since = h.channel.sentCount();
    await h.message('idioma português', isaiah, chat);
    assert.match(String((await h.repliesTo(chat, since))[0]?.text), /respondo em português/);
    since = h.channel.sentCount();
    await h.message('show high alerts', isaiah, chat);
    const [prompt] = await h.repliesTo(chat, since);
    const card = (prompt?.attachments as { contentType: string; content: { text: string; buttons: unknown[] } }[])[0];
    assert.equal(card?.contentType, 'application/vnd.microsoft.card.oauth');
    assert.equal(card.content.text, 'Entre no Microsoft Defender: eu ajo com as suas próprias permissões.');
    assert.match(JSON.stringify(card.content.buttons), /"title":"Entrar"/);
  });
});
