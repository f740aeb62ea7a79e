import assert from 'node:assert/strict';
import type { IncidentUpdate } from '../../src/graph/graphSecurityClient';
import type { SentActivity } from '../../src/simulator/channel/sentActivityLog';
import { visibleText } from '../support/botClient';
import { demoSeed, persona } from '../support/demoTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import type { GraphPeople } from '../support/graphPeople';
import { graphPeople } from '../support/graphPeople';
import { startProductionHarness } from '../support/productionApp';

/*
 * Incident notifications in production mode: subscriptions through POST /api/messages, incidents read from the
 * Graph simulator with the bot's application token, cards out through the Bot Connector emulator. Incidents
 * change as they do in the portal: someone (Adele, with her own delegated Graph token) reassigns, tags or resolves
 * them over real HTTPS, which moves their lastUpdateDateTime.
 */

const CONTOSO = demoSeed.tenant.id;

/** The incident an incident card is about (its Show button); an alert card's "Show incident" does not count. */
function incidentIdsOf(sent: SentActivity): string[] {
  return [
    ...JSON.stringify(sent.activity.attachments).matchAll(
      /"title":"Show","verb":"incident\.open","data":\{"incidentId":"([^"]+)"[,}]/g,
    ),
  ].map((m) => m[1]!);
}

/** The text a card shows (its TextBlocks and TextRuns), without its buttons' data. */
function cardText(sent: SentActivity): string {
  const card = (sent.activity.attachments as { content: unknown }[] | undefined)?.[0]?.content;
  return [...JSON.stringify(card).matchAll(/"text":"([^"]*)"/g)].map((m) => m[1]!).join(' ');
}

