import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import type { RunningApp, StartOptions } from '../../src/app';
import { startApp } from '../../src/app';
import type { Config } from '../../src/config/config';
import { loadConfig } from '../../src/config/config';
import { createLogger } from '../../src/logging/logger';

/** Every log line any test app wrote, for the suite-wide secret scan (test/logging/noSecretsInLogs.test.ts). */
export const capturedLogLines: string[] = [];

/** A writable stream that keeps every log line. */
export function captureStream(): Writable {
  return new Writable({
    write(chunk: Buffer, _encoding, done) {
      capturedLogLines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      done();
    },
  });
}

/** Test configuration: demo mode on free ports, a scratch data folder, debug logs captured, no Playground. */
export function testConfig(env: NodeJS.ProcessEnv = {}): Config {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-test-'));
  const config = loadConfig({ PLAYGROUND: 'off', LOG_LEVEL: 'debug', DATA_DIR: dataDir, ...env }, process.cwd());
  return { ...config, port: 0, demo: config.demo ? { ...config.demo, simulatorPort: 0 } : undefined };
}

/** Starts the whole product in demo mode for a test, logging into the shared capture. */
export function startTestApp(config: Config = testConfig(), options: StartOptions = {}): Promise<RunningApp> {
  return startApp(config, {
    logger: createLogger({ level: config.logLevel, destination: captureStream() }),
    ...options,
  });
}
