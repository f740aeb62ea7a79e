import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { BlobStorage } from '../../src/storage/blobStorage';
import { updateItem } from '../../src/storage/updateItem';
import { useAzurite } from '../support/azurite';

interface Counter {
  count: number;
}

function parseCounter(raw: unknown): Counter | undefined {
  const count = (raw as { count?: unknown }).count;
  return typeof count === 'number' ? { count } : undefined;
}

describe('updateItem across instances (Blob Storage on Azurite)', () => {
  const azurite = useAzurite();

  it('loses no update when instances create the same record at once', async () => {
    const container = `u-${randomBytes(8).toString('hex')}`;
    // Separate BlobStorage objects share no in-process lock: as far as updateItem knows, separate processes.
    const instances = Array.from(
      { length: 3 },
      () => new BlobStorage({ connectionString: azurite().connectionString, container }),
    );
    await instances[0]!.ready();
    // 6 writes in all: an updater can lose to at most 5 others, within updateItem's 8 attempts (never flaky).
    const increments = 6;
    await Promise.all(
      Array.from({ length: increments }, (_, i) =>
        updateItem(instances[i % instances.length]!, 'counters/c1', parseCounter, (current) => ({
          count: (current?.count ?? 0) + 1,
        })),
      ),
    );
    const stored = (await instances[1]!.read(['counters/c1']))['counters/c1'] as Counter | undefined;
    assert.equal(stored?.count, increments);
  });
});
