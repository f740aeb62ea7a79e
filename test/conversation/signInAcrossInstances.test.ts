import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunningApp } from '../../src/app';
import { startApp } from '../../src/app';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';
import type { Azurite } from '../support/azurite';
import { startAzurite, useAzurite } from '../support/azurite';
import { cardsOf, visibleText } from '../support/botClient';
import { demoSeed, visibleAlerts } from '../support/demoTenant';
import { freePort } from '../support/playgroundDriver';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';
import { captureStream } from '../support/testApp';

type Activity = Record<string, unknown>;
type OAuthCard = { tokenExchangeResource: { id: string }; buttons: { value: string }[]; connectionName: string };

function personal(person: TeamsPerson): Conversation {
  return { id: `a:${person.user.aadObjectId}`, conversationType: 'personal', tenantId: person.tenantId };
}

function oauthCardOf(activity: Activity): OAuthCard {
  const attachment = (activity.attachments as { contentType: string; content: OAuthCard }[] | undefined)?.[0];
  assert.equal(attachment?.contentType, 'application/vnd.microsoft.card.oauth', JSON.stringify(activity).slice(0, 300));
  return attachment.content;
}

function isSignInPrompt(activity: Activity): boolean {
  return JSON.stringify(activity.attachments ?? []).includes('application/vnd.microsoft.card.oauth');
}

/** The same URL on another instance: what a load balancer in front of both does with any request. */
function onInstance(url: string, app: RunningApp): string {
  const moved = new URL(url);
  const target = new URL(app.url);
  moved.host = target.host;
  return moved.toString();
}

/**
 * Follows the sign-in button like a browser: /auth/start (on `on.start`) → the authority, as `who` → /auth/end
 * (on `on.end`) → the one-time code the end page hands Teams.
 */
async function signInWithButton(
  h: ProductionHarness,
  button: string,
  who: TeamsPerson,
  on: { start: RunningApp; end: RunningApp },
): Promise<string> {
  const start = await h.browse(onInstance(button, on.start));
  assert.equal(start.status, 302, start.body);
  const authorizeUrl = new URL(start.headers.location!);
  authorizeUrl.searchParams.set('login_hint', who.user.userPrincipalName);
  const authorize = await h.browse(authorizeUrl);
  assert.equal(authorize.status, 302, authorize.body);
  const end = await h.browse(onInstance(authorize.headers.location!, on.end));
  assert.equal(end.status, 200, end.body);
  const code = /data-code="([^"]+)"/.exec(end.body)?.[1];
  assert.ok(code, 'the end page hands Teams a one-time code');
  return code;
}

/**
 * Two instances of the bot behind one public name, sharing one Blob container (Azurite) and one
 * STATE_ENCRYPTION_KEY, as two App Service instances behind its load balancer: Teams (the channel emulator)
 * delivers each activity to either. Whatever step of a sign-in lands on either instance, the user stays signed in
 * and the command they typed before signing in runs once.
 */
