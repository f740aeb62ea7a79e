import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse as parseYaml } from 'yaml';
import type { HttpClient } from '../http/httpClient';
import type { Logger } from '../logging/logger';

/** How to run the Microsoft 365 Agents Playground next to the bot. */
export interface PlaygroundOptions {
  port: number;
  botEndpoint: string;
  /** The `.m365agentsplayground.yml` with the personas of the demo tenant. */
  configPath: string;
  /** Scratch folder for its log, temp files and telemetry heartbeat (kept out of the repo). */
  workDir: string;
  /** Start as this persona instead of the file's current user (a name, first name or UPN). */
  currentUser?: string | undefined;
  http: HttpClient;
  logger: Logger;
  startTimeoutMs?: number;
}

/** A running Playground. */
export interface RunningPlayground {
  url: string;
  stop(): Promise<void>;
}

/** Absolute path of the Playground's CLI inside node_modules, or undefined when it is not installed. */
export function playgroundCliPath(): string | undefined {
  try {
    return require.resolve('@microsoft/m365agentsplayground/cli.js');
  } catch {
    return undefined;
  }
}

/**
 * Starts the Agents Playground (a Teams-like web client from Microsoft) on loopback with telemetry off,
 * pointed at the bot, and waits until it answers. Its files go to `workDir`; the personas come from
 * `configPath` via M365_AGENTS_PLAYGROUND_CONFIG_PATH.
 */
export async function startPlayground(options: PlaygroundOptions): Promise<RunningPlayground> {
  const cli = playgroundCliPath();
  if (!cli) throw new Error('The Agents Playground is not installed (npm install), or start with PLAYGROUND=off.');
  fs.mkdirSync(path.join(options.workDir, 'tmp'), { recursive: true });
  const preload = path.join(__dirname, 'loopbackPreload.js');
  const url = `http://127.0.0.1:${options.port}`;
  const child: ChildProcess = spawn(
    process.execPath,
    [
      '--require',
      preload,
      cli,
      'start',
      '--app-endpoint',
      options.botEndpoint,
      '--channel-id',
      'msteams',
      '--service-url',
      `${url}/_connector`,
      '--port',
      String(options.port),
      '--disable-telemetry',
    ],
    {
      cwd: options.workDir,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? options.workDir,
        TMPDIR: path.join(options.workDir, 'tmp'),
        TEAMSAPPTESTER_BROWSER: 'none',
        M365_AGENTS_PLAYGROUND_CONFIG_PATH: options.currentUser
          ? writeConfigAs(options.configPath, options.currentUser, options.workDir)
          : options.configPath,
        M365_AGENTS_PLAYGROUND_LOGFILE: path.join(options.workDir, 'playground.log'),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString('utf8')).slice(-4000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (Date.now() < deadline) {
    if (exited) throw new Error(`The Agents Playground exited during start-up: ${output.trim().slice(-500)}`);
    try {
      const response = await options.http.request({
        method: 'GET',
        url: `${url}/_internal/v1/config`,
        timeoutMs: 1000,
      });
      if (response.status === 200) break;
    } catch {
      // not listening yet
    }
    await sleep(200);
  }
  if (Date.now() >= deadline) {
    child.kill();
    throw new Error(`The Agents Playground did not answer on ${url} in time: ${output.trim().slice(-500)}`);
  }
  options.logger.debug({ url }, 'agents playground started');
  return {
    url,
    stop: async () => {
      if (exited) return;
      const done = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGTERM');
      await Promise.race([done, sleep(3000)]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}

interface PlaygroundPersona {
  id: string;
  name: string;
  userPrincipleName?: string;
  aadObjectId: string;
}

/**
 * The Playground posts every message as its configured current user. To play another persona, write a copy
 * of the config (JSON, which is YAML) where that persona is the current user and the previous one a member.
 */
export function writeConfigAs(configPath: string, who: string, workDir: string): string {
  const config = parseYaml(fs.readFileSync(configPath, 'utf8')) as {
    currentUser: PlaygroundPersona;
    users: PlaygroundPersona[];
  };
  const wanted = who.trim().toLowerCase();
  const matches = (p: PlaygroundPersona) =>
    [p.id, p.name, p.name.split(' ')[0], p.userPrincipleName, p.userPrincipleName?.split('@')[0]].some(
      (v) => v?.toLowerCase() === wanted,
    );
  if (!matches(config.currentUser)) {
    const index = config.users.findIndex(matches);
    if (index < 0) {
      const names = [config.currentUser, ...config.users].map((p) => p.name).join(', ');
      throw new Error(`PLAYGROUND_USER "${who}" is not a persona of ${configPath} (${names})`);
    }
    const chosen = config.users[index]!;
    config.users[index] = config.currentUser;
    config.currentUser = chosen;
  }
  fs.mkdirSync(workDir, { recursive: true });
  const out = path.join(workDir, 'm365agentsplayground.yml');
  fs.writeFileSync(out, JSON.stringify(config, null, 2));
  return out;
}
