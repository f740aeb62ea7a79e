// Builds the SOC console tab's browser code (src/tab/web/) into dist/tab/: type check with the web tsconfig,
// then one minified ES2020 bundle per page (tab.js, config.js), tab.css, the two HTML pages, and source maps as
// separate files. Run after the root tsc: `node dist/scripts/buildTab.js` (add --skip-typecheck to bundle only).
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { build } from 'esbuild';

/** The repository's root, from dist/scripts/ (compiled) or scripts/ (ts-node style runs). */
const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

/** The first-load budget of issue 15: JS + CSS of the console page, gzipped. */
export const FIRST_LOAD_BUDGET_BYTES = 150 * 1024;

/** Where the build reads and writes, and whether it type-checks first. */
export interface BuildTabOptions {
  root?: string;
  outDir?: string;
  typecheck?: boolean;
}

/** What the build produced: the output folder and the console page's first load (JS + CSS), raw and gzipped. */
export interface BuildTabReport {
  outDir: string;
  firstLoadBytes: number;
  firstLoadGzipBytes: number;
}

/** Type-checks src/tab/web with its own tsconfig (lib DOM); throws with tsc's output when it fails. */
export function typecheckTab(root = ROOT): void {
  const tsc = path.join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  try {
    execFileSync(process.execPath, [tsc, '-p', path.join(root, 'src', 'tab', 'web', 'tsconfig.json')], {
      cwd: root,
      stdio: 'pipe',
    });
  } catch (error) {
    const output = (error as { stdout?: Buffer }).stdout?.toString() ?? '';
    throw new Error(`The tab's type check failed:\n${output}`, { cause: error });
  }
}

/** Bundles the tab's pages into `outDir` (default dist/tab) and answers the first-load size. */
export async function buildTab(options: BuildTabOptions = {}): Promise<BuildTabReport> {
  const root = options.root ?? ROOT;
  const web = path.join(root, 'src', 'tab', 'web');
  const outDir = options.outDir ?? path.join(root, 'dist', 'tab');
  if (options.typecheck !== false) typecheckTab(root);
  fs.rmSync(outDir, { recursive: true, force: true });
  await build({
    absWorkingDir: root,
    entryPoints: {
      tab: path.join(web, 'tabMain.ts'),
      config: path.join(web, 'configMain.ts'),
      'tab.css': path.join(web, 'tab.css'),
    },
    entryNames: '[name]',
    outdir: outDir,
    bundle: true,
    minify: true,
    format: 'iife',
    target: 'es2020',
    platform: 'browser',
    sourcemap: 'linked',
    legalComments: 'linked',
    tsconfig: path.join(web, 'tsconfig.json'),
    logLevel: 'warning',
  });
  // esbuild names a CSS entry "tab.css.css"; the pages link tab.css.
  fs.renameSync(path.join(outDir, 'tab.css.css'), path.join(outDir, 'tab.css'));
  if (fs.existsSync(path.join(outDir, 'tab.css.css.map')))
    fs.renameSync(path.join(outDir, 'tab.css.css.map'), path.join(outDir, 'tab.css.map'));
  for (const page of ['index.html', 'config.html']) fs.copyFileSync(path.join(web, page), path.join(outDir, page));
  const firstLoad = Buffer.concat([
    fs.readFileSync(path.join(outDir, 'tab.js')),
    fs.readFileSync(path.join(outDir, 'tab.css')),
  ]);
  return {
    outDir,
    firstLoadBytes: firstLoad.length,
    firstLoadGzipBytes: zlib.gzipSync(firstLoad, { level: 9 }).length,
  };
}

if (require.main === module) {
  buildTab({ typecheck: !process.argv.includes('--skip-typecheck') }).then(
    (report) => {
      const kb = (bytes: number) => `${(bytes / 1024).toFixed(1)} KB`;
      console.log(
        `tab built in ${path.relative(ROOT, report.outDir)}: first load ${kb(report.firstLoadBytes)}, ${kb(report.firstLoadGzipBytes)} gzipped`,
      );
      if (report.firstLoadGzipBytes > FIRST_LOAD_BUDGET_BYTES) {
        console.error(`over the first-load budget of ${kb(FIRST_LOAD_BUDGET_BYTES)} gzipped`);
        process.exitCode = 1;
      }
    },
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
