import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { gzipSync } from 'node:zlib';
import { cardsOf, visibleText } from '../support/botClient';
import { demoSeed, visibleAlerts } from '../support/demoTenant';
import { FABRIKAM_TENANT_ID, fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';
import { capturedLogLines } from '../support/testApp';

const CONTOSO = demoSeed.tenant.id;
type Activity = Record<string, unknown>;
type OAuthCard = {
  tokenExchangeResource?: { id: string; uri: string };
  buttons: { type: string; value: string }[];
  connectionName: string;
};

function personal(person: TeamsPerson): Conversation {
  return { id: `a:${person.user.aadObjectId}`, conversationType: 'personal', tenantId: person.tenantId };
}
const triage: Conversation = { id: '19:soc-triage@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };
const socChannel: Conversation = { id: '19:soc-alerts@thread.tacv2', conversationType: 'channel', tenantId: CONTOSO };

function oauthCardOf(activity: Activity): OAuthCard {
  const attachment = (activity.attachments as { contentType: string; content: OAuthCard }[])[0]!;
  assert.equal(attachment.contentType, 'application/vnd.microsoft.card.oauth');
  return attachment.content;
}

function highUnresolvedCount(person: TeamsPerson): number {
  return visibleAlerts(person.user).filter((a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status))
    .length;
}

/** Follows the sign-in button like a browser would: start page → authority (as `upn`) → end page → one-time code. */
async function signInWithButton(
  h: ProductionHarness,
  url: string,
  upn: string,
): Promise<{ code: string; authorizeUrl: URL }> {
  const start = await h.browse(url);
  assert.equal(start.status, 302, 'sign-in start redirects to the authority');
  const authorizeUrl = new URL(start.headers.location!);
  authorizeUrl.searchParams.set('login_hint', upn); // the person picks their account
  const authorize = await h.browse(authorizeUrl);
  assert.equal(authorize.status, 302, `authority answered ${authorize.status}: ${authorize.body}`);
  const end = await h.browse(authorize.headers.location!);
  assert.equal(end.status, 200, end.body);
  assert.match(end.headers['content-security-policy'] ?? '', /script-src 'self'/);
  const code = /data-code="([^"]+)"/.exec(end.body)?.[1];
  assert.ok(code, 'the end page hands Teams a one-time code');
  return { code, authorizeUrl };
}

