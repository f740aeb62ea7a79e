import assert from 'node:assert/strict';
import { actionData } from '../support/cardData';
import type { Cluster } from '../support/cluster';
import { startCluster, waitUntil } from '../support/cluster';
import { demoSeed } from '../support/demoTenant';
import type { Conversation, TeamsPerson } from '../support/productionApp';

/*
 * Approvals on three instances sharing one Blob container: clicks spread over the instances (some clicked twice,
 * on two instances at once), and the executing instance SIGKILLed while its Defender call is in flight. Counted
 * in the Defender simulator: every approved request reaches Defender exactly once.
 */

const CONTOSO = demoSeed.tenant.id;
const triage: Conversation = { id: '19:cluster-approvals@thread.v2', conversationType: 'groupChat', tenantId: CONTOSO };

function machineId(name: string): string {
  const found = demoSeed.machines.find((m) => m.computerDnsName.startsWith(`${name}.`));
  if (!found) throw new Error(`no machine ${name}`);
  return found.id;
}

describe('scale-out: approvals on three instances', function () {
  this.timeout(120_000);
  let c: Cluster;
  let megan: TeamsPerson;
  let adele: TeamsPerson;
  let isaiah: TeamsPerson;
  /** Every request made in this suite (each is in the audit trail, whichever instance served it). */
  const requestedIds: string[] = [];

  before(async function () {
    this.timeout(120_000);
    c = await startCluster({
      instances: 3,
      seed: demoSeed,
    });
    megan = c.person('Megan');
    adele = c.person('Adele');
    isaiah = c.person('Isaiah');
  });
  after(async () => c?.stop());
  afterEach(() => c.simulator.defender.faults.clear());

  /** Megan asks for a full scan of the device (through whichever instances the balancer picks): its approval id. */
  async function requestScan(device: string): Promise<string> {
    const command = `scan device ${device} full`;
    await c.message(command, megan, triage);
    const confirmation = await c.execute('command.view', { command }, megan, triage);
    const confirm = actionData(confirmation.value, 'action.confirm');
    assert.ok(confirm, `a confirmation card: ${JSON.stringify(confirmation).slice(0, 300)}`);
    const requested = await c.execute('action.confirm', { ...confirm, reason: 'cluster test' }, megan, triage);
    const approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested))?.[1];
    assert.ok(approvalId, `the requester's view carries the approval id: ${JSON.stringify(requested).slice(0, 300)}`);
    requestedIds.push(approvalId);
    return approvalId;
  }

  /** Machine actions Defender created for the approval (the bot writes the approval id into requestorComment). */
  function actionsFor(approvalId: string) {
    return c.simulator.defender.state
      .machineActions(CONTOSO)
      .filter((action) => (action.requestorComment ?? '').includes(approvalId));
  }

  /** Scan requests Defender received for the device (whatever their answer). */
  function scanPosts(device: string): number {
    const id = machineId(device).toLowerCase();
    return c
      .defenderRequests()
      .filter((r) => r.method === 'POST' && r.path.toLowerCase() === `/api/machines/${id}/runantivirusscan`).length;
  }

  /** The request's state in the shared store. */
  async function stateOf(approvalId: string): Promise<unknown> {
    return (await c.stored(`approvals/request/${approvalId}`))?.state;
  }

  /** Waits until the request's action has succeeded in Defender and the bot has recorded it. */
  async function succeeded(approvalId: string): Promise<void> {
    await waitUntil(
      async () => (await stateOf(approvalId)) === 'succeeded',
      async () => `${approvalId} to be recorded succeeded (it is ${String(await stateOf(approvalId))})`,
      { timeoutMs: 30_000 },
    );
  }

  /**
   * Adele approves on instance `to` while Defender holds the device's scan request `holdMs` before acting on it;
   * resolves once the request has reached Defender, with the click's eventual answer (or error).
   */
  async function approveWhileDefenderHolds(
    device: string,
    approvalId: string,
    holdMs: number,
    to: number,
  ): Promise<Promise<unknown>> {
    c.simulator.defender.faults.set({
      latency: { ms: holdMs, pathPrefix: `/api/machines/${machineId(device)}/runAntiVirusScan` },
    });
    const scans = () => c.simulator.defender.stats().byApi['machines.runAntiVirusScan'] ?? 0;
    const before = scans();
    const click = c.execute('approval.approve', { approvalId }, adele, triage, { to }).catch((err: unknown) => err);
    await waitUntil(
      () => scans() > before,
      async () =>
        `the scan request to reach Defender (the click answered ${JSON.stringify(await click).slice(0, 400)})`,
    );
    return click;
  }

  it('executes every approved request exactly once, with clicks spread over instances and double clicks on two', async () => {
    const devices = ['ws-fin-041', 'ws-fin-042', 'ws-fin-043', 'ws-eng-017', 'ws-eng-021', 'ws-hr-009'];
    const approvals: { device: string; approvalId: string }[] = [];
    for (const device of devices) approvals.push({ device, approvalId: await requestScan(device) });

    await Promise.all(
      approvals.map(async ({ approvalId }, i) => {
        const clicks = [c.execute('approval.approve', { approvalId }, adele, triage, { to: i % 3 })];
        // Every other request is also approved at the same moment on the next instance (Adele's second client,
        // or Isaiah): only one of the two clicks may execute it.
        if (i % 2 === 0) {
          const who = i % 4 === 0 ? adele : isaiah;
          clicks.push(c.execute('approval.approve', { approvalId }, who, triage, { to: (i + 1) % 3 }));
        }
        await Promise.all(clicks);
      }),
    );

    // The approval answers at once ("Sending to Defender"); each card ends Succeeded once its scan has run.
    for (const { approvalId } of approvals) await succeeded(approvalId);
    const counts = approvals.map(({ device, approvalId }) => ({
      device,
      created: actionsFor(approvalId).length,
      posts: scanPosts(device),
    }));
    assert.deepEqual(
      counts,
      approvals.map(({ device }) => ({ device, created: 1, posts: 1 })),
    );
  });

  it('executes a request once when the executing instance is SIGKILLed during the Defender call and restarted', async () => {
    const device = 'ws-hr-012';
    const approvalId = await requestScan(device);
    // Defender holds the scan request long enough to kill the instance that sent it.
    const click = await approveWhileDefenderHolds(device, approvalId, 1_500, 1);
    await c.kill(1, 'SIGKILL');
    await click;
    c.simulator.defender.faults.clear();
    await waitUntil(() => actionsFor(approvalId).length > 0, 'Defender to create the action it was sent');

    await c.restart(1);
    // The request is settled by adopting Defender's action (a restarted instance reconciles what it left
    // executing): its card ends Succeeded, and Defender never got a second request.
    await succeeded(approvalId);
    assert.equal(actionsFor(approvalId).length, 1);
    assert.equal(scanPosts(device), 1);
  });

  it("does not mark another instance's execution in flight interrupted when an instance starts", async () => {
    const device = 'vm-qa-test-01';
    const approvalId = await requestScan(device);
    // Defender holds the scan long enough for another instance to start while instance 0 waits for the answer.
    const click = await approveWhileDefenderHolds(device, approvalId, 15_000, 0);
    await c.restart(2);
    assert.equal(await stateOf(approvalId), 'executing', 'the starting instance left the execution alone');
    await click;
    await succeeded(approvalId);
    assert.equal(actionsFor(approvalId).length, 1);
    assert.equal(scanPosts(device), 1);
    assert.ok(
      !c.channel.sent().some((sent) => {
        const json = JSON.stringify(sent.activity);
        return json.includes(approvalId) && json.includes('Interrupted');
      }),
      'no card ever showed the request interrupted',
    );
  });

  it('resumes tracking within the lease period when the instance tracking the tenant is SIGKILLed', async () => {
    const device = 'kiosk-lobby-01';
    const approvalId = await requestScan(device);
    // The device is offline: Defender keeps the scan Pending until it is back.
    c.simulator.defender.state.updateMachine(machineId(device), { healthStatus: 'Inactive' }, CONTOSO);
    await c.execute('approval.approve', { approvalId }, adele, triage);
    await waitUntil(async () => (await stateOf(approvalId)) === 'submitted', `${approvalId} submitted to Defender`);

    const since = new Date();
    const [owner] = await waitUntil(() => {
      const callers = c.callersOf(/machineactions/i, since);
      return callers.length > 0 && callers;
    }, 'an instance to track the tenant');
    await c.kill(owner!, 'SIGKILL');
    c.simulator.defender.state.updateMachine(machineId(device), { healthStatus: 'Active' }, CONTOSO);
    await waitUntil(
      () => c.simulator.defender.state.machineAction(actionsFor(approvalId)[0]!.id, CONTOSO)?.status === 'Succeeded',
      'the scan to finish in Defender',
    );
    // Another instance takes the tenant over within the lease period (15 s here) and reads the action once more.
    await waitUntil(
      async () => (await stateOf(approvalId)) === 'succeeded',
      async () => `${approvalId} recorded succeeded after the kill (it is ${String(await stateOf(approvalId))})`,
      { timeoutMs: 15_000 + 5_000 },
    );
    await c.restart(owner!);
  });

  it('keeps one audit chain across the instances that verifies after all of the above', async () => {
    // Read from the shared store by a process with an empty DATA_DIR of its own, as an auditor would.
    const verified = await c.auditExport(['--verify']);
    assert.equal(verified.exitCode, 0, verified.output);
    assert.match(verified.output, /"ok":true/);
    const trail = await c.auditExport([]);
    assert.equal(trail.exitCode, 0, trail.output);
    assert.deepEqual(
      requestedIds.filter((approvalId) => !trail.output.includes(approvalId)),
      [],
      'every request is in the one trail, whichever instance served it',
    );
  });
});
