import fs from 'node:fs';
import path from 'node:path';

/** The browser script's source, relative to the project root (it is browser code: the root tsconfig skips it). */
const HOST_SCRIPT = path.join('src', 'simulator', 'teams', 'web', 'hostScript.ts');

/** Finds web/hostScript.ts from here (src/ when run by ts tooling, dist/src/ when compiled) by walking up to the project root. */
export function hostScriptPath(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, HOST_SCRIPT);
    if (fs.existsSync(path.join(dir, 'package.json')) && fs.existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new Error(`the Teams host's browser script (${HOST_SCRIPT}) was not found above ${from}`);
}

/**
 * The host page's script as the browser runs it: web/hostScript.ts with its types stripped by esbuild (a dev
 * dependency, loaded only when a host starts: demo mode and tests, never the production bot).
 */
export async function buildHostScript(): Promise<string> {
  const source = await fs.promises.readFile(hostScriptPath(), 'utf8');
  const esbuild = await import('esbuild');
  const result = await esbuild.transform(source, {
    loader: 'ts',
    format: 'iife',
    target: 'es2020',
    sourcefile: 'hostScript.ts',
  });
  return result.code;
}