describe('production identity through POST /api/messages (channel, SSO, OBO, partner tenants)', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  let adele: TeamsPerson;
  let patti: TeamsPerson;
  let megan: TeamsPerson;

  before(async () => {
    h = await startProductionHarness({ seeds: [demoSeed] });
    adele = h.person(demoSeed, 'Adele');
    patti = h.person(demoSeed, 'Patti');
    megan = h.person(demoSeed, 'Megan');
  });
  after(async () => h?.stop());

  describe('channel authentication', () => {
    it('accepts a signed activity from an allowed tenant and replies with the bot’s own token', async () => {
      const since = h.channel.sentCount();
      const response = await h.message('help', adele, personal(adele));
      assert.equal(response.status, 200);
      const [reply] = await h.repliesTo(personal(adele), since);
      assert.match(visibleText(cardsOf(reply!)), /What I can do/);
    });

    for (const [name, options] of [
      ['no Authorization header', { withoutAuthorization: true }],
      ['an unsigned token (alg none)', { unsigned: true }],
      ['an expired token', { expired: true }],
      ['a token for another bot', { audience: '00000000-1111-4222-8333-444444444444' }],
      ['a token from another issuer', { issuer: 'https://sts.example' }],
      ['a token signed for another serviceUrl', { serviceUrl: 'https://smba.trafficmanager.example/emea/' }],
      ['a token signed by an unknown key', { unknownKey: true }],
      ['a published key with a corrupted signature', { badSignature: true }],
      ['a key not endorsed for Teams', { unendorsed: true }],
    ] as const) {
      it(`refuses ${name} with 401, logs it once without the token, and never runs the bot`, async () => {
        const logsBefore = capturedLogLines.length;
        const since = h.channel.sentCount();
        const statsBefore = h.simulator.defender.stats().defenderCalls;
        const response = await h.message('show high alerts', adele, personal(adele), options);
        assert.equal(response.status, 401);
        const refusals = capturedLogLines.slice(logsBefore).filter((l) => l.includes('channel request refused'));
        assert.equal(refusals.length, 1);
        assert.doesNotMatch(refusals[0]!, /eyJ[A-Za-z0-9_-]{10,}\./);
        assert.equal(h.simulator.defender.stats().defenderCalls, statsBefore);
        assert.equal(h.channel.sentCount(), since);
      });
    }

    it('answers a malformed body with 400 before anything else', async () => {
      const response = await fetch(`${h.app.url}/api/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"type":42}',
      });
      assert.equal(response.status, 400);
    });

    it('answers a request target it cannot parse with 400 and keeps serving', async () => {
      const { hostname, port } = new URL(h.app.url);
      const statusLine = await new Promise<string>((resolve, reject) => {
        const socket = connect(Number(port), hostname, () =>
          socket.write('POST http://[::1/api/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n'),
        );
        let text = '';
        socket.on('data', (chunk: Buffer) => {
          text += chunk.toString('latin1');
          if (text.includes('\r\n')) {
            resolve(text.split('\r\n')[0]!);
            socket.destroy();
          }
        });
        socket.on('error', reject);
      });
      assert.match(statusLine, /^HTTP\/1\.1 400/);
      assert.equal((await fetch(`${h.app.url}/health`)).status, 200);
    });

    it('takes a gzip-compressed activity like a plain one, and refuses a broken or inflating-too-far one', async () => {
      const where = personal(adele);
      const activity = {
        type: 'message',
        id: 'gzip-1',
        channelId: 'msteams',
        serviceUrl: h.channel.serviceUrl,
        from: { id: adele.id, name: adele.user.displayName, aadObjectId: adele.user.aadObjectId },
        recipient: { id: `28:${h.botId}`, name: 'Defender SOC Bot' },
        conversation: { id: where.id, conversationType: 'personal', tenantId: CONTOSO },
        channelData: { tenant: { id: CONTOSO } },
        text: 'help',
        textFormat: 'plain',
      };
      const send = (body: Buffer) =>
        fetch(`${h.app.url}/api/messages`, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'content-encoding': 'gzip',
            authorization: `Bearer ${h.channel.signActivity(activity)}`,
          },
          body,
        });
      const since = h.channel.sentCount();
      assert.equal((await send(gzipSync(JSON.stringify(activity)))).status, 200);
      assert.ok(h.channel.sentCount() > since, 'the bot answered');
      assert.equal((await send(Buffer.from(JSON.stringify(activity)))).status, 400, 'not gzip data');
      assert.equal((await send(gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x20)))).status, 413, 'a gzip bomb');
    });

    it('refuses a genuine activity from a tenant it does not serve, without calling Defender', async () => {
      const stranger = h.person(fabrikamSeed(), 'Adele');
      const before = h.simulator.defender.stats().defenderCalls;
      const since = h.channel.sentCount();
      const response = await h.message('show high alerts', stranger, personal(stranger));
      assert.equal(response.status, 200);
      const [reply] = await h.repliesTo(personal(stranger), since);
      assert.equal(reply!.text, "This bot doesn't serve your organisation.");
      assert.equal(h.simulator.defender.stats().defenderCalls, before);
    });
  });

  describe('personal chat: silent SSO, then on-behalf-of', () => {
    it('asks for SSO, then runs the pending command as soon as the token arrives, and reuses it', async () => {
      const chat = personal(megan);
      const calls = h.simulator.defender.stats().defenderCalls;
      let since = h.channel.sentCount();
      await h.message('show high alerts', megan, chat);
      const [prompt] = await h.repliesTo(chat, since);
      const card = oauthCardOf(prompt!);
      assert.equal(card.tokenExchangeResource?.uri, `api://botid-${h.botId}`);
      assert.match(card.buttons[0]!.value, /\/auth\/start\?id=/);
      assert.equal(h.simulator.defender.stats().defenderCalls, calls, 'nothing is read from Defender before sign-in');

      // Teams exchanges silently, from two devices at once: the command runs once.
      since = h.channel.sentCount();
      const exchange = {
        id: card.tokenExchangeResource.id,
        connectionName: card.connectionName,
        token: h.ssoToken(megan),
      };
      const [first, second] = await Promise.all([
        h.invoke('signin/tokenExchange', exchange, megan, chat),
        h.invoke('signin/tokenExchange', exchange, megan, chat),
      ]);
      assert.deepEqual([first.status, second.status], [200, 200]);
      const [answer] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(answer!)), new RegExp(`Unresolved · ${highUnresolvedCount(megan)} alerts`));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(
        h.channel
          .sent()
          .slice(since)
          .filter((s) => s.conversationId === chat.id).length,
        1,
        'the duplicate exchange did not run the command again',
      );

      // The next command needs no token request: the SSO token is held and msal's cache answers.
      h.simulator.entra.resetStats();
      since = h.channel.sentCount();
      await h.message('device ws-fin-042', megan, chat);
      const [device] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(device!)), /ws-fin-042\.corp\.contoso\.com/);
      assert.equal(h.simulator.entra.stats().tokenRequests, 0);
    });

    it('answers 412 to an SSO token that cannot be used, so Teams shows the sign-in button', async () => {
      const alex = h.person(demoSeed, 'Alex');
      const chat = personal(alex);
      await h.message('show alerts', alex, chat);
      for (const token of [
        h.ssoToken(alex, { audience: '00000003-0000-0000-c000-000000000000' }),
        h.ssoToken(alex, { expired: true }),
        h.ssoToken(adele), // someone else's token
      ]) {
        const response = await h.invoke(
          'signin/tokenExchange',
          { id: `x-${Math.random()}`, connectionName: 'defender-sso', token },
          alex,
          chat,
        );
        assert.equal(response.status, 412);
        assert.match(JSON.stringify(response.body), /unable to exchange token/);
      }
    });

    it('signs in with the button when SSO is not possible (verifyState), for that person only', async () => {
      const isaiah = h.person(demoSeed, 'Isaiah');
      const chat = personal(isaiah);
      let since = h.channel.sentCount();
      await h.message('alerts assigned to me', isaiah, chat);
      const [prompt] = await h.repliesTo(chat, since);
      const { code } = await signInWithButton(h, oauthCardOf(prompt!).buttons[0]!.value, isaiah.user.userPrincipalName);

      // Someone else presenting the code gets nothing.
      since = h.channel.sentCount();
      await h.invoke('signin/verifyState', { state: code }, patti, personal(patti));
      const [refused] = await h.repliesTo(personal(patti), since);
      assert.match(String(refused!.text), /didn't complete/);

      // Codes are single use: the stolen attempt burnt it, so Isaiah signs in again and succeeds.
      since = h.channel.sentCount();
      await h.message('alerts assigned to me', isaiah, chat);
      const [again] = await h.repliesTo(chat, since);
      const second = await signInWithButton(h, oauthCardOf(again!).buttons[0]!.value, isaiah.user.userPrincipalName);
      since = h.channel.sentCount();
      const verified = await h.invoke('signin/verifyState', { state: second.code }, isaiah, chat);
      assert.equal(verified.status, 200);
      const [answer] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(answer!)), /assigned to you/);
    });
  });

  describe('group chats and channels: each viewer loads their own view', () => {
    for (const conversation of [triage, socChannel]) {
      it(`posts no Defender data in a ${conversation.conversationType}; Show me signs in the clicker (loginRequest) and shows only their view`, async () => {
        let since = h.channel.sentCount();
        await h.message('show high alerts', adele, conversation);
        const [posted] = await h.repliesTo(conversation, since);
        const card = cardsOf(posted!)[0]!;
        assert.doesNotMatch(visibleText(card), /Unresolved|corp\.contoso\.com/);
        const data = { command: 'show high alerts' };
        const value = (extra: object = {}) => ({
          action: { type: 'Action.Execute', verb: 'command.view', data },
          trigger: 'manual',
          ...extra,
        });

        const viewer = h.person(demoSeed, conversation.conversationType === 'channel' ? 'Alex' : 'Patti');
        const login = await h.invoke('adaptiveCard/action', value(), viewer, conversation);
        // botbuilder answers an invoke with the HTTP status of its response: 401 + loginRequest, as Teams expects.
        assert.equal(login.status, 401);
        const loginBody = login.body as { statusCode: number; type: string; value: OAuthCard };
        assert.equal(loginBody.statusCode, 401);
        assert.equal(loginBody.type, 'application/vnd.microsoft.activity.loginRequest');
        assert.equal(loginBody.value.tokenExchangeResource?.uri, `api://botid-${h.botId}`);

        // Teams repeats the invoke with the clicker's SSO token.
        const view = await h.invoke(
          'adaptiveCard/action',
          value({ authentication: { token: h.ssoToken(viewer) } }),
          viewer,
          conversation,
        );
        const viewBody = view.body as { statusCode: number; type: string; value: unknown };
        assert.equal(viewBody.type, 'application/vnd.microsoft.card.adaptive');
        assert.match(visibleText(viewBody.value), new RegExp(`Unresolved · ${highUnresolvedCount(viewer)} alerts?`));

        // A token of someone else inside the viewer's invoke is refused.
        const forged = await h.invoke(
          'adaptiveCard/action',
          value({ authentication: { token: h.ssoToken(adele) } }),
          megan,
          conversation,
        );
        assert.equal((forged.body as { statusCode: number }).statusCode, 412);
        since = h.channel.sentCount();
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(h.channel.sentCount(), since, 'views are never posted into the conversation');
      });
    }
  });

  describe('consent and step-up', () => {
    it('answers consent_required with the admin-consent link of the tenant, and works once consent is granted', async () => {
      const lynne = h.person(demoSeed, 'Lynne');
      const chat = personal(lynne);
      h.simulator.entra.revokeAdminConsent(CONTOSO, h.botId);
      try {
        let since = h.channel.sentCount();
        await h.message('show alerts', lynne, chat);
        let [reply] = await h.repliesTo(chat, since);
        if (
          (reply!.attachments as { contentType: string }[])[0]!.contentType === 'application/vnd.microsoft.card.oauth'
        ) {
          since = h.channel.sentCount();
          const card = oauthCardOf(reply!);
          await h.invoke(
            'signin/tokenExchange',
            { id: card.tokenExchangeResource!.id, connectionName: card.connectionName, token: h.ssoToken(lynne) },
            lynne,
            chat,
          );
          [reply] = await h.repliesTo(chat, since);
        }
        const consent = cardsOf(reply!)[0]!;
        assert.match(visibleText(consent), /Admin consent needed/);
        const link = new URL((consent.actions as { url: string }[])[0]!.url);
        assert.equal(link.pathname, `/${CONTOSO}/adminconsent`);
        assert.equal(link.searchParams.get('client_id'), h.botId);
        assert.equal(link.searchParams.get('redirect_uri'), `${h.app.url}/auth/consent`);

        // The admin opens it; Entra redirects back to the bot's consent page.
        const granted = await h.browse(link);
        assert.equal(granted.status, 302);
        const page = await h.browse(granted.headers.location!);
        assert.match(page.body, /Consent granted/);
        // Consent lets the bot ask on Lynne's behalf; Defender's own RBAC still decides (she has no role).
        since = h.channel.sentCount();
        await h.message('show alerts', lynne, chat);
        [reply] = await h.repliesTo(chat, since);
        assert.match(visibleText(cardsOf(reply!)), /You don't have permission to view alerts in Microsoft Defender/);
      } finally {
        h.simulator.entra.grantAdminConsent(CONTOSO, h.botId);
      }
    });

    it('answers interaction_required with a sign-in card carrying the claims challenge, then runs the command', async () => {
      const grady = h.person(demoSeed, 'Grady');
      const chat = personal(grady);
      let since = h.channel.sentCount();
      await h.message('show high alerts', grady, chat);
      const [prompt] = await h.repliesTo(chat, since);
      const sso = oauthCardOf(prompt!);
      since = h.channel.sentCount();
      await h.invoke(
        'signin/tokenExchange',
        { id: sso.tokenExchangeResource!.id, connectionName: sso.connectionName, token: h.ssoToken(grady) },
        grady,
        chat,
      );
      const [stepUp] = await h.repliesTo(chat, since);
      const card = oauthCardOf(stepUp!);
      assert.equal(card.tokenExchangeResource, undefined, 'no silent exchange: Entra demands an interactive step-up');
      const { code, authorizeUrl } = await signInWithButton(h, card.buttons[0]!.value, grady.user.userPrincipalName);
      assert.match(
        authorizeUrl.searchParams.get('claims') ?? '',
        /access_token/,
        'the claims challenge reached the authority',
      );
      since = h.channel.sentCount();
      await h.invoke('signin/verifyState', { state: code }, grady, chat);
      const [answer] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(answer!)), /Unresolved/);
    });

    it('gives any member the admin-consent link with "connect tenant"', async () => {
      const chat = personal(patti);
      const since = h.channel.sentCount();
      await h.message('connect tenant', patti, chat);
      const [reply] = await h.repliesTo(chat, since);
      const card = cardsOf(reply!)[0]!;
      assert.match(visibleText(card), /Connect your organisation/);
      assert.match(
        (card.actions as { url: string }[])[0]!.url,
        new RegExp(`/${CONTOSO}/adminconsent\\?client_id=${h.botId}`),
      );
    });
  });
});

