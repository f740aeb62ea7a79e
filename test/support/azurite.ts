import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import * as readline from 'node:readline';

/** Azurite's well-known development account (public, documented by Microsoft; not a secret). */
const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

/** A running Azurite Blob service, in memory, on a free loopback port. */
export interface Azurite {
  /** The connection string a BlobStorage (or STORAGE_CONNECTION_STRING) takes. */
  connectionString: string;
  /** Stops the process and waits for it to exit; everything it stored is gone. */
  stop(): Promise<void>;
}

const running = new Set<ChildProcess>();
// Mocha runs with --exit: kill what is still running rather than leave an orphan listening.
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Starts `azurite-blob` from the npm package (no Docker) on port 0 and waits for the port it prints. Why the
 * real thing: it answers conditional writes, 409/412 and ETags as Azure does, which a fake would only imitate.
 */
export async function startAzurite(): Promise<Azurite> {
  const main = require.resolve('azurite/dist/src/blob/main.js');
  const child = spawn(
    process.execPath,
    [
      main,
      ...['--blobHost', '127.0.0.1', '--blobPort', '0', '--inMemoryPersistence'],
      ...['--skipApiVersionCheck', '--loose', '--disableTelemetry', '--silent'],
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => running.delete(child));
  const stderr: string[] = [];
  child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const port = await new Promise<number>((resolve, reject) => {
    const lines = readline.createInterface({ input: child.stdout });
    lines.on('line', (line) => {
      const match = /successfully listens on http:\/\/127\.0\.0\.1:(\d+)/.exec(line);
      if (match) resolve(Number(match[1]));
    });
    void exited.then(() => reject(new Error(`Azurite exited before listening: ${stderr.join('').slice(0, 500)}`)));
  });
  return {
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
      `BlobEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * One Azurite for a suite: started before its first test, stopped after its last (call inside a describe).
 * Returns a getter, valid once the suite's `before` hooks have run.
 */
export function useAzurite(): () => Azurite {
  let azurite: Azurite | undefined;
  before(async function () {
    this.timeout(30_000);
    azurite = await startAzurite();
  });
  after(async () => {
    await azurite?.stop();
  });
  return () => {
    if (!azurite) throw new Error('Azurite is not running (useAzurite must be called inside a describe)');
    return azurite;
  };
}