describe('sign-in across two instances on one Blob container (through POST /api/messages)', function () {
  this.timeout(90_000);
  const azurite = useAzurite();
  const dirs = ['a', 'b', 'ca'].map((n) => fs.mkdtempSync(path.join(os.tmpdir(), `soc-bot-signin-${n}-`)));
  let h: ProductionHarness;
  let b: RunningApp;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let isaiah: TeamsPerson;

  before(async () => {
    const shared = {
      STORAGE_CONNECTION_STRING: azurite().connectionString,
      STORAGE_CONTAINER: `signin-${randomBytes(6).toString('hex')}`,
      STATE_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      // B answers at once (a starting instance otherwise waits a minute for its share of Defender's quota).
      DEFENDER_JOIN_WAIT_MS: '0',
    };
    h = await startProductionHarness({ seeds: [demoSeed], env: { DATA_DIR: dirs[0]!, ...shared } });
    const caFile = path.join(dirs[2]!, 'ca.pem');
    fs.writeFileSync(caFile, h.caCertPem);
    const home = demoSeed.tenant.id;
    const config = loadConfig({
      BOT_ID: h.botId,
      BOT_PASSWORD: h.botSecret,
      BOT_TENANT_ID: home,
      BOT_TYPE: 'SingleTenant',
      // One public name for both instances (the load balancer's): sign-in pages and redirect URIs are the same.
      BOT_DOMAIN: new URL(h.app.url).host,
      ALLOWED_TENANT_IDS: home,
      AUTHORITY_HOST: h.simulator.url,
      DEFENDER_API_URL: h.simulator.url,
      EXTRA_CA_CERTS_FILE: caFile,
      BOT_OPENID_METADATA_URL: h.channel.openIdMetadataUrl,
      DATA_DIR: dirs[1]!,
      DEFENDER_RATE_LIMIT_PER_MINUTE: '100000',
      ...shared,
    });
    b = await startApp(
      { ...config, port: await freePort() },
      { logger: createLogger({ level: 'debug', destination: captureStream() }), actionPollIntervalMs: 100 },
    );
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    isaiah = h.person(demoSeed, 'Isaiah');
  });
  after(async () => {
    await b?.stop();
    await h?.stop();
    for (const dir of dirs) fs.rmSync(dir, { recursive: true, force: true });
  });

  /** Delivers an activity from `from` in their personal chat to instance B, signed by the channel like A's. */
  function toB(from: TeamsPerson, body: Activity) {
    const chat = personal(from);
    return h.channel.deliverActivity(`${b.url}/api/messages`, {
      id: randomUUID(),
      channelId: 'msteams',
      serviceUrl: h.channel.serviceUrl,
      timestamp: new Date().toISOString(),
      from: { id: from.id, name: from.user.displayName, aadObjectId: from.user.aadObjectId },
      recipient: { id: `28:${h.botId}`, name: 'Defender SOC Bot' },
      conversation: { id: chat.id, conversationType: chat.conversationType, tenantId: chat.tenantId },
      channelData: { tenant: { id: chat.tenantId } },
      locale: 'en-US',
      ...body,
    } as never);
  }

  function sentTo(chat: Conversation, since: number): Activity[] {
    return h.channel
      .sent()
      .slice(since)
      .filter((s) => s.conversationId === chat.id && s.kind !== 'delete')
      .map((s) => s.activity as Activity);
  }

  it('replays a command typed on A once when the SSO token reaches B; the same exchange from a second device on A runs nothing', async () => {
    const chat = personal(megan);
    let since = h.channel.sentCount();
    await h.message('show high alerts', megan, chat);
    const card = oauthCardOf((await h.repliesTo(chat, since))[0]!);

    since = h.channel.sentCount();
    const exchange = { id: card.tokenExchangeResource.id, connectionName: card.connectionName };
    const onB = await toB(megan, {
      type: 'invoke',
      name: 'signin/tokenExchange',
      value: { ...exchange, token: h.ssoToken(megan) },
    });
    assert.equal(onB.status, 200);
    // A replay is posted within its invoke's turn: once the invoke is answered, its replies are in.
    const replies = sentTo(chat, since);
    assert.equal(replies.length, 1, `one answer, got ${replies.length}`);
    const high = visibleAlerts(megan.user).filter(
      (a) => a.severity === 'High' && ['New', 'InProgress'].includes(a.status),
    ).length;
    assert.match(visibleText(cardsOf(replies[0]!)), new RegExp(`Unresolved · ${high} alerts`));

    // Teams sends the exchange from every open device; the one reaching A finds nothing left to run.
    since = h.channel.sentCount();
    const onA = await h.invoke('signin/tokenExchange', { ...exchange, token: h.ssoToken(megan) }, megan, chat);
    assert.equal(onA.status, 200);
    assert.deepEqual(sentTo(chat, since), []);
  });

  it('answers the next message on B with Defender data after SSO on A, without a sign-in prompt', async () => {
    const chat = personal(adele);
    let since = h.channel.sentCount();
    await h.message('device ws-fin-042', adele, chat);
    const card = oauthCardOf((await h.repliesTo(chat, since))[0]!);
    const exchange = { id: card.tokenExchangeResource.id, connectionName: card.connectionName };
    since = h.channel.sentCount();
    assert.equal(
      (await h.invoke('signin/tokenExchange', { ...exchange, token: h.ssoToken(adele) }, adele, chat)).status,
      200,
    );
    await h.repliesTo(chat, since);

    since = h.channel.sentCount();
    const calls = h.simulator.defender.stats().defenderCalls;
    await toB(adele, { type: 'message', text: 'show high alerts', textFormat: 'plain' });
    const [answer] = await h.repliesTo(chat, since);
    assert.equal(isSignInPrompt(answer!), false, 'B knows Adele is signed in');
    assert.match(visibleText(cardsOf(answer!)), /Unresolved · \d+ alerts/);
    assert.ok(h.simulator.defender.stats().defenderCalls > calls, 'B read Defender under her token');
  });

  it('completes a button sign-in whose steps land on different instances, then replays the command once', async () => {
    const chat = personal(isaiah);
    let since = h.channel.sentCount();
    await toB(isaiah, { type: 'message', text: 'alerts assigned to me', textFormat: 'plain' });
    const button = oauthCardOf((await h.repliesTo(chat, since))[0]!).buttons[0]!.value;

    // /auth/start on A, the authority's redirect to /auth/end on B.
    const code = await signInWithButton(h, button, isaiah, { start: h.app, end: b });

    // Teams sends the code back; it reaches A.
    since = h.channel.sentCount();
    assert.equal((await h.invoke('signin/verifyState', { state: code }, isaiah, chat)).status, 200);
    const replies = sentTo(chat, since);
    assert.equal(replies.length, 1, `one answer, got ${replies.length}`);
    assert.match(visibleText(cardsOf(replies[0]!)), /assigned to you/);

    // The code is single use on every instance.
    since = h.channel.sentCount();
    await toB(isaiah, { type: 'invoke', name: 'signin/verifyState', value: { state: code } });
    assert.match(String(sentTo(chat, since)[0]?.text), /didn't complete/);
  });
});

describe('sign-in while the shared store is down (through POST /api/messages)', function () {
  this.timeout(90_000);
  let azurite: Azurite | undefined;
  let h: ProductionHarness;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-signin-down-'));

  before(async () => {
    azurite = await startAzurite();
    h = await startProductionHarness({
      seeds: [demoSeed],
      env: { DATA_DIR: dataDir, STORAGE_CONNECTION_STRING: azurite.connectionString, STORAGE_CONTAINER: 'signin-down' },
    });
  });
  after(async () => {
    await h?.stop();
    await azurite?.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers "temporarily unavailable" instead of a sign-in prompt, to a signed-in user and to an arriving token or code', async () => {
    const megan = h.person(demoSeed, 'Megan');
    const adele = h.person(demoSeed, 'Adele');
    const isaiah = h.person(demoSeed, 'Isaiah');
    const signInPrompt = async (who: TeamsPerson) => {
      const since = h.channel.sentCount();
      await h.message('show high alerts', who, personal(who));
      return oauthCardOf((await h.repliesTo(personal(who), since))[0]!);
    };
    const card = await signInPrompt(megan);
    const exchange = (who: TeamsPerson, c: OAuthCard) =>
      h.invoke(
        'signin/tokenExchange',
        { id: c.tokenExchangeResource.id, connectionName: c.connectionName, token: h.ssoToken(who) },
        who,
        personal(who),
      );
    await exchange(megan, card);
    const adeleCard = await signInPrompt(adele);
    const isaiahCode = await signInWithButton(h, (await signInPrompt(isaiah)).buttons[0]!.value, isaiah, {
      start: h.app,
      end: h.app,
    });

    await azurite!.stop();
    const calls = h.simulator.defender.stats().defenderCalls;
    // Megan is signed in, but no instance can read that now. A sign-in prompt would be a loop (her new token could
    // not be kept either, nor her command), so she is told it is temporary; her stored sign-in outlives the outage.
    let since = h.channel.sentCount();
    await h.message('show high alerts', megan, personal(megan));
    const [answer] = await h.repliesTo(personal(megan), since);
    assert.equal(isSignInPrompt(answer!), false);
    assert.match(visibleText(cardsOf(answer!)), /Temporarily unavailable/);

    // Adele's token arrives: it cannot be kept, so she is told the same instead of "Something went wrong".
    since = h.channel.sentCount();
    assert.equal((await exchange(adele, adeleCard)).status, 200);
    const [told] = await h.repliesTo(personal(adele), since);
    assert.match(visibleText(cardsOf(told!)), /Temporarily unavailable/);
    // Isaiah's one-time code from the sign-in page arrives: it cannot be read, which is not "didn't complete".
    since = h.channel.sentCount();
    assert.equal((await h.invoke('signin/verifyState', { state: isaiahCode }, isaiah, personal(isaiah))).status, 200);
    const [codeAnswer] = await h.repliesTo(personal(isaiah), since);
    assert.match(visibleText(cardsOf(codeAnswer!)), /Temporarily unavailable/);
    assert.equal(h.simulator.defender.stats().defenderCalls, calls, 'nothing was read from Defender');
  });
});
