import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../src/http/httpClient';
import { msspSeedFolder, MSSP_TENANTS } from '../../src/simulator/seed/msspSeeds';

const MDE_SCOPE = 'https://api.securitycenter.microsoft.com/.default';

/** A port nobody listens on right now. */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Runs `node dist/src/simulator/main.js …` and resolves its start-up text once it prints `ready`. */
function startMain(args: string[]): Promise<{ child: ChildProcess; output: string }> {
  const main = path.join(__dirname, '..', '..', 'src', 'simulator', 'main.js');
  const child = spawn(process.execPath, [main, ...args, '--log-level', 'warn'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('\nready')) resolve({ child, output });
    });
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`simulator exited with ${String(code)}: ${output}`)));
  });
}

/*
 * The standalone simulator with several seeds: one app registration shared by all of them (issue 12 found that
 * each seed registered the app again, so only the last tenant's secret worked), consented where the seed says so.
 */
describe('standalone simulator with several seeds', () => {
  let dataDir: string;
  let child: ChildProcess | undefined;
  let http: HttpClient | undefined;

  beforeEach(() => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-sim-main-'));
  });
  afterEach(async () => {
    http?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child?.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it("registers one secret that works in every seed's tenant, and leaves an unconsented tenant unconsented", async () => {
    const port = await freePort();
    const folder = msspSeedFolder();
    const seedArgs = ['provider', 'contoso', 'tailspin'].flatMap((name) => [
      '--seed',
      path.join(folder, `${name}.json`),
    ]);
    const started = await startMain([...seedArgs, '--port', String(port), '--data-dir', dataDir]);
    child = started.child;
    const secrets = [...started.output.matchAll(/client secret (\S+?),/g)].map((m) => m[1]);
    assert.equal(secrets.length, 1, started.output);
    const clientId = /client id (\S+?),/.exec(started.output)?.[1] ?? '';

    http = new HttpClient({ extraCaPem: [fs.readFileSync(path.join(dataDir, 'certs', 'ca.crt.pem'), 'utf8')] });
    const token = async (tenant: string) => {
      const response = await http?.request({
        method: 'POST',
        url: `https://127.0.0.1:${port}/${tenant}/oauth2/v2.0/token`,
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          client_id: clientId,
          client_secret: secrets[0] ?? '',
          grant_type: 'client_credentials',
          scope: MDE_SCOPE,
        }).toString(),
      });
      return { status: response?.status, body: JSON.parse(response?.body ?? '{}') as Record<string, unknown> };
    };
    assert.equal((await token(MSSP_TENANTS.provider)).status, 200);
    assert.equal((await token('contoso.com')).status, 200);
    const tailspin = await token(MSSP_TENANTS.tailspin);
    assert.equal(tailspin.status, 401);
    assert.deepEqual(tailspin.body.error_codes, [7000229]);
  });
});
