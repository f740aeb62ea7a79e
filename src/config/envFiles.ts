import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from 'node:util';

/**
 * The environment the app runs with: `env/.env.<name>` (committed, no secrets), then `env/.env.<name>.user`
 * (git-ignored secrets), then the real process environment, each overriding the one before — the
 * Microsoft 365 Agents Toolkit convention, so `npm start` and the Toolkit see the same settings.
 * `name` comes from ENV_NAME (default `local`).
 */
export function environmentWithFiles(processEnv: NodeJS.ProcessEnv, envDir: string): NodeJS.ProcessEnv {
  const name = processEnv.ENV_NAME?.trim() || 'local';
  if (!/^[a-z0-9-]+$/i.test(name)) throw new Error('ENV_NAME: must be letters, digits or dashes');
  const fromFiles: Record<string, string> = {};
  for (const file of [`.env.${name}`, `.env.${name}.user`]) {
    const full = path.join(envDir, file);
    if (fs.existsSync(full)) Object.assign(fromFiles, parseEnv(fs.readFileSync(full, 'utf8')));
  }
  return { ...fromFiles, ...processEnv };
}
