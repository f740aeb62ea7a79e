import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse } from 'yaml';
import { projectRoot } from '../../src/app';
import { writeConfigAs } from '../../src/demo/playground';

describe('Playground persona switch (PLAYGROUND_USER)', () => {
  const shipped = path.join(projectRoot(), '.m365agentsplayground.yml');
  const workDir = () => fs.mkdtempSync(path.join(os.tmpdir(), 'pg-'));

  it('makes the chosen persona the current user and keeps everyone else a member', () => {
    const original = parse(fs.readFileSync(shipped, 'utf8')) as {
      currentUser: { name: string };
      users: { name: string }[];
    };
    for (const who of ['Megan', 'meganb@contoso.com', 'meganb', 'Megan Bowen', 'user-id-1']) {
      const written = parse(fs.readFileSync(writeConfigAs(shipped, who, workDir()), 'utf8')) as typeof original;
      assert.equal(written.currentUser.name, 'Megan Bowen', who);
      const everyone = (c: typeof original) => [c.currentUser, ...c.users].map((u) => u.name).sort();
      assert.deepEqual(everyone(written), everyone(original));
    }
  });

  it('refuses an unknown persona, naming the ones that exist', () => {
    assert.throws(() => writeConfigAs(shipped, 'Mallory', workDir()), /"Mallory" is not a persona .*Alex Wilber/);
  });
});