describe('partner context: two customer tenants side by side', function () {
  this.timeout(60_000);
  let h: ProductionHarness;
  const fabrikam = fabrikamSeed();

  before(async () => {
    h = await startProductionHarness({ seeds: [demoSeed, fabrikam], allowedTenantIds: [CONTOSO, FABRIKAM_TENANT_ID] });
  });
  after(async () => h?.stop());

  async function signedInAlertIds(person: TeamsPerson): Promise<string[]> {
    const chat = personal(person);
    let since = h.channel.sentCount();
    await h.message('show alerts including resolved', person, chat);
    const [prompt] = await h.repliesTo(chat, since);
    const card = oauthCardOf(prompt!);
    since = h.channel.sentCount();
    await h.invoke(
      'signin/tokenExchange',
      { id: card.tokenExchangeResource!.id, connectionName: card.connectionName, token: h.ssoToken(person) },
      person,
      chat,
    );
    const [answer] = await h.repliesTo(chat, since);
    return [...JSON.stringify(answer).matchAll(/"alertId":"([^"]+)"/g)].map((m) => m[1]!);
  }

  it("serves each tenant its own data with tokens from its own tenant, never the other's", async () => {
    const contosoIds = await signedInAlertIds(h.person(demoSeed, 'Adele'));
    const fabrikamIds = await signedInAlertIds(h.person(fabrikam, 'Adele'));
    assert.ok(contosoIds.length > 0 && fabrikamIds.length > 0);
    assert.ok(contosoIds.every((id) => demoSeed.alerts.some((a) => a.id === id)));
    assert.ok(fabrikamIds.every((id) => fabrikam.alerts.some((a) => a.id === id)));
    assert.equal(contosoIds.filter((id) => fabrikamIds.includes(id)).length, 0);
  });

  it('tells a customer tenant without consent what to do', async () => {
    h.simulator.entra.revokeAdminConsent(FABRIKAM_TENANT_ID, h.botId);
    try {
      const bob = h.person(fabrikam, 'Megan');
      const chat = personal(bob);
      let since = h.channel.sentCount();
      await h.message('show alerts', bob, chat);
      const [prompt] = await h.repliesTo(chat, since);
      const card = oauthCardOf(prompt!);
      since = h.channel.sentCount();
      await h.invoke(
        'signin/tokenExchange',
        { id: card.tokenExchangeResource!.id, connectionName: card.connectionName, token: h.ssoToken(bob) },
        bob,
        chat,
      );
      const [reply] = await h.repliesTo(chat, since);
      assert.match(visibleText(cardsOf(reply!)), /Admin consent needed/);
      assert.match(JSON.stringify(reply), new RegExp(`${FABRIKAM_TENANT_ID}/adminconsent`));
    } finally {
      h.simulator.entra.grantAdminConsent(FABRIKAM_TENANT_ID, h.botId);
    }
  });

  // The Azure Bot is SingleTenant (infra/botRegistration/azurebot.bicep): the bot's own token for the Bot Connector
  // comes from its home tenant, in a customer's conversation too, never from botframework.com (docs/adr/0002).
  it("sends every reply, in the home tenant's and a customer's chat, with a token the home tenant issued", async () => {
    for (const person of [h.person(demoSeed, 'Adele'), h.person(fabrikam, 'Adele')]) {
      const since = h.channel.sentCount();
      assert.equal((await h.message('help', person, personal(person))).status, 200);
      assert.equal((await h.repliesTo(personal(person), since)).length, 1, `a reply in ${person.tenantId}`);
    }
    const issuers = h.channel.tokenIssuers();
    assert.ok(issuers.length > 0, 'the connector saw the bot’s token');
    for (const { issuer, tenantId } of issuers) {
      assert.equal(tenantId, CONTOSO, 'tid of the bearer the connector received');
      assert.ok(issuer?.includes(CONTOSO), `iss ${issuer} is the home tenant's authority`);
    }
  });
});
