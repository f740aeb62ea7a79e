import assert from 'node:assert/strict';
import { isCi, requireTool } from '../support/requiredTool';

/** A mocha context double: skip() throws as mocha's does, and is counted. */
function recordingContext() {
  const ctx = {
    skips: 0,
    skip(): never {
      ctx.skips++;
      throw new Error('skipped');
    },
  };
  return ctx;
}

const chromium = { what: 'Chromium', install: 'apt-get install chromium' };

describe('tools the end-to-end tests require (Chromium, the Agents Playground)', () => {
  it('fails a CI run where the tool is missing, instead of skipping it into a green run', () => {
    const ctx = recordingContext();
    assert.throws(
      () => requireTool(ctx, { ...chromium, present: false }, { CI: 'true' }, assert.fail),
      /Chromium[\s\S]*apt-get install chromium/,
    );
    assert.equal(ctx.skips, 0);
  });

  it('skips a local run where the tool is missing, saying what is missing and how to get it', () => {
    for (const env of [{}, { CI: '' }, { CI: 'false' }, { CI: '0' }]) {
      const ctx = recordingContext();
      const warnings: string[] = [];
      assert.throws(() => requireTool(ctx, { ...chromium, present: false }, env, (m) => warnings.push(m)), /skipped/);
      assert.equal(ctx.skips, 1, JSON.stringify(env));
      assert.equal(warnings.length, 1);
      assert.match(warnings[0]!, /Chromium[\s\S]*apt-get install chromium/);
    }
  });

  it('runs the test where the tool is there, in CI or not', () => {
    for (const env of [{}, { CI: 'true' }]) {
      const ctx = recordingContext();
      requireTool(ctx, { ...chromium, present: true }, env, assert.fail);
      assert.equal(ctx.skips, 0);
    }
  });

  it('reads CI=true, CI=1 and other CI values as CI', () => {
    assert.deepEqual(
      ['true', 'TRUE', '1', 'yes', 'false', '0', '', undefined].map((CI) => isCi(CI === undefined ? {} : { CI })),
      [true, true, true, true, false, false, false, false],
    );
  });
});
