import assert from 'node:assert/strict';
import { KeyedMutex } from '../../src/storage/keyedMutex';

function tick(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

describe('KeyedMutex', () => {
  it('runs tasks for one key one at a time, in call order', async () => {
    const mutex = new KeyedMutex();
    const events: string[] = [];
    let running = 0;
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        mutex.run('k', async () => {
          running++;
          assert.equal(running, 1, 'never two holders at once');
          events.push(`start ${i}`);
          await tick();
          events.push(`end ${i}`);
          running--;
        }),
      ),
    );
    assert.deepEqual(events, Array.from({ length: 10 }, (_, i) => [`start ${i}`, `end ${i}`]).flat());
  });

  it('runs tasks for different keys in parallel', async () => {
    const mutex = new KeyedMutex();
    let releaseA!: () => void;
    const a = mutex.run('a', () => new Promise<void>((resolve) => (releaseA = resolve)));
    // "b" completes while "a" is still held: keys do not block each other.
    assert.equal(await mutex.run('b', () => Promise.resolve('b done')), 'b done');
    releaseA();
    await a;
  });

  it('releases the lock when a task fails and passes the failure to its caller', async () => {
    const mutex = new KeyedMutex();
    await assert.rejects(
      mutex.run('k', () => Promise.reject(new Error('boom'))),
      /boom/,
    );
    assert.equal(await mutex.run('k', () => Promise.resolve(1)), 1);
  });

  it('forgets keys once nothing holds or waits for them', async () => {
    const mutex = new KeyedMutex();
    await Promise.all(Array.from({ length: 5 }, (_, i) => mutex.run(`k${i % 2}`, tick)));
    assert.equal(mutex.size, 0);
  });
});
