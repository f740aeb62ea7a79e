import assert from 'node:assert/strict';
import http from 'node:http';
import type { LoadBalancer } from '../../src/demo/loadBalancer';
import { startLoadBalancer } from '../../src/demo/loadBalancer';

/** A backend on a free loopback port that answers its name, or drops the connection after reading the body. */
async function backend(
  name: string,
  behaviour: 'answer' | 'drop' = 'answer',
): Promise<{ url: string; bodies: string[]; close(): Promise<void> }> {
  const bodies: string[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      if (behaviour === 'drop') req.socket.destroy();
      else {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.end(name);
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function post(balancer: LoadBalancer, body: string): Promise<{ status: number; text: string }> {
  const response = await fetch(`${balancer.url}/api/messages`, { method: 'POST', body });
  return { status: response.status, text: await response.text() };
}

describe('the load balancer of npm run cluster', () => {
  it('spreads requests round-robin, passing the body on, and skips an instance that refuses connections', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const gone = await backend('gone');
    await gone.close();
    const balancer = await startLoadBalancer({ port: 0, backends: [a.url, gone.url, b.url] });
    try {
      const answers = [];
      for (let i = 0; i < 4; i++) answers.push((await post(balancer, `request ${i}`)).text);
      assert.deepEqual(answers, ['a', 'b', 'a', 'b']);
      assert.deepEqual([...a.bodies, ...b.bodies].sort(), ['request 0', 'request 1', 'request 2', 'request 3']);
    } finally {
      await balancer.close();
      await a.close();
      await b.close();
    }
  });

  it('never sends a request to a second instance once one has received it', async () => {
    const dropping = await backend('dropping', 'drop');
    const healthy = await backend('healthy');
    const balancer = await startLoadBalancer({ port: 0, backends: [dropping.url, healthy.url] });
    try {
      const answer = await post(balancer, 'approve A-123');
      assert.equal(answer.status, 502);
      assert.deepEqual(dropping.bodies, ['approve A-123']);
      assert.deepEqual(healthy.bodies, [], 'the request that reached an instance was not sent again');
    } finally {
      await balancer.close();
      await dropping.close();
      await healthy.close();
    }
  });
});
