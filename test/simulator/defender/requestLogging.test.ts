import assert from 'node:assert/strict';
import { createLogger } from '../../../src/logging/logger';
import { startHarness } from './defenderHarness';

describe('simulator/defender request logging', () => {
  it('logs one debug line per request with method, path, option names, status and ms, and no token', async () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', destination: { write: (line: string) => lines.push(line) } });
    const h = await startHarness({ logger });
    try {
      const token = await h.userToken('admin');
      const secretValue = 'assignedTo-secret-value';
      await h.server.request(`/api/alerts?$filter=${encodeURIComponent(`assignedTo eq '${secretValue}'`)}&$top=5`, {
        token,
      });
      await h.server.request('/api/alerts', { token: 'garbage.token.value' });
      const requests = lines
        .map((line) => JSON.parse(line) as Record<string, unknown>)
        .filter((entry) => entry.msg === 'defender api request');
      assert.equal(requests.length, 2);
      assert.equal(requests[0]!.level, 'debug');
      assert.equal(requests[0]!.method, 'GET');
      assert.equal(requests[0]!.path, '/api/alerts');
      assert.deepEqual(requests[0]!.query, ['$filter', '$top']);
      assert.equal(requests[0]!.status, 200);
      assert.equal(typeof requests[0]!.ms, 'number');
      assert.equal(requests[1]!.status, 401);
      const all = lines.join('\n');
      assert.ok(!all.includes(token), 'token logged');
      assert.ok(!all.includes('garbage.token.value'), 'rejected token logged');
      assert.ok(!all.includes(secretValue), 'query value logged');
      assert.ok(!/authorization/i.test(all), 'authorization header logged');
    } finally {
      await h.close();
    }
  });
});