describe('incident notifications (production mode, Graph incidents to one card per conversation)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let adele: TeamsPerson;
  let alex: TeamsPerson;
  let megan: TeamsPerson;
  let portal: GraphPeople;
  let channels = 0;

  before(async () => {
    h = await startProductionHarness({
      seeds: [demoSeed],
      // The bot's Graph quota is lifted like Defender's: its background share would make polls wait a minute.
      env: {
        NOTIFY_POLL: 'off',
        NOTIFY_POLL_INTERVAL_MS: '1000',
        NOTIFY_DIGEST_THRESHOLD: '1000',
        GRAPH_RATE_LIMIT_PER_MINUTE: '100000',
      },
      startOptions: { notificationBackoff: { baseMs: 50, maxMs: 400, jitter: 0.2 } },
    });
    adele = h.person(demoSeed, 'Adele');
    alex = h.person(demoSeed, 'Alex');
    megan = h.person(demoSeed, 'Megan');
    portal = graphPeople(h, CONTOSO);
  });
  after(async () => {
    portal?.close();
    await h?.stop();
  });
  afterEach(() => h.channel.clearFaults());

  /** A change made in the portal (it moves the incident's lastUpdateDateTime). */
  async function change(incidentId: string, update: IncidentUpdate): Promise<void> {
    const { client, auth } = portal.as(persona('Adele'));
    await client.updateIncident(auth, incidentId, update);
  }

  /** The portal behind the bot's back: the simulator's control plane (`/_sim/…`, loopback only). */
  async function sim(method: 'POST' | 'PATCH', path: string, body: unknown): Promise<{ id: string }> {
    const response = await portal.http.request({
      method,
      url: `${h.simulator.url}/_sim/${path}`,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    assert.ok(response.status < 300, `${path}: ${response.status} ${response.body}`);
    return JSON.parse(response.body) as { id: string };
  }

  /** A Graph alert body as the control plane takes it. */
  function graphAlert(title: string, severity: string, serviceSource = 'microsoftDefenderForIdentity') {
    return { title, severity, serviceSource, detectionSource: serviceSource };
  }

  async function command(text: string, who: TeamsPerson, where: Conversation): Promise<string> {
    const body = await h.execute('command.view', { command: text }, who, where);
    return body.type === 'application/vnd.microsoft.activity.message' ? String(body.value) : visibleText(body.value);
  }

  async function subscribedChannel(subscription = 'subscribe to high incidents'): Promise<Conversation> {
    const where: Conversation = {
      id: `19:incidents-${++channels}@thread.tacv2`,
      conversationType: 'channel',
      tenantId: CONTOSO,
    };
    assert.match(await command(subscription, adele, where), /^Subscribed this channel/);
    return where;
  }

  /** One poll of Graph incidents, then every delivery it caused. */
  async function pollAndDeliver(): Promise<void> {
    const poller = h.app.notifications.incidentPoller;
    assert.ok(poller, 'the incident poller runs when Graph is configured');
    await poller.round();
    await h.app.notifications.idle();
  }

  /** One poll of every Graph feed (incidents and the other sources' alerts), then every delivery it caused. */
  async function pollGraphAndDeliver(): Promise<void> {
    const { incidentPoller, sourcesPoller } = h.app.notifications;
    assert.ok(incidentPoller && sourcesPoller);
    await incidentPoller.round();
    await sourcesPoller.round();
    await h.app.notifications.idle();
  }

  function posts(where: Conversation, incidentId?: string): SentActivity[] {
    return h.channel
      .sent()
      .filter(
        (s) => s.kind === 'send' && (s.conversationId === where.id || s.conversationId.startsWith(`${where.id};`)),
      )
      .filter((s) => incidentId === undefined || incidentIdsOf(s).includes(incidentId));
  }

  function updates(activityId: string): SentActivity[] {
    return h.channel.sent().filter((s) => s.kind === 'update' && s.activityId === activityId);
  }

  /** Every request the bot made in a conversation (posts and updates). */
  function requestsIn(where: Conversation): number {
    return h.channel.sent().filter((s) => s.conversationId === where.id || s.conversationId.startsWith(`${where.id};`))
      .length;
  }

  /** Someone deletes a message in Teams (the connector's DELETE, as any client of the conversation could). */
  async function deleteMessage(sent: SentActivity): Promise<void> {
    const http = portal.http;
    const tokenResponse = await http.request({
      method: 'POST',
      url: `${h.simulator.url}/${CONTOSO}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'client_credentials',
        client_id: h.botId,
        client_secret: h.botSecret,
        scope: 'https://api.botframework.com/.default',
      }).toString(),
    });
    const token = (JSON.parse(tokenResponse.body) as { access_token: string }).access_token;
    const response = await http.request({
      method: 'DELETE',
      url: `${h.channel.url}/v3/conversations/${encodeURIComponent(sent.conversationId)}/activities/${encodeURIComponent(sent.activityId)}`,
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(response.status, 200);
  }

  describe('subscriptions', () => {
    it('follows incidents, alerts or both, keeps the old syntax, and narrows incidents by severity only', async () => {
      const where: Conversation = {
        id: '19:incident-syntax@thread.tacv2',
        conversationType: 'channel',
        tenantId: CONTOSO,
      };
      assert.match(
        await command('subscribe incidents high', adele, where),
        /^Subscribed this channel to High incidents \(S-[0-9a-f]{8}\)\. New incidents appear here .*one card, updated in place/,
      );
      assert.match(
        await command('subscribe alerts and incidents medium', adele, where),
        /^Subscribed this channel to Medium and High alerts and incidents/,
      );
      assert.match(
        await command('subscribe to high alerts', adele, where),
        /^Subscribed this channel to High alerts \(/,
      );
      assert.match(await command('subscribe to high incidents', adele, where), /already subscribed to High incidents/);
      assert.match(
        await command('subscribe to high incidents tagged VIP', adele, where),
        /Incidents are followed by severity only/,
      );
      assert.match(await command('subscribe high incidents medium', adele, where), /Name one severity/);
      assert.match(await command('subscribe to high incidents', alex, where), /Only people with the SOC\.Admin/);
    });
  });

  describe('one card per incident and conversation', () => {
    it('posts an incident once, updates that card when it is reassigned and resolved, and skips invisible changes', async () => {
      const where = await subscribedChannel();
      const other = await subscribedChannel('subscribe to medium incidents');
      const alertsOnly = await subscribedChannel('subscribe to high alerts');
      await pollAndDeliver(); // the watermark starts now
      await change('2303', { assignedTo: 'alexw@contoso.com' });
      await pollAndDeliver();
      const [card, ...more] = posts(where, '2303');
      assert.ok(card, 'the incident was posted');
      assert.equal(more.length, 0);
      assert.equal(posts(other, '2303').length, 1, 'each subscribed conversation gets its own card');
      assert.equal(posts(alertsOnly).length, 0, 'an alerts subscription gets no incident card');
      const text = cardText(card);
      assert.match(text, /Incident 2303: /);
      assert.match(text, /Multi-stage incident involving Persistence/);
      assert.match(text, /High/);
      assert.match(text, /4 alerts/);
      assert.match(text, /assigned to alexw@contoso\.com/);
      assert.match(text, /Active/);
      const actions = JSON.stringify(card.activity.attachments);
      assert.match(
        actions,
        /"verb":"incident\.open","data":\{"incidentId":"2303","customerTenantId":"[0-9a-f-]{36}"\}/,
      );
      assert.doesNotMatch(actions, /"refresh"/, 'a shared card is no one person’s view');
      assert.match(String(card.activity.summary), /^High incident 2303: Multi-stage/);

      // Reassigned in the portal: the same card, updated; no second post.
      await change('2303', { assignedTo: 'meganb@contoso.com' });
      await pollAndDeliver();
      assert.equal(posts(where, '2303').length, 1);
      const [reassigned] = updates(card.activityId);
      assert.ok(reassigned, 'the card was updated in place');
      assert.match(cardText(reassigned), /assigned to meganb@contoso\.com/);

      // A tag changes nothing the card shows: no Teams request at all.
      const before = requestsIn(where);
      await change('2303', { customTags: ['reviewed'] });
      await pollAndDeliver();
      assert.equal(requestsIn(where), before);

      // Resolved: the card says so; polling again (the overlap re-reads it) sends nothing more.
      await change('2303', { status: 'resolved' });
      await pollAndDeliver();
      const resolved = updates(card.activityId).at(-1)!;
      assert.match(cardText(resolved), /Resolved/);
      const settled = requestsIn(where);
      await pollAndDeliver();
      assert.equal(requestsIn(where), settled);
      assert.equal(posts(where, '2303').length, 1);
    });

    it('posts no card for an incident below the subscribed severity, nor for one already resolved', async () => {
      const where = await subscribedChannel();
      await pollAndDeliver();
      await change('2309', { assignedTo: 'alexw@contoso.com' }); // medium
      await change('2304', { status: 'resolved' }); // high, but closed when first seen
      await pollAndDeliver();
      assert.equal(posts(where).length, 0);
    });

    it('posts a card again, and remembers it, when the card it should update is gone', async () => {
      const where = await subscribedChannel();
      await pollAndDeliver();
      await change('2306', { assignedTo: 'alexw@contoso.com' });
      await pollAndDeliver();
      const [first] = posts(where, '2306');
      assert.ok(first);
      await deleteMessage(first);
      await change('2306', { assignedTo: 'meganb@contoso.com' });
      await pollAndDeliver();
      const cards = posts(where, '2306');
      assert.equal(cards.length, 2, 'a new card replaces the lost one');
      assert.match(cardText(cards[1]!), /assigned to meganb@contoso\.com/);
      // The new card is the one updated from now on.
      await change('2306', { assignedTo: 'adelev@contoso.com' });
      await pollAndDeliver();
      assert.equal(posts(where, '2306').length, 2);
      assert.equal(updates(cards[1]!.activityId).length, 1);
    });

    it('holds new incident cards while snoozed and does not post them after resume; a later change is news', async () => {
      const where = await subscribedChannel();
      await pollAndDeliver();
      assert.match(await command('snooze alerts 2h', adele, where), /^Snoozed/);
      await change('2305', { assignedTo: 'alexw@contoso.com' });
      await pollAndDeliver();
      assert.equal(posts(where).length, 0);
      assert.match(await command('resume alerts', adele, where), /back on/);
      await pollAndDeliver(); // the overlap re-reads the change made during the snooze
      assert.equal(posts(where).length, 0);
      await change('2305', { status: 'inProgress', assignedTo: 'meganb@contoso.com' });
      await pollAndDeliver();
      assert.equal(posts(where, '2305').length, 1);
    });
  });

  describe('as incidents grow in the portal', () => {
    it('keeps exactly one card per subscribed conversation for a growing incident, never one per alert', async () => {
      const high = await subscribedChannel();
      const both = await subscribedChannel('subscribe alerts and incidents high');
      const personal: Conversation = {
        id: `a:${alex.user.aadObjectId}`,
        conversationType: 'personal',
        tenantId: CONTOSO,
      };
      assert.match(await command('subscribe to high incidents', alex, personal), /^Subscribed your chat with me/);
      await pollGraphAndDeliver();
      const { id } = await sim('POST', 'incidents', {
        displayName: 'Password spray against finance accounts',
        severity: 'high',
        alerts: [graphAlert('Password spray attack', 'high')],
      });
      await pollGraphAndDeliver();
      for (const where of [high, both]) {
        const [card, ...more] = posts(where, id);
        assert.ok(card, 'the new incident was posted');
        assert.equal(more.length, 0);
        assert.match(cardText(card), /1 alert\b/);
      }
      const [notice] = posts(personal, id);
      assert.ok(notice);

      // It grows by two alerts (one between polls, one just before the next): each card is updated in place.
      await sim('POST', `incidents/${id}/alerts`, graphAlert('Suspicious sign-in after password spray', 'medium'));
      await pollGraphAndDeliver();
      await sim(
        'POST',
        `incidents/${id}/alerts`,
        graphAlert('Mailbox forwarding rule created', 'medium', 'microsoftDefenderForOffice365'),
      );
      await pollGraphAndDeliver();
      for (const where of [high, both]) {
        const [card, ...more] = posts(where, id);
        assert.equal(more.length, 0, 'still one card for the incident');
        const latest = updates(card!.activityId).at(-1);
        assert.ok(latest, 'the card was updated');
        assert.match(cardText(latest), /3 alerts/);
      }
      // The alerts themselves reach the conversation that follows alerts too (High ones: the two Medium do not
      // match), as cards of their source.
      const sourced = posts(both).filter((p) => incidentIdsOf(p).length === 0);
      assert.deepEqual(
        sourced.map((p) => /Password spray attack|Suspicious sign-in|Mailbox forwarding/.exec(cardText(p))?.[0]),
        ['Password spray attack'],
      );
      assert.match(cardText(sourced[0]!), /Microsoft Defender for Identity/);
      // A personal notice shows no alert count: the incident's growth sends it nothing.
      assert.equal(posts(personal, id).length, 1);
      assert.equal(updates(notice.activityId).length, 0);
    });

    it('updates a card when its incident’s severity rises, and posts one where it now matches', async () => {
      const medium = await subscribedChannel('subscribe to medium incidents');
      const high = await subscribedChannel();
      await pollGraphAndDeliver();
      const { id } = await sim('POST', 'incidents', {
        displayName: 'Unusual file deletions',
        severity: 'medium',
        alerts: [graphAlert('Mass delete', 'medium', 'microsoftDefenderForCloudApps')],
      });
      await pollGraphAndDeliver();
      const [card] = posts(medium, id);
      assert.ok(card);
      assert.match(cardText(card), /Medium/);
      assert.equal(posts(high, id).length, 0);
      await sim(
        'POST',
        `incidents/${id}/alerts`,
        graphAlert('Ransomware activity', 'high', 'microsoftDefenderForCloudApps'),
      );
      await pollGraphAndDeliver();
      assert.equal(posts(medium, id).length, 1);
      assert.match(cardText(updates(card.activityId).at(-1)!), /High/);
      assert.equal(posts(high, id).length, 1, 'now High: news for a High subscription');
    });

    it('brings an identity alert to an alerts subscription, once, and never an MDE alert a second time', async () => {
      const where = await subscribedChannel('subscribe to medium alerts');
      await pollGraphAndDeliver();
      const standalone = await sim(
        'POST',
        'alerts_v2',
        graphAlert('Suspicious Kerberos ticket (pass-the-ticket)', 'medium'),
      );
      // An MDE alert in Graph: the MDE poller (its own API, with the device) is the one that posts those.
      await sim('POST', 'incidents/2301/alerts', {
        ...graphAlert('Credential dumping from LSASS', 'high', 'microsoftDefenderForEndpoint'),
        detectionSource: 'antivirus',
      });
      await pollGraphAndDeliver();
      await pollGraphAndDeliver(); // the overlap re-reads them: nothing more
      const cards = posts(where);
      assert.equal(cards.length, 1);
      const [card] = cards;
      assert.match(cardText(card!), /Suspicious Kerberos ticket/);
      assert.match(cardText(card!), /Microsoft Defender for Identity/);
      assert.match(cardText(card!), /Not in an incident yet/);
      assert.ok(JSON.stringify(card!.activity.attachments).includes(standalone.id) === false, 'no button names it');
      assert.doesNotMatch(JSON.stringify(card!.activity.attachments), /alert\.open|alert\.assignToMe|action\.prepare/);
    });

    it('holds new incident and alert cards while snoozed, and does not post them after resume', async () => {
      const where = await subscribedChannel('subscribe to high alerts and incidents');
      await pollGraphAndDeliver();
      assert.match(await command('snooze alerts 1h', adele, where), /^Snoozed/);
      const { id } = await sim('POST', 'incidents', {
        displayName: 'Impossible travel',
        severity: 'high',
        alerts: [graphAlert('Impossible travel activity', 'high', 'azureAdIdentityProtection')],
      });
      await pollGraphAndDeliver();
      assert.equal(posts(where).length, 0);
      assert.match(await command('resume alerts', adele, where), /back on/);
      await pollGraphAndDeliver();
      assert.equal(posts(where).length, 0);
      // The incident grows after the snooze: that is news, and its one card is posted.
      await sim('POST', `incidents/${id}/alerts`, graphAlert('Anomalous token', 'high', 'azureAdIdentityProtection'));
      await pollGraphAndDeliver();
      assert.equal(posts(where, id).length, 1);
      const alertCards = posts(where).filter((p) => incidentIdsOf(p).length === 0);
      assert.deepEqual(
        alertCards.map((p) => /Anomalous token|Impossible travel activity/.exec(cardText(p))?.[0]),
        ['Anomalous token'],
        'the alert held by the snooze stays held; the new one is posted',
      );
    });
  });

  describe('personal chats', () => {
    it('shows a notice without the incident’s content that refreshes into the person’s own view', async () => {
      const personal: Conversation = {
        id: `a:${megan.user.aadObjectId}`,
        conversationType: 'personal',
        tenantId: CONTOSO,
      };
      assert.match(await command('subscribe to high incidents', megan, personal), /^Subscribed your chat with me/);
      await pollAndDeliver();
      await change('2302', { assignedTo: 'alexw@contoso.com' });
      await pollAndDeliver();
      const [notice, ...more] = posts(personal, '2302');
      assert.ok(notice, 'a notice was posted');
      assert.equal(more.length, 0);
      assert.doesNotMatch(JSON.stringify(notice.activity), /Ransomware|Multi-stage|alexw/, 'no incident content');
      assert.match(String(notice.activity.summary), /^High incident 2302 for your subscription$/);
      assert.match(
        JSON.stringify(notice.activity.attachments),
        new RegExp(`"refresh":\\{"action":\\{[^}]*"verb":"incident\\.open"[\\s\\S]*"userIds":\\["${megan.id}"\\]`),
      );
      // A new owner is not on the notice: nothing is sent. Resolving is: the notice is updated.
      const before = requestsIn(personal);
      await change('2302', { assignedTo: 'adelev@contoso.com' });
      await pollAndDeliver();
      assert.equal(requestsIn(personal), before);
      await change('2302', { status: 'resolved' });
      await pollAndDeliver();
      const [resolved] = updates(notice.activityId);
      assert.ok(resolved);
      assert.match(cardText(resolved), /Resolved/);
      // Show (and the refresh) opens the incident as Megan's own Graph token shows it.
      const view = await h.execute('incident.open', { incidentId: '2302' }, megan, personal);
      assert.match(visibleText(view.value), /Multi-stage incident involving Impact/);
    });
  });
});
