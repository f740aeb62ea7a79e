import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseAuditLine } from '../../src/audit/parseAuditLine';
import type {
  ActionsResponse,
  AuditResponse,
  DecisionResponse,
  QueueResponse,
  ReleaseResponse,
  SubscriptionsResponse,
  TabMe,
} from '../../src/tab/tabApiTypes';
import { HttpClient } from '../../src/http/httpClient';
import { visibleText } from '../support/botClient';
import { actionData } from '../support/cardData';
import { demoSeed } from '../support/demoTenant';
import { fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { startProductionHarness } from '../support/productionApp';

const CONTOSO = demoSeed.tenant.id;
const approversChannel: Conversation = {
  id: '19:tab-approvers@thread.tacv2',
  conversationType: 'channel',
  tenantId: CONTOSO,
};

/**
 * The SOC console tab's API through the real server (production mode: tokens minted by the Entra emulator and
 * validated like bot SSO, Defender through on-behalf-of), beside the chat it must agree with.
 */
describe('SOC console tab API (production mode, /api/tab/* beside POST /api/messages)', function () {
  this.timeout(90_000);
  let h: ProductionHarness;
  let clock = Date.now();
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let isaiah: TeamsPerson;
  let alex: TeamsPerson;
  let patti: TeamsPerson;
  let chats = 0;
  let triage: Conversation;

  before(async () => {
    const fabrikam = fabrikamSeed();
    h = await startProductionHarness({
      seeds: [demoSeed, fabrikam],
      allowedTenantIds: [CONTOSO],
      now: () => new Date(clock),
      connectorLimits: { perConversation: [{ windowMs: 1_000, max: 1_000 }] },
      // Reminders after half an hour, requests open for an hour: a release can still be open a period later.
      env: { CONTAINMENT_REMINDER_HOURS: '0.5', APPROVAL_EXPIRY_MINUTES: '60' },
    });
    megan = h.person(demoSeed, 'Megan');
    adele = h.person(demoSeed, 'Adele');
    isaiah = h.person(demoSeed, 'Isaiah');
    alex = h.person(demoSeed, 'Alex');
    patti = h.person(demoSeed, 'Patti');
    await h.message('use this channel for approvals', adele, approversChannel);
    await h.execute('command.view', { command: 'use this channel for approvals' }, adele, approversChannel);
  });
  after(async () => h?.stop());
  beforeEach(() => {
    clock = Date.now();
    triage = { id: `19:tab-triage-${++chats}@thread.v2`, conversationType: 'groupChat', tenantId: CONTOSO };
  });

  async function call(
    person: TeamsPerson | undefined,
    path: string,
    init: { method?: string; body?: unknown; headers?: Record<string, string>; token?: string } = {},
  ): Promise<{ status: number; body: unknown; headers: Headers; text: string }> {
    const token = init.token ?? (person ? h.ssoToken(person) : undefined);
    const response = await fetch(`${h.app.url}/api/tab${path}`, {
      method: init.method ?? 'GET',
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...init.headers,
      },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = text ? JSON.parse(text) : undefined;
    } catch {
      body = undefined;
    }
    return { status: response.status, body, headers: response.headers, text };
  }

  async function request(
    requester: TeamsPerson,
    command: string,
    reason = 'Beaconing to 198.51.100.77',
  ): Promise<string> {
    await h.message(command, requester, triage);
    const confirmation = await h.execute('command.view', { command }, requester, triage);
    const confirm = actionData(confirmation.value, 'action.confirm');
    assert.ok(confirm, `no confirmation for ${command}: ${visibleText(confirmation.value).slice(0, 300)}`);
    const view = await h.execute('action.confirm', { ...confirm, reason }, requester, triage);
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(view.value))?.[1];
    assert.ok(id, 'an approval id');
    await h.app.idle();
    return id;
  }

  /** Another tool acting in Defender as Adele (on-behalf-of through the emulator, then the API itself). */
  async function releaseInDefender(deviceId: string): Promise<void> {
    const http = new HttpClient({ extraCaPem: [h.caCertPem] });
    const form = new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      requested_token_use: 'on_behalf_of',
      client_id: h.botId,
      client_secret: h.botSecret,
      assertion: h.ssoToken(adele),
      scope: 'https://api.securitycenter.microsoft.com/.default',
    });
    const token = await http.request({
      method: 'POST',
      url: `${h.simulator.url}/${CONTOSO}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
    });
    assert.equal(token.status, 200, token.body);
    const accessToken = (JSON.parse(token.body) as { access_token: string }).access_token;
    const released = await http.request({
      method: 'POST',
      url: `${h.simulator.url}/api/machines/${deviceId}/unisolate`,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${accessToken}` },
      body: JSON.stringify({ Comment: 'Released from the portal' }),
    });
    assert.equal(released.status, 201, released.body);
  }

  function defenderActionsFor(approvalId: string) {
    return h.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((a) => (a.requestorComment ?? '').includes(approvalId));
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>): Promise<T> {
    for (let i = 0; i < 200; i++) {
      const found = await probe();
      if (found !== undefined) return found;
      await h.app.trackNow();
      await sleep(25);
    }
    assert.fail(`never: ${what}`);
  }

  describe('who may call', () => {
    it('refuses a call without a bearer token, with a cookie, or with another scheme (401)', async () => {
      assert.equal((await call(undefined, '/me')).status, 401);
      const token = h.ssoToken(adele);
      assert.equal((await call(undefined, '/me', { headers: { cookie: `token=${token}` } })).status, 401);
      assert.equal((await call(undefined, '/me', { headers: { authorization: `Basic ${token}` } })).status, 401);
      assert.equal((await call(undefined, '/me', { headers: { authorization: `Bearer ${token}x` } })).status, 401);
    });

    it('refuses an expired token, a token for another audience, and a tenant the deployment does not serve', async () => {
      assert.equal((await call(adele, '/me', { token: h.ssoToken(adele, { expired: true }) })).status, 401);
      const other = h.ssoToken(adele, { audience: '00000003-0000-0000-c000-000000000000' });
      assert.equal((await call(adele, '/me', { token: other })).status, 401);
      const fabrikamUser = h.person(fabrikamSeed(), fabrikamSeed().users[0]!.displayName.split(' ')[0]!);
      const answer = await call(fabrikamUser, '/me');
      assert.equal(answer.status, 403);
      assert.equal((answer.body as { error: { code: string } }).error.code, 'tenantNotAllowed');
    });

    it('says who the viewer is and what the tab may offer them, from the token’s roles', async () => {
      const adeleMe = (await call(adele, '/me')).body as TabMe;
      assert.equal(adeleMe.user.userPrincipalName, adele.user.userPrincipalName);
      assert.deepEqual(adeleMe.can, { decide: true, requestRelease: true, readAudit: true, editSubscriptions: true });
      const alexMe = (await call(alex, '/me')).body as TabMe;
      assert.deepEqual(alexMe.can, {
        decide: false,
        requestRelease: false,
        readAudit: false,
        editSubscriptions: false,
      });
      const meganMe = (await call(megan, '/me')).body as TabMe;
      assert.equal(meganMe.can.requestRelease, true);
      assert.equal(meganMe.can.decide, false);
      assert.equal(meganMe.containmentReminderHours, 0.5);
    });

    it('answers an unknown call 404, a non-JSON body 415, an oversized one 413, malformed JSON 400', async () => {
      assert.equal((await call(adele, '/nothing')).status, 404);
      const token = h.ssoToken(adele);
      const post = (body: string, type = 'application/json') =>
        fetch(`${h.app.url}/api/tab/approvals/A-000000000000/approve`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': type },
          body,
        });
      assert.equal((await post('comment=x', 'application/x-www-form-urlencoded')).status, 415);
      assert.equal((await post(JSON.stringify({ comment: 'x'.repeat(20_000) }))).status, 413);
      assert.equal((await post('{"comment":')).status, 400);
      assert.equal((await post(JSON.stringify({ comment: 'ok', extra: 1 }))).status, 400);
    });
  });

  describe('the page as served', () => {
    it('serves the tab with a strict CSP that lets only Teams frame it, gzip, and revalidation', async () => {
      const page = await fetch(`${h.app.url}/tab/`, { headers: { 'accept-encoding': 'gzip' } });
      assert.equal(page.status, 200);
      assert.equal(page.headers.get('content-encoding'), 'gzip');
      const csp = page.headers.get('content-security-policy') ?? '';
      assert.match(csp, /default-src 'none'/);
      assert.match(csp, /script-src 'self'(;|$)/);
      assert.match(
        csp,
        /frame-ancestors https:\/\/teams\.microsoft\.com https:\/\/\*\.teams\.microsoft\.com https:\/\/teams\.cloud\.microsoft$/,
      );
      assert.doesNotMatch(csp, /127\.0\.0\.1|unsafe-inline|unsafe-eval/);
      assert.equal(page.headers.get('referrer-policy'), 'no-referrer');
      const etag = page.headers.get('etag');
      assert.ok(etag);
      assert.equal((await fetch(`${h.app.url}/tab/`, { headers: { 'if-none-match': etag } })).status, 304);
      // Production names no local host page for teams-js to trust.
      const settings = (await (await fetch(`${h.app.url}/tab/settings.json`)).json()) as {
        validMessageOrigins: string[];
      };
      assert.deepEqual(settings.validMessageOrigins, []);
      assert.equal((await fetch(`${h.app.url}/tab/nothing.js`)).status, 404);
      assert.equal((await fetch(`${h.app.url}/tab/..%2Fpackage.json`)).status, 404);
    });
  });

  describe('approvals queue', () => {
    it('lists the tenant’s pending requests with what each viewer may do; 304 while nothing changed', async () => {
      const id = await request(megan, 'isolate device ws-fin-042');
      const adeleQueue = await call(adele, '/approvals');
      const item = (adeleQueue.body as QueueResponse).items.find((i) => i.id === id);
      assert.ok(item, 'Adele sees the request');
      assert.equal(item.viewer, 'decide');
      assert.equal(item.subject, 'ws-fin-042.corp.contoso.com');
      assert.equal(item.requester.userPrincipalName, megan.user.userPrincipalName);
      assert.equal(item.reason, 'Beaconing to 198.51.100.77');
      assert.match(item.title, /Isolate/);
      assert.equal(
        ((await call(megan, '/approvals')).body as QueueResponse).items.find((i) => i.id === id)?.viewer,
        'selfApproval',
      );
      assert.equal(
        ((await call(alex, '/approvals')).body as QueueResponse).items.find((i) => i.id === id)?.viewer,
        'missingRole',
      );
      const etag = adeleQueue.headers.get('etag');
      assert.ok(etag);
      assert.equal((await call(adele, '/approvals', { headers: { 'if-none-match': etag } })).status, 304);

      // A decision on the card reaches the tab: the ETag no longer matches and the request has left the queue.
      await h.execute('approval.reject', { approvalId: id, comment: 'Not this one' }, isaiah, triage);
      const after = await call(adele, '/approvals', { headers: { 'if-none-match': etag } });
      assert.equal(after.status, 200);
      assert.equal(
        (after.body as QueueResponse).items.find((i) => i.id === id),
        undefined,
      );
    });

    it('approves under the card’s rules: no self-approval, the role, a comment to reject; executed once with the approver’s token; the card follows', async () => {
      const id = await request(megan, 'isolate device ws-fin-043');
      const approve = (person: TeamsPerson, comment = '') =>
        call(person, `/approvals/${id}/approve`, { method: 'POST', body: { comment } });
      const self = (await approve(megan)).body as DecisionResponse;
      assert.equal(self.outcome, 'refused');
      assert.equal(self.reason, 'selfApproval');
      assert.equal(((await approve(alex)).body as DecisionResponse).reason, 'missingRole');
      // A comment carrying something shaped like a token is refused (never stored or audited in full).
      const withToken = (
        await call(adele, `/approvals/${id}/approve`, {
          method: 'POST',
          body: { comment: `see ${h.ssoToken(adele)}` },
        })
      ).body as DecisionResponse;
      assert.equal(withToken.reason, 'tokenInText');
      const noComment = (await call(isaiah, `/approvals/${id}/reject`, { method: 'POST', body: { comment: '' } }))
        .body as DecisionResponse;
      assert.equal(noComment.reason, 'commentRequired');

      // Two approvers at once: one executes, the other is told it was already decided.
      const [a, b] = await Promise.all([approve(adele, 'Confirmed'), approve(isaiah, 'Confirmed too')]);
      const outcomes = [(a.body as DecisionResponse).outcome, (b.body as DecisionResponse).outcome].sort();
      assert.deepEqual(outcomes, ['executing', 'refused']);
      await h.app.idle();
      const sent = defenderActionsFor(id);
      assert.equal(sent.length, 1, 'exactly one isolation');
      const executor = (a.body as DecisionResponse).outcome === 'executing' ? adele : isaiah;
      assert.equal(sent[0]!.requestor, executor.user.userPrincipalName, 'sent with the approver’s own token');

      // The request's card in the chat was updated to say so.
      const updates = h.channel.sent().filter((s) => s.conversationId === triage.id && s.kind === 'update');
      assert.ok(
        updates.some((u) => JSON.stringify(u.activity).includes(executor.user.displayName)),
        'the chat card names the approver',
      );
      // And the refusals are in the audit trail.
      const refused = (await call(adele, `/audit?action=approval.refused`)).body as AuditResponse;
      const mine = refused.entries.filter((e) => e.approvalId === id).map((e) => e.detail ?? '');
      assert.ok(mine.some((d) => d.includes('selfApproval')));
      assert.ok(mine.some((d) => d.includes('missingRole')));
    });
  });

  describe('actions and containment board', () => {
    it('shows an isolation Defender has not started (the device is out of reach) as in flight, with Defender’s status', async () => {
      const id = await request(megan, 'isolate device ws-fin-044');
      await call(adele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'Go' } });
      await h.app.idle();
      await h.app.trackNow();
      const board = (await call(isaiah, '/actions')).body as ActionsResponse;
      const flying = board.inFlight.find((i) => i.approvalId === id);
      assert.ok(flying, 'in flight');
      assert.equal(flying.defenderStatus, 'Pending');
      assert.equal(flying.state, 'submitted');
      assert.deepEqual(
        flying.approvers.map((p) => p.displayName),
        [adele.user.displayName],
      );
      assert.equal(
        board.contained.find((c) => c.approvalId === id),
        undefined,
        'not contained before Defender says so',
      );
    });

    it('shows the contained device with who and which approval; release goes through approval', async () => {
      const id = await request(megan, 'isolate device ws-fin-041');
      await call(adele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'Go' } });
      await h.app.idle();
      const contained = await until('the device is on the board', async () => {
        const board = (await call(isaiah, '/actions')).body as ActionsResponse;
        return board.contained.find((c) => c.approvalId === id);
      });
      assert.equal(contained.deviceName, 'ws-fin-041.corp.contoso.com');
      assert.equal(contained.kind, 'isolate');
      assert.equal(contained.requester.userPrincipalName, megan.user.userPrincipalName);
      assert.deepEqual(
        contained.approvers.map((p) => p.userPrincipalName),
        [adele.user.userPrincipalName],
      );
      assert.equal(contained.overdue, false);

      // Release: not by an analyst, not without a reason; by a responder it becomes an approval request.
      const deviceId = contained.deviceId;
      const byAlex = (
        await call(alex, `/containments/${deviceId}/release`, {
          method: 'POST',
          body: { kind: 'isolate', reason: 'Cleaned' },
        })
      ).body as ReleaseResponse;
      assert.equal(byAlex.outcome, 'refused');
      const noReason = (
        await call(megan, `/containments/${deviceId}/release`, {
          method: 'POST',
          body: { kind: 'isolate', reason: ' ' },
        })
      ).body as ReleaseResponse;
      assert.equal(noReason.outcome, 'refused');
      const released = (
        await call(megan, `/containments/${deviceId}/release`, {
          method: 'POST',
          body: { kind: 'isolate', reason: 'Reimaged, clean' },
        })
      ).body as ReleaseResponse;
      assert.equal(released.outcome, 'requested', released.message);
      assert.ok(released.approvalId);
      await h.app.idle();
      assert.equal(defenderActionsFor(released.approvalId).length, 0, 'nothing sent before approval');
      const queue = (await call(adele, '/approvals')).body as QueueResponse;
      assert.equal(queue.items.find((i) => i.id === released.approvalId)?.kind, 'unisolate');
      const board = (await call(adele, '/actions')).body as ActionsResponse;
      assert.equal(board.contained.find((c) => c.approvalId === id)?.release?.approvalId, released.approvalId);
      // Posted in the approvers' channel for someone to decide.
      await h.channel.waitFor(
        (s) => s.conversationId === approversChannel.id && JSON.stringify(s.activity).includes(released.approvalId!),
        { timeoutMs: 5_000 },
      );
      // A second release while one is open is refused.
      const again = (
        await call(megan, `/containments/${deviceId}/release`, {
          method: 'POST',
          body: { kind: 'isolate', reason: 'Again' },
        })
      ).body as ReleaseResponse;
      assert.equal(again.outcome, 'refused');

      // Approved: released in Defender, and the device leaves the board.
      await call(adele, `/approvals/${released.approvalId}/approve`, { method: 'POST', body: { comment: 'ok' } });
      await h.app.idle();
      await until('the device leaves the board', async () => {
        const now = (await call(adele, '/actions')).body as ActionsResponse;
        return now.contained.some((c) => c.approvalId === id) ? undefined : true;
      });
      assert.equal(defenderActionsFor(released.approvalId)[0]?.type, 'Unisolate');

      // A click on the old isolation's request (refused: already decided) shows it again to its cards; the board
      // must not take the released device back.
      const stale = (await call(alex, `/approvals/${id}/approve`, { method: 'POST', body: { comment: '' } }))
        .body as DecisionResponse;
      assert.equal(stale.outcome, 'refused');
      await h.app.idle();
      const after = (await call(adele, '/actions')).body as ActionsResponse;
      assert.equal(
        after.contained.find((c) => c.deviceId === deviceId),
        undefined,
        'released stays released',
      );
      assert.equal(await h.app.tab.remindNow(), 0);
    });

    it('forgets a containment released outside the bot (the portal) instead of reminding about it', async () => {
      const id = await request(megan, 'isolate device ws-eng-021');
      await call(adele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'Go' } });
      await h.app.idle();
      const contained = await until('the device is on the board', async () => {
        const board = (await call(adele, '/actions')).body as ActionsResponse;
        return board.contained.find((c) => c.approvalId === id);
      });
      await releaseInDefender(contained.deviceId);
      await until('Defender finished the release', () => {
        const actions = h.simulator.defender.state
          .machineActions(CONTOSO)
          .filter((a) => a.machineId === contained.deviceId && a.type === 'Unisolate');
        return Promise.resolve(actions.some((a) => a.status === 'Succeeded') ? true : undefined);
      });
      clock += 25 * 3_600_000;
      const since = h.channel.sentCount();
      await h.app.tab.remindNow();
      await h.app.idle();
      const reminders = h.channel
        .sent()
        .slice(since)
        .filter((s) => JSON.stringify(s.activity).includes(id));
      assert.equal(reminders.length, 0, 'no reminder about a device already released');
      const board = (await call(adele, '/actions')).body as ActionsResponse;
      assert.equal(
        board.contained.find((c) => c.approvalId === id),
        undefined,
      );
      const trail = (await call(adele, `/audit?action=containment.forgotten`)).body as AuditResponse;
      assert.ok(trail.entries.some((e) => e.approvalId === id && (e.detail ?? '').includes('releasedInDefender')));
    });

    it('reminds the requester, once per period, where the request was made when a containment outlives its age', async () => {
      const id = await request(megan, 'restrict apps on ws-hr-012');
      await call(adele, `/approvals/${id}/approve`, { method: 'POST', body: { comment: 'Go' } });
      await h.app.idle();
      await until('the restriction is on the board', async () => {
        const board = (await call(adele, '/actions')).body as ActionsResponse;
        return board.contained.find((c) => c.approvalId === id);
      });
      assert.equal(await h.app.tab.remindNow(), 0, 'not yet');
      clock += 31 * 60_000;
      const board = (await call(adele, '/actions')).body as ActionsResponse;
      const held = board.contained.find((c) => c.approvalId === id);
      assert.equal(held?.overdue, true);
      // Someone whose Defender device groups do not include the device (Patti: Finance only) tries to release it:
      // refused, and the board does not take her empty view of Defender for a release.
      const byPatti = (
        await call(patti, `/containments/${held.deviceId}/release`, {
          method: 'POST',
          body: { kind: 'restrictCodeExecution', reason: 'Done here' },
        })
      ).body as ReleaseResponse;
      assert.equal(byPatti.outcome, 'refused');
      assert.ok(((await call(adele, '/actions')).body as ActionsResponse).contained.some((c) => c.approvalId === id));
      const since = h.channel.sentCount();
      assert.ok((await h.app.tab.remindNow()) >= 1);
      const [reminder] = await h.channel.waitFor(
        (s) => s.conversationId === triage.id && s.kind !== 'update' && JSON.stringify(s.activity).includes(id),
        { since, count: 1, timeoutMs: 5_000 },
      );
      const words = visibleText(reminder!.activity.attachments);
      assert.match(words, /ws-hr-012/);
      assert.match(words, /Megan Bowen/);
      assert.match(words, /remove app restrictions on ws-hr-012/);
      assert.equal(await h.app.tab.remindNow(), 0, 'not again within the period');

      // A release is asked for: no more reminders while it is open, even past another period.
      const release = (
        await call(megan, `/containments/${held.deviceId}/release`, {
          method: 'POST',
          body: { kind: 'restrictCodeExecution', reason: 'Investigation closed' },
        })
      ).body as ReleaseResponse;
      assert.equal(release.outcome, 'requested', release.message);
      clock += 31 * 60_000;
      const before = h.channel.sentCount();
      await h.app.tab.remindNow();
      await h.app.idle();
      const again = h.channel
        .sent()
        .slice(before)
        .filter(
          (x) => x.kind !== 'update' && visibleText(x.activity.attachments).includes('Still contained: ws-hr-012'),
        );
      assert.equal(again.length, 0, 'no reminder while a release is open');
    });
  });

  describe('audit', () => {
    it('is for approvers and admins (an analyst is refused, and that is audited)', async () => {
      const refused = await call(alex, '/audit');
      assert.equal(refused.status, 403);
      await sleep(50);
      const trail = (await call(adele, `/audit?user=${encodeURIComponent(alex.user.userPrincipalName)}`))
        .body as AuditResponse;
      assert.ok(trail.entries.some((e) => e.type === 'approval.refused' && (e.detail ?? '').includes('tab.audit')));
      assert.equal((await call(alex, '/audit/export')).status, 403);
    });

    it('filters by device, action and dates, verifies the chain, and exports the filtered range as stored JSON Lines', async () => {
      const id = await request(megan, 'isolate device ws-hr-009');
      const byDevice = (await call(adele, '/audit?device=WS-HR-009.CORP.CONTOSO.COM')).body as AuditResponse;
      assert.ok(byDevice.entries.length > 0);
      assert.ok(byDevice.entries.every((e) => e.device === 'ws-hr-009.corp.contoso.com'));
      assert.deepEqual(byDevice.chain.ok, true);
      // The host name alone finds the same entries.
      const byHost = (await call(adele, '/audit?device=ws-hr-009')).body as AuditResponse;
      assert.deepEqual(
        byHost.entries.map((e) => e.seq),
        byDevice.entries.map((e) => e.seq),
      );
      const requested = (await call(adele, '/audit?device=ws-hr-009.corp.contoso.com&action=approval.requested'))
        .body as AuditResponse;
      assert.ok(requested.entries.every((e) => e.type === 'approval.requested'));
      assert.ok(requested.entries.some((e) => e.approvalId === id));
      const tomorrow = new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);
      assert.equal(
        ((await call(adele, `/audit?device=ws-hr-009.corp.contoso.com&from=${tomorrow}`)).body as AuditResponse).entries
          .length,
        0,
      );
      assert.equal((await call(adele, '/audit?from=yesterday')).status, 400);

      const exported = await call(adele, '/audit/export?device=ws-hr-009.corp.contoso.com');
      assert.equal(exported.status, 200);
      assert.match(exported.headers.get('content-type') ?? '', /application\/x-ndjson/);
      const lines = exported.text.trim().split('\n');
      assert.ok(lines.length >= byDevice.entries.length);
      for (const line of lines) {
        const parsed = parseAuditLine(line);
        assert.ok(parsed.ok, 'each line is a stored audit entry');
        assert.equal(parsed.entry.device?.name, 'ws-hr-009.corp.contoso.com');
        assert.equal(parsed.entry.tenantId.toLowerCase(), CONTOSO.toLowerCase());
      }
    });
  });

  describe('channel subscriptions', () => {
    it('lists, adds and removes the channel’s subscriptions for those allowed; refuses others; unknown channels say so', async () => {
      const channel: Conversation = {
        id: '19:tab-alerts@thread.tacv2',
        conversationType: 'channel',
        tenantId: CONTOSO,
      };
      // Teams' roster of the channel: Adele and Alex are in it, Isaiah is not.
      h.channel.setMembers(
        channel.id,
        [adele, alex].map((p) => ({ id: p.id, name: p.user.displayName, aadObjectId: p.user.aadObjectId })),
      );
      await h.message('subscribe to high alerts', adele, channel);
      await h.execute('command.view', { command: 'subscribe to high alerts' }, adele, channel);
      await h.app.idle();
      const listed = (await call(alex, `/subscriptions?channelId=${encodeURIComponent(channel.id)}`))
        .body as SubscriptionsResponse;
      assert.equal(listed.known, true);
      assert.equal(listed.canEdit, false);
      assert.deepEqual(
        listed.subscriptions.map((s) => s.severities),
        [['High']],
      );

      const body = { channelId: channel.id, severities: ['Medium'], follows: ['incidents'] };
      assert.equal((await call(alex, '/subscriptions', { method: 'POST', body })).status, 403);
      const added = await call(adele, '/subscriptions', { method: 'POST', body });
      assert.equal(added.status, 200);
      const now = (await call(adele, `/subscriptions?channelId=${encodeURIComponent(channel.id)}`))
        .body as SubscriptionsResponse;
      assert.equal(now.subscriptions.length, 2);
      const medium = now.subscriptions.find((s) => s.severities.includes('Medium'))!;
      assert.deepEqual(medium.follows, ['incidents']);
      assert.equal(
        (
          await call(alex, `/subscriptions/${medium.id}?channelId=${encodeURIComponent(channel.id)}`, {
            method: 'DELETE',
          })
        ).status,
        403,
      );
      const removed = await call(adele, `/subscriptions/${medium.id}?channelId=${encodeURIComponent(channel.id)}`, {
        method: 'DELETE',
      });
      assert.equal(removed.status, 200);

      // An approver who is not in the channel can neither read nor change its subscriptions (refusal audited).
      const outsider = await call(isaiah, `/subscriptions?channelId=${encodeURIComponent(channel.id)}`);
      assert.equal(outsider.status, 403);
      assert.equal((outsider.body as { error: { code: string } }).error.code, 'notInChannel');
      assert.equal((await call(isaiah, '/subscriptions', { method: 'POST', body })).status, 403);
      const trail = (await call(adele, `/audit?user=${encodeURIComponent(isaiah.user.userPrincipalName)}`))
        .body as AuditResponse;
      assert.ok(trail.entries.some((e) => (e.detail ?? '').includes('notInConversation')));

      const unknown = (await call(adele, '/subscriptions?channelId=19%3Anowhere%40thread.tacv2'))
        .body as SubscriptionsResponse;
      assert.equal(unknown.known, false);
      const refused = await call(adele, '/subscriptions', {
        method: 'POST',
        body: { ...body, channelId: '19:nowhere@thread.tacv2' },
      });
      assert.equal(refused.status, 409);
      assert.equal(
        (await call(adele, '/subscriptions', { method: 'POST', body: { channelId: channel.id } })).status,
        400,
      );
    });
  });
});
