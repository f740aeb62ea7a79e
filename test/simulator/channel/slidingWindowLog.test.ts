import assert from 'node:assert/strict';
import { maxInAnyWindow, SlidingWindowLog } from '../../../src/simulator/channel/slidingWindowLog';

describe('sliding window log', () => {
  const windows = [
    { windowMs: 1000, max: 2 },
    { windowMs: 10_000, max: 3 },
  ];

  it('admits up to max per window and says how long until the next request fits', () => {
    const log = new SlidingWindowLog();
    assert.equal(log.waitMs('c', windows, 0), 0);
    log.record('c', 0);
    log.record('c', 400);
    // Two in the last second: the one at 0 leaves at 1000.
    assert.equal(log.waitMs('c', windows, 500), 500);
    // At exactly 1000 the entry at 0 is out of (0, 1000].
    assert.equal(log.waitMs('c', windows, 1000), 0);
    log.record('c', 1000);
    // Three in ten seconds: the oldest (0) leaves at 10 000, whatever the one-second window says.
    assert.equal(log.waitMs('c', windows, 2500), 7500);
    assert.equal(log.waitMs('other', windows, 2500), 0, 'keys are independent');
  });

  it('finds the busiest window in a history', () => {
    assert.equal(maxInAnyWindow([], 1000), 0);
    assert.equal(maxInAnyWindow([0, 999, 1000, 1999], 1000), 2);
    assert.equal(maxInAnyWindow([0, 100, 200, 300, 5000], 1000), 4);
    assert.equal(maxInAnyWindow([0, 0, 0], 1), 3);
  });
});
