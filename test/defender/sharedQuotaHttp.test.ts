import assert from 'node:assert/strict';
import { throttleCounter } from '../../bench/throttleCounter';
import type { InstanceMembership, TenantOwnership } from '../../src/background/membership';
import { HttpDefenderClient } from '../../src/defender/defenderClient';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { isAppError } from '../../src/errors';
import { createLogger } from '../../src/logging/logger';
import { demoSeed } from '../support/demoTenant';
import { FakeCluster } from './fakeCluster';
import type { SimulatorWithUser } from './simulatorWithUser';
import { startSimulatorWithUser } from './simulatorWithUser';

const QUOTA = { perMinute: 30, perHour: 450 };
const CALLS_PER_INSTANCE = 20;

/** One instance's Defender client: its own limiter at the documented quota, refusing rather than queueing. */
function instanceClient(env: SimulatorWithUser, member: InstanceMembership & TenantOwnership): HttpDefenderClient {
  return new HttpDefenderClient({
    baseUrl: env.simulator.url,
    http: env.httpClient,
    limiter: new SlidingWindowLimiter({
      windows: [
        { limit: QUOTA.perMinute, windowMs: 60_000 },
        { limit: QUOTA.perHour, windowMs: 3_600_000 },
      ],
      // Refused at once rather than queued, so the whole run stays within one of Defender's minutes.
      maxWaitMs: 0,
      backgroundShare: 0.2,
      membership: member,
      ownership: member,
      // These instances are taken as having been up for a window: nothing of theirs is in Defender's window.
      joinWaitMs: 0,
    }),
    logger: createLogger({ level: 'silent' }),
    timeoutMs: 5_000,
    // A 429 is reported, not retried, so each one the simulator gave is visible.
    maxRetries: 0,
    maxRetryAfterMs: 0,
  });
}

describe("three bot instances sharing Defender's quota, through HTTP against the simulator", function () {
  this.timeout(60_000);
  let env: SimulatorWithUser;
  const requestLog = throttleCounter();

  before(async () => {
    env = await startSimulatorWithUser({
      rateLimits: QUOTA,
      logger: createLogger({ level: 'debug', destination: requestLog.log }),
    });
  });
  after(() => env.close());

  it('sends at most the quota in total when hammered concurrently, and Defender answers no 429', async () => {
    const cluster = new FakeCluster();
    const clients = ['a', 'b', 'c'].map((id) => instanceClient(env, cluster.join(id)));
    cluster.setOwner(demoSeed.tenant.id, 'a');
    const outcomes = await Promise.allSettled(
      clients.flatMap((client) =>
        Array.from({ length: CALLS_PER_INSTANCE }, () => client.listAlerts(env.auth, { max: 5 })),
      ),
    );
    const answered = outcomes.filter((o) => o.status === 'fulfilled').length;
    const refused = outcomes.filter((o) => o.status === 'rejected' && isAppError(o.reason, 'rateLimited')).length;
    assert.equal(requestLog.throttled(), 0, "Defender's own log records no 429");
    assert.equal(answered + refused, 3 * CALLS_PER_INSTANCE);
    assert.equal(env.simulator.defender.stats().defenderCalls, answered);
    assert.ok(answered <= QUOTA.perMinute, `${answered} calls reached Defender`);
    // Each instance sends its slice of the people's part, 30 × 0.8 / 3; the owner's reserve needs a window of
    // ownership first, so the poller's fifth is left unused here.
    assert.equal(answered, 3 * 8);
  });
});
