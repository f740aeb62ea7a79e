import assert from 'node:assert/strict';
import { createLogger } from '../../../src/logging/logger';
import { ALL_SCOPES, startHarness } from './defenderHarness';
import type { Harness } from './defenderHarness';
import { FIN_WS, LINUX_DB, MAC_DEV, TENANT_A, TENANT_B, tenantASeed, tenantBSeed, USERS, WEB_SRV } from './testSeeds';

const SHA1 = 'ff836cfb1af40252bd2a2ea843032e99a5b262ed';

describe('simulator/defender machine actions', () => {
  let h: Harness;
  let token: string;
  beforeEach(async () => {
    // Fake clock; timings 1 s pending, 2 s in progress, 10 s timeout (see the harness).
    h = await startHarness();
    token = await h.userToken('admin');
  });
  afterEach(() => h.close());

  const post = (path: string, body: unknown, t = token) => h.server.request(path, { method: 'POST', token: t, body });
  const isolate = (machineId = FIN_WS, body: unknown = { Comment: 'Isolate due to alert', IsolationType: 'Full' }) =>
    post(`/api/machines/${machineId}/isolate`, body);
  /** Reads an action with a token valid at the fake clock's time (the clock may have moved days ahead). */
  const getAction = async (id: string) => {
    const now = Math.floor(h.clock.now().getTime() / 1000);
    const fresh = await h.tokens.user({
      tenantId: TENANT_A,
      oid: USERS.admin.oid,
      upn: USERS.admin.upn,
      scp: ALL_SCOPES,
      overrides: { iat: now, nbf: now, exp: now + 3600 },
    });
    return h.server.request(`/api/machineactions/${id}`, { token: fresh });
  };

  describe('POST /api/machines/{id}/isolate', () => {
    it('answers 201 with a Pending MachineAction carrying every documented field', async () => {
      const res = await isolate();
      assert.equal(res.status, 201);
      const a = res.json;
      assert.equal(a['@odata.context'], `${h.server.baseUrl}/api/$metadata#MachineActions/$entity`);
      assert.match(a.id, /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      assert.equal(a.type, 'Isolate');
      assert.equal(a.status, 'Pending');
      assert.equal(a.requestor, 'admin@contoso.com');
      assert.equal(a.requestorComment, 'Isolate due to alert');
      assert.equal(a.machineId, FIN_WS);
      assert.equal(a.computerDnsName, 'ws-fin-042.corp.contoso.com');
      assert.equal(a.scope, 'Full');
      assert.equal(a.requestSource, 'PublicApi');
      assert.equal(a.errorHResult, 0);
      assert.equal(a.creationDateTimeUtc, a.lastUpdateDateTimeUtc);
      for (const field of [
        'title',
        'cancellationRequestor',
        'cancellationComment',
        'cancellationDateTimeUtc',
        'externalId',
        'relatedFileInfo',
        'troubleshootInfo',
      ]) {
        assert.ok(field in a && a[field] === null, field);
      }
      assert.deepEqual(a.commands, []);
    });

    it('defaults IsolationType to Full and accepts Selective', async () => {
      assert.equal((await isolate(FIN_WS, { Comment: 'x' })).json.scope, 'Full');
      assert.equal((await isolate(WEB_SRV, { Comment: 'x', IsolationType: 'Selective' })).json.scope, 'Selective');
    });

    it('uses the app id as requestor in application context', async () => {
      const app = await h.appToken(['Machine.Isolate']);
      const res = await post(`/api/machines/${FIN_WS}/isolate`, { Comment: 'auto' }, app);
      assert.equal(res.status, 201);
      assert.equal(res.json.requestor, '0f0f0f0f-1111-4222-8333-444444444444');
    });

    it('refuses a missing Comment with MissingRequiredParameter', async () => {
      for (const body of [{}, { IsolationType: 'Full' }, { Comment: '' }, { Comment: null }]) {
        const res = await isolate(FIN_WS, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'MissingRequiredParameter');
        assert.equal(res.json.error.message, 'Parameter Comment is missing');
      }
    });

    it('refuses wrong casing, unknown parameters, bad enums and non-JSON with InvalidRequestBody', async () => {
      const cases: unknown[] = [
        { comment: 'lower-case name' },
        { Comment: 'x', isolationType: 'Full' },
        { Comment: 'x', Reason: 'y' },
        { Comment: 'x', IsolationType: 'Partial' },
        { Comment: 42 },
        'Comment=x',
        '',
      ];
      for (const body of cases) {
        const res = await isolate(FIN_WS, body);
        assert.equal(res.status, 400, JSON.stringify(body));
        assert.equal(res.json.error.code, 'InvalidRequestBody', JSON.stringify(body));
      }
      assert.equal(h.api.state.machineActions().length, 0);
    });

    it('404s an unknown machine, and a computer name (actions take the device id)', async () => {
      for (const key of ['0'.repeat(40), 'ws-fin-042.corp.contoso.com']) {
        const res = await isolate(key);
        assert.equal(res.status, 404);
        assert.equal(res.json.error.code, 'ResourceNotFound');
        assert.equal(res.json.error.message, `Machine ${key} was not found`);
      }
    });

    it('refuses a second isolate while the first is not final with the documented 400 BadRequest', async () => {
      const first = await isolate();
      assert.equal(first.status, 201);
      const second = await isolate();
      assert.equal(second.status, 400);
      assert.equal(second.json.error.code, 'BadRequest');
      assert.equal(second.json.error.message, 'Action is already in progress');
      assert.match(second.json.error.target, /^[0-9a-f-]{36}$/);
      assert.equal(h.api.state.machineActions().length, 1);
      // A different type on the same device is not a duplicate (the #5903 race stays possible).
      assert.equal((await post(`/api/machines/${FIN_WS}/unisolate`, { Comment: 'release' })).status, 201);
      // Once the first isolate is final, a new one is accepted.
      h.clock.advance(3_000);
      assert.equal((await isolate()).status, 201);
    });

    /** Two isolates on a fresh harness with these options; the second answer and the number of actions. */
    async function duplicateOn(options: Parameters<typeof startHarness>[0]) {
      const other = await startHarness(options);
      try {
        const t = await other.userToken('admin');
        const path = `/api/machines/${FIN_WS}/isolate`;
        const first = await other.server.request(path, { method: 'POST', token: t, body: { Comment: 'a' } });
        const second = await other.server.request(path, { method: 'POST', token: t, body: { Comment: 'b' } });
        return { first, second, actions: other.api.state.machineActions().length };
      } finally {
        await other.close();
      }
    }

    it("answers ActiveRequestAlreadyExists in mode 'activeRequestCode' and its alias 'reject'", async () => {
      for (const duplicateAction of ['activeRequestCode', 'reject'] as const) {
        const { second, actions } = await duplicateOn({ behaviour: { duplicateAction } });
        assert.equal(second.status, 400, duplicateAction);
        assert.equal(second.json.error.code, 'ActiveRequestAlreadyExists');
        assert.equal(second.json.error.message, 'Action is already in progress');
        assert.equal(actions, 1);
      }
    });

    it('can return the existing pending action instead (§4.4 alternative)', async () => {
      const { first, second, actions } = await duplicateOn({ behaviour: { duplicateAction: 'returnExisting' } });
      assert.equal(second.status, 201);
      assert.equal(second.json.id, first.json.id);
      assert.equal(second.json.requestorComment, 'a');
      assert.equal(actions, 1);
    });

    it("takes a tenant's duplicate mode from its seed", async () => {
      const seed = tenantASeed();
      seed.defender = { provisioned: true, behaviour: { duplicateAction: 'returnExisting' } };
      const { second } = await duplicateOn({ seeds: [seed, tenantBSeed()] });
      assert.equal(second.status, 201);
    });

    it("switches a tenant's duplicate mode at run time, over /_sim/faults?tenantId= or faults.set", async () => {
      assert.equal((await isolate()).status, 201);
      // Another tenant's profile does not apply here.
      h.api.faults.set({ behaviour: { duplicateAction: 'returnExisting' } }, { tenantId: TENANT_B });
      assert.equal((await isolate()).json.error.code, 'BadRequest');
      const put = await h.server.request(`/_sim/faults?tenantId=${TENANT_A}`, {
        method: 'PUT',
        body: { behaviour: { duplicateAction: 'activeRequestCode' } },
      });
      assert.equal(put.status, 200);
      assert.equal((await isolate()).json.error.code, 'ActiveRequestAlreadyExists');
      h.api.faults.set({ behaviour: { duplicateAction: 'returnExisting' } }, { tenantId: TENANT_A });
      assert.equal((await isolate()).status, 201);
      h.api.faults.clear({ tenantId: TENANT_A });
      assert.equal((await isolate()).json.error.code, 'BadRequest');
      assert.equal(h.api.state.machineActions().length, 1);
    });
  });

  describe('other response actions', () => {
    it('accepts unisolate, restrict, unrestrict, scan, collect and stop & quarantine', async () => {
      const cases: [string, unknown, string, string | null][] = [
        ['unisolate', { Comment: 'c' }, 'Unisolate', null],
        ['restrictCodeExecution', { Comment: 'c' }, 'RestrictCodeExecution', null],
        ['unrestrictCodeExecution', { Comment: 'c' }, 'UnrestrictCodeExecution', null],
        ['runAntiVirusScan', { Comment: 'c', ScanType: 'Quick' }, 'RunAntiVirusScan', 'Quick'],
        ['collectInvestigationPackage', { Comment: 'c' }, 'CollectInvestigationPackage', null],
        ['StopAndQuarantineFile', { Comment: 'c', Sha1: SHA1 }, 'StopAndQuarantineFile', null],
      ];
      for (const [segment, body, type, scope] of cases) {
        const res = await post(`/api/machines/${WEB_SRV}/${segment}`, body);
        assert.equal(res.status, 201, segment);
        assert.equal(res.json.type, type);
        assert.equal(res.json.scope, scope);
      }
      const quarantine = h.api.state.machineActions().find((a) => a.type === 'StopAndQuarantineFile');
      assert.deepEqual(quarantine?.relatedFileInfo, { fileIdentifier: SHA1, fileIdentifierType: 'Sha1' });
    });

    it('needs ScanType for a scan and refuses an unknown one', async () => {
      const missing = await post(`/api/machines/${FIN_WS}/runAntiVirusScan`, { Comment: 'c' });
      assert.equal(missing.json.error.code, 'MissingRequiredParameter');
      assert.equal(missing.json.error.message, 'Parameter ScanType is missing');
      const bad = await post(`/api/machines/${FIN_WS}/runAntiVirusScan`, { Comment: 'c', ScanType: 'Deep' });
      assert.equal(bad.json.error.code, 'InvalidRequestBody');
    });

    it('needs a 40-hex Sha1 for stop & quarantine', async () => {
      const missing = await post(`/api/machines/${FIN_WS}/StopAndQuarantineFile`, { Comment: 'c' });
      assert.equal(missing.json.error.code, 'MissingRequiredParameter');
      for (const sha1 of ['abc', `${SHA1}0`, 'g'.repeat(40)]) {
        const bad = await post(`/api/machines/${FIN_WS}/StopAndQuarantineFile`, { Comment: 'c', Sha1: sha1 });
        assert.equal(bad.status, 400);
        assert.equal(bad.json.error.code, 'InvalidHashValue');
      }
    });

    it('refuses restrict/unrestrict on Linux and macOS with OsPlatformNotSupported', async () => {
      for (const [id, platform] of [
        [LINUX_DB, 'Linux'],
        [MAC_DEV, 'macOS'],
      ] as const) {
        for (const segment of ['restrictCodeExecution', 'unrestrictCodeExecution']) {
          const res = await post(`/api/machines/${id}/${segment}`, { Comment: 'c' });
          assert.equal(res.status, 400);
          assert.equal(res.json.error.code, 'OsPlatformNotSupported');
          assert.equal(res.json.error.message, `OS Platform ${platform} isn't supported for this action`);
        }
      }
      assert.equal((await post(`/api/machines/${MAC_DEV}/isolate`, { Comment: 'c' })).status, 201);
    });

    it('needs the permission of each action', async () => {
      const scanOnly = await h.userToken('admin', 'Machine.Read Machine.Scan');
      const denied = await post(`/api/machines/${FIN_WS}/isolate`, { Comment: 'c' }, scanOnly);
      assert.equal(denied.status, 403);
      assert.match(denied.json.error.message, /Machine.Isolate/);
      const allowed = await post(
        `/api/machines/${FIN_WS}/runAntiVirusScan`,
        { Comment: 'c', ScanType: 'Full' },
        scanOnly,
      );
      assert.equal(allowed.status, 201);
      const appWithoutRole = await h.appToken(['Machine.Read.All']);
      assert.equal(
        (await post(`/api/machines/${FIN_WS}/collectInvestigationPackage`, { Comment: 'c' }, appWithoutRole)).status,
        403,
      );
    });
  });

  describe('lifecycle', () => {
    it('goes Pending → InProgress → Succeeded on the injected clock, with planned timestamps', async () => {
      const created = (await isolate()).json;
      const start = new Date(created.creationDateTimeUtc).getTime();
      h.clock.advance(999);
      assert.equal((await getAction(created.id)).json.status, 'Pending');
      h.clock.advance(1);
      const inProgress = (await getAction(created.id)).json;
      assert.equal(inProgress.status, 'InProgress');
      assert.equal(new Date(inProgress.lastUpdateDateTimeUtc).getTime(), start + 1_000);
      h.clock.advance(5_000);
      const done = (await getAction(created.id)).json;
      assert.equal(done.status, 'Succeeded');
      assert.equal(new Date(done.lastUpdateDateTimeUtc).getTime(), start + 3_000);
      assert.equal(done.errorHResult, 0);
      assert.deepEqual(h.api.state.deviceStatus(FIN_WS), { isolated: true, codeExecutionRestricted: false });
    });

    /** Isolates on a real-time harness, waits 300 ms without reading, and returns what the wake-up timers applied. */
    async function transitionsByTimersAlone(now: () => Date): Promise<{ created: string; transitions: unknown[] }> {
      const lines: string[] = [];
      const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
      const realTime = await startHarness({
        now,
        logger,
        timings: { pendingMs: 20, inProgressMs: 20, timeoutMs: 500 },
      });
      try {
        const t = await realTime.userToken('admin');
        const res = await realTime.server.request(`/api/machines/${FIN_WS}/isolate`, {
          method: 'POST',
          token: t,
          body: { Comment: 'go' },
        });
        // No request and no state read in between: only the wake-up timers can log these transitions.
        await new Promise((resolve) => setTimeout(resolve, 300));
        const transitions = lines
          .map((line) => JSON.parse(line) as { msg: string; actionId?: string; status?: string })
          .filter((entry) => entry.msg === 'machine action' && entry.actionId === res.json.id)
          .map((entry) => entry.status);
        return { created: res.json.status, transitions };
      } finally {
        await realTime.close();
      }
    }

    it('reaches Succeeded in real time with small timings, advanced by timers without any read', async () => {
      const { created, transitions } = await transitionsByTimersAlone(() => new Date());
      assert.equal(created, 'Pending');
      // A slow event loop may apply both transitions in one wake-up, so InProgress is not guaranteed here.
      assert.equal(transitions.at(-1), 'Succeeded');
      assert.ok(transitions.every((status) => status === 'InProgress' || status === 'Succeeded'));
    });

    it('keeps waking until the clock reaches a transition when timers fire before it', async () => {
      // A clock running at 80% speed makes every timer fire "early", as Node's timers may by a millisecond.
      const start = Date.now();
      const { transitions } = await transitionsByTimersAlone(() => new Date(start + (Date.now() - start) * 0.8));
      assert.equal(transitions.at(-1), 'Succeeded');
    });

    const DAY_MS = 24 * 60 * 60_000;

    it('leaves an action on an offline device Pending for days, then TimeOut after 3 days', async () => {
      const created = (await isolate(LINUX_DB)).json;
      h.clock.advance(3 * DAY_MS - 1);
      const waiting = (await getAction(created.id)).json;
      assert.equal(waiting.status, 'Pending');
      assert.equal(waiting.lastUpdateDateTimeUtc, created.creationDateTimeUtc);
      h.clock.advance(1);
      const done = (await getAction(created.id)).json;
      assert.equal(done.status, 'TimeOut');
      assert.equal(
        new Date(done.lastUpdateDateTimeUtc).getTime(),
        new Date(created.creationDateTimeUtc).getTime() + 3 * DAY_MS,
      );
    });

    it('takes the offline timeout from timings.offlineTimeoutMs', async () => {
      const short = await startHarness({
        timings: { pendingMs: 1_000, inProgressMs: 2_000, timeoutMs: 10_000, offlineTimeoutMs: 60_000 },
      });
      try {
        const t = await short.userToken('admin');
        const path = `/api/machines/${LINUX_DB}/isolate`;
        const created = (await short.server.request(path, { method: 'POST', token: t, body: { Comment: 'x' } })).json;
        short.clock.advance(59_999);
        assert.equal(short.api.state.machineAction(created.id)?.status, 'Pending');
        short.clock.advance(1);
        assert.equal(short.api.state.machineAction(created.id)?.status, 'TimeOut');
      } finally {
        await short.close();
      }
    });

    it('runs a waiting action with the normal timings once the device is back (state API)', async () => {
      const created = (await isolate(LINUX_DB)).json;
      h.clock.advance(DAY_MS);
      assert.equal((await getAction(created.id)).json.status, 'Pending');
      const back = h.clock.now().getTime();
      h.api.state.updateMachine(LINUX_DB, { healthStatus: 'Active' });
      assert.equal((await getAction(created.id)).json.status, 'Pending');
      h.clock.advance(1_000);
      const inProgress = (await getAction(created.id)).json;
      assert.equal(inProgress.status, 'InProgress');
      assert.equal(new Date(inProgress.lastUpdateDateTimeUtc).getTime(), back + 1_000);
      h.clock.advance(2_000);
      const done = (await getAction(created.id)).json;
      assert.equal(done.status, 'Succeeded');
      assert.equal(new Date(done.lastUpdateDateTimeUtc).getTime(), back + 3_000);
      assert.equal(h.api.state.deviceStatus(LINUX_DB).isolated, true);
    });

    it('runs a waiting action once the device is back through PATCH /_sim/machines/{id}', async () => {
      const created = (await isolate(LINUX_DB)).json;
      h.clock.advance(2 * DAY_MS);
      const patch = await h.server.request(`/_sim/machines/${LINUX_DB}`, {
        method: 'PATCH',
        body: { healthStatus: 'Active' },
      });
      assert.equal(patch.status, 200);
      h.clock.advance(3_000);
      assert.equal((await getAction(created.id)).json.status, 'Succeeded');
    });

    it('keeps a scripted Failed outcome for an action that waited for its device', async () => {
      h.api.faults.set({ actionOutcomes: [{ type: 'Isolate', outcome: 'Failed' }] });
      const created = (await isolate(LINUX_DB)).json;
      h.clock.advance(DAY_MS);
      h.api.state.updateMachine(LINUX_DB, { healthStatus: 'Active' });
      h.clock.advance(3_000);
      assert.equal((await getAction(created.id)).json.status, 'Failed');
    });

    it('does not revive an action that already timed out when the device comes back', async () => {
      const created = (await isolate(LINUX_DB)).json;
      h.clock.advance(3 * DAY_MS + 5_000);
      h.api.state.updateMachine(LINUX_DB, { healthStatus: 'Active' });
      h.clock.advance(10_000);
      assert.equal((await getAction(created.id)).json.status, 'TimeOut');
    });

    it('leaves an action waiting when its device goes offline before picking it up', async () => {
      const created = (await isolate()).json;
      h.clock.advance(500);
      h.api.state.updateMachine(FIN_WS, { healthStatus: 'Inactive' });
      h.clock.advance(DAY_MS);
      assert.equal((await getAction(created.id)).json.status, 'Pending');
      h.api.state.updateMachine(FIN_WS, { healthStatus: 'Active' });
      h.clock.advance(3_000);
      assert.equal((await getAction(created.id)).json.status, 'Succeeded');
    });

    it('lets a device go offline through the control plane', async () => {
      h.api.state.updateMachine(FIN_WS, { healthStatus: 'Inactive' });
      const created = (await isolate()).json;
      h.clock.advance(10_000);
      assert.equal((await getAction(created.id)).json.status, 'Pending');
      h.clock.advance(3 * DAY_MS);
      assert.equal((await getAction(created.id)).json.status, 'TimeOut');
    });

    it('applies scripted outcomes to the next action of a type: Failed, TimeOut, stuck Pending', async () => {
      h.api.faults.set({
        actionOutcomes: [
          { type: 'Isolate', machineId: FIN_WS, outcome: 'Failed' },
          { type: 'RunAntiVirusScan', outcome: 'TimeOut' },
          { type: 'CollectInvestigationPackage', outcome: 'StuckPending' },
        ],
      });
      const failed = (await isolate()).json;
      const timedOut = (await post(`/api/machines/${FIN_WS}/runAntiVirusScan`, { Comment: 'c', ScanType: 'Quick' }))
        .json;
      const stuck = (await post(`/api/machines/${FIN_WS}/collectInvestigationPackage`, { Comment: 'c' })).json;
      h.clock.advance(3_000);
      const failedNow = (await getAction(failed.id)).json;
      assert.equal(failedNow.status, 'Failed');
      assert.notEqual(failedNow.errorHResult, 0);
      assert.equal((await getAction(timedOut.id)).json.status, 'Pending');
      h.clock.advance(7_000);
      assert.equal((await getAction(timedOut.id)).json.status, 'TimeOut');
      h.clock.advance(1_000_000);
      assert.equal((await getAction(stuck.id)).json.status, 'Pending');
      // Each rule was used once: the next isolate on the device succeeds.
      assert.deepEqual(h.api.faults.get().actionOutcomes, []);
      const next = (await isolate()).json;
      h.clock.advance(3_000);
      assert.equal((await getAction(next.id)).json.status, 'Succeeded');
      assert.deepEqual(h.api.state.deviceStatus(FIN_WS).isolated, true);
    });

    it('scopes a scripted outcome to its machine', async () => {
      h.api.faults.set({ actionOutcomes: [{ type: 'Isolate', machineId: WEB_SRV, outcome: 'Failed' }] });
      const other = (await isolate(FIN_WS)).json;
      h.clock.advance(3_000);
      assert.equal((await getAction(other.id)).json.status, 'Succeeded');
      assert.equal(h.api.faults.get().actionOutcomes.length, 1);
    });
  });

  describe('cancel', () => {
    it('cancels a pending action with 200 and records who and why', async () => {
      const created = (await isolate()).json;
      h.clock.advance(10);
      const res = await post(`/api/machineactions/${created.id}/cancel`, { Comment: 'Wrong device' });
      assert.equal(res.status, 200);
      assert.equal(res.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#MachineActions/$entity`);
      assert.equal(res.json.status, 'Cancelled');
      assert.equal(res.json.cancellationRequestor, 'admin@contoso.com');
      assert.equal(res.json.cancellationComment, 'Wrong device');
      assert.equal(res.json.cancellationDateTimeUtc, res.json.lastUpdateDateTimeUtc);
      // The lifecycle does not resurrect a cancelled action.
      h.clock.advance(10_000);
      assert.equal((await getAction(created.id)).json.status, 'Cancelled');
      assert.equal(h.api.state.deviceStatus(FIN_WS).isolated, false);
    });

    it('refuses to cancel a final action with 400', async () => {
      const created = (await isolate()).json;
      h.clock.advance(3_000);
      const res = await post(`/api/machineactions/${created.id}/cancel`, { Comment: 'late' });
      assert.equal(res.status, 400);
      assert.match(res.json.error.message, /already Succeeded/);
    });

    it('404s an unknown action and needs a Comment', async () => {
      const unknown = await post('/api/machineactions/5382f7ea-7557-4ab7-9782-d50480024a4e/cancel', { Comment: 'x' });
      assert.equal(unknown.status, 404);
      assert.equal(unknown.json.error.code, 'ResourceNotFound');
      const created = (await isolate()).json;
      const missing = await post(`/api/machineactions/${created.id}/cancel`, {});
      assert.equal(missing.json.error.code, 'MissingRequiredParameter');
    });

    it("needs the permission of the cancelled action's type", async () => {
      const created = (await isolate()).json;
      const scanOnly = await h.userToken('admin', 'Machine.Read Machine.Scan');
      const res = await post(`/api/machineactions/${created.id}/cancel`, { Comment: 'x' }, scanOnly);
      assert.equal(res.status, 403);
      assert.match(res.json.error.message, /Machine.Isolate/);
    });
  });

  describe('GET /api/machineactions', () => {
    it('lists newest first and filters on the documented properties', async () => {
      const first = (await isolate()).json;
      h.clock.advance(1_000);
      const second = (await post(`/api/machines/${WEB_SRV}/runAntiVirusScan`, { Comment: 'c', ScanType: 'Full' })).json;
      const all = await h.server.request('/api/machineactions', { token });
      assert.equal(all.json['@odata.context'], `${h.server.baseUrl}/api/$metadata#MachineActions`);
      assert.deepEqual(
        all.json.value.map((a: { id: string }) => a.id),
        [second.id, first.id],
      );
      const filters: [string, string[]][] = [
        [`machineId eq '${FIN_WS}'`, [first.id]],
        ["type eq 'RunAntiVirusScan'", [second.id]],
        ["status eq 'InProgress'", [first.id]],
        ["requestor eq 'ADMIN@contoso.com' and type eq 'Isolate'", [first.id]],
        [`id eq ${second.id}`, [second.id]],
        [`creationDateTimeUtc gt ${first.creationDateTimeUtc}`, [second.id]],
      ];
      for (const [filter, expected] of filters) {
        const res = await h.server.request(`/api/machineactions?$filter=${encodeURIComponent(filter)}`, { token });
        assert.equal(res.status, 200, filter);
        assert.deepEqual(
          res.json.value.map((a: { id: string }) => a.id),
          expected,
          filter,
        );
      }
    });

    const listIds = async (filter: string, extra = '') => {
      const res = await h.server.request(`/api/machineactions?$filter=${encodeURIComponent(filter)}${extra}`, {
        token,
      });
      assert.equal(res.status, 200, `${filter}: ${res.text}`);
      return res.json.value.map((a: { id: string }) => a.id);
    };

    it('answers the filter shapes the product sends: in flight since, a device and type since, ids', async () => {
      const since = h.clock
        .now()
        .toISOString()
        .replace(/\.\d+Z$/, 'Z');
      h.clock.advance(1_000);
      const offline = (await isolate(LINUX_DB)).json;
      const scan = (await post(`/api/machines/${WEB_SRV}/runAntiVirusScan`, { Comment: 'c', ScanType: 'Quick' })).json;
      h.clock.advance(1_500);
      const running = (await isolate()).json;
      h.clock.advance(1_500);
      // Now: the offline isolate Pending, the scan Succeeded, the last isolate InProgress.
      assert.deepEqual(
        await listIds(`(status eq 'Pending' or status eq 'InProgress') and creationDateTimeUtc ge ${since}`),
        [running.id, offline.id],
      );
      assert.deepEqual(
        await listIds(`machineId eq '${LINUX_DB}' and type eq 'Isolate' and creationDateTimeUtc ge ${since}`),
        [offline.id],
      );
      assert.deepEqual(
        (await listIds(`id eq '${scan.id}' or id eq '${offline.id}'`)).sort(),
        [scan.id, offline.id].sort(),
      );
      assert.deepEqual(
        await listIds(`status ne 'Succeeded' and creationDateTimeUtc lt ${running.creationDateTimeUtc}`),
        [offline.id],
      );
      assert.deepEqual(await listIds(`creationDateTimeUtc gt ${since}`, '&$top=1'), [running.id]);
    });

    it('refuses filters on properties the docs do not list, such as lastUpdateDateTimeUtc', async () => {
      for (const filter of [
        `lastUpdateDateTimeUtc ge ${h.clock.now().toISOString()}`,
        "computerDnsName eq 'ws-fin-042.corp.contoso.com'",
        "scope eq 'Full'",
      ]) {
        const res = await h.server.request(`/api/machineactions?$filter=${encodeURIComponent(filter)}`, { token });
        assert.equal(res.status, 400, filter);
        assert.equal(res.json.error.code, 'BadRequest');
        assert.match(res.json.error.message, /^Invalid filter clause/);
      }
      const tooMany = await h.server.request('/api/machineactions?$top=10001', { token });
      assert.equal(tooMany.status, 400);
    });

    it('404s an unknown action id', async () => {
      const res = await getAction('5382f7ea-7557-4ab7-9782-d50480024a4e');
      assert.equal(res.status, 404);
      assert.equal(res.json.error.code, 'ResourceNotFound');
    });
  });
});
