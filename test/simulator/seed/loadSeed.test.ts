import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadSeedFile, parseSeed, SeedError } from '../../../src/simulator/seed/loadSeed';
import { MACHINE_A, validSeed } from './seedFixture';

function seedErrorOf(run: () => unknown): SeedError {
  try {
    run();
  } catch (err) {
    assert.ok(err instanceof SeedError, `expected a SeedError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a SeedError');
}

describe('loadSeed', () => {
  let dir: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seed-test-'));
  });

  after(() => {
    fs.rmSync(dir, { recursive: true, force: true });
  });

  function writeSeed(name: string, text: string): string {
    const file = path.join(dir, name);
    fs.writeFileSync(file, text);
    return file;
  }

  it('loads a valid seed file and fills defaults', () => {
    const file = writeSeed('valid.json', JSON.stringify(validSeed(), null, 2));
    const seed = loadSeedFile(file);
    assert.equal(seed.tenant.name, 'Fixture Ltd');
    assert.equal(seed.machines.length, 2);
    assert.equal(seed.alerts[0]?.evidence[0]?.fileName, 'powershell.exe');
    assert.deepEqual(seed.clients, []);
  });

  it("reads a tenant's defender section: provisioned (default true), behaviour and a starting fault profile", () => {
    assert.equal(parseSeed(validSeed(), 'plain.json').defender, undefined);
    const seed = parseSeed(
      {
        ...validSeed(),
        defender: {
          behaviour: { duplicateAction: 'returnExisting' },
          faults: { lateAnswers: { ms: 15_000, next: 1, pathPrefix: '/api/machines' } },
        },
      },
      'defender.json',
    );
    assert.equal(seed.defender?.provisioned, true);
    assert.equal(seed.defender?.behaviour?.duplicateAction, 'returnExisting');
    assert.deepEqual(seed.defender?.faults?.lateAnswers, { ms: 15_000, next: 1, pathPrefix: '/api/machines' });
    assert.equal(
      parseSeed({ ...validSeed(), defender: { provisioned: false } }, 'nomde.json').defender?.provisioned,
      false,
    );
  });

  it('names the path of a bad defender section', () => {
    const err = seedErrorOf(() =>
      parseSeed(
        {
          ...validSeed(),
          defender: { behaviour: { duplicateAction: 'maybe' }, faults: { resetAfterWrite: { rate: 2 } } },
        },
        'bad-defender.json',
      ),
    );
    assert.deepEqual(err.problems.map((p) => p.path).sort(), [
      'defender.behaviour.duplicateAction',
      'defender.faults.resetAfterWrite.rate',
    ]);
  });

  it('accepts a file saved with a byte-order mark', () => {
    const file = writeSeed('bom.json', `\uFEFF${JSON.stringify(validSeed())}`);
    assert.equal(loadSeedFile(file).alerts.length, 2);
  });

  it('names the file and the path of a bad enum value', () => {
    const json = validSeed();
    json.machines[1]!.healthStatus = 'Healthy';
    const file = writeSeed('bad-enum.json', JSON.stringify(json));
    const err = seedErrorOf(() => loadSeedFile(file));
    assert.match(
      err.message,
      /^.*bad-enum\.json: machines\[1\]\.healthStatus: Invalid option: expected one of "Active"/,
    );
    assert.deepEqual(
      err.problems.map((p) => p.path),
      ['machines[1].healthStatus'],
    );
  });

  it('names the path of a missing required field', () => {
    const json = validSeed();
    delete json.alerts[0]!.severity;
    const err = seedErrorOf(() => parseSeed(json, 'missing.json'));
    assert.equal(err.message, 'missing.json: alerts[0].severity: required field is missing');
  });

  it('names the path of an alert whose machineId matches no machine', () => {
    const json = validSeed();
    json.alerts[1]!.machineId = 'cccccccccccccccccccccccccccccccccccccccc';
    const err = seedErrorOf(() => parseSeed(json, 'dangling.json'));
    assert.equal(
      err.message,
      'dangling.json: alerts[1].machineId: no machine with id cccccccccccccccccccccccccccccccccccccccc',
    );
  });

  it('names the path of a duplicate id', () => {
    const json = validSeed();
    json.machines[1]!.id = MACHINE_A;
    json.alerts[1]!.machineId = MACHINE_A;
    const err = seedErrorOf(() => parseSeed(json, 'dup.json'));
    assert.equal(err.message, `dup.json: machines[1].id: duplicate id ${MACHINE_A}`);
  });

  it('reports every problem at once, cross-reference checks included', () => {
    // zod skips the seed-level refinement when a field is invalid; the loader must still report references.
    const json = validSeed();
    json.machines[0]!.riskScore = 'Severe';
    json.alerts[0]!.evidence = [{ entityType: 'File' }];
    json.alerts[1]!.machineId = 'dddddddddddddddddddddddddddddddddddddddd';
    json.machineActions[0]!.id = 'x';
    json.machineActions.push({ ...json.machineActions[0], type: 'Reboot' });
    const err = seedErrorOf(() => parseSeed(json, 'many.json'));
    const paths = err.problems.map((p) => p.path);
    assert.ok(paths.includes('machines[0].riskScore'), paths.join(', '));
    assert.ok(paths.includes('alerts[0].evidence[0].sha1'), paths.join(', '));
    assert.ok(paths.includes('machineActions[1].type'), paths.join(', '));
    assert.ok(paths.includes('alerts[1].machineId'), paths.join(', '));
    assert.ok(paths.includes('machineActions[1].id'), paths.join(', '));
    assert.match(err.message, /alerts\[1\]\.machineId: no machine with id d{40}/);
    assert.match(err.message, /machineActions\[1\]\.id: duplicate id x/);
    assert.equal(new Set(err.problems.map((p) => `${p.path} ${p.message}`)).size, err.problems.length);
  });

  it('reports each duplicate problem once when only the cross-reference checks fail', () => {
    const json = validSeed();
    json.alerts[1]!.id = json.alerts[0]!.id;
    const err = seedErrorOf(() => parseSeed(json, 'dup-alert.json'));
    assert.equal(err.problems.length, 1);
    assert.equal(err.problems[0]?.path, 'alerts[1].id');
  });

  it('names an unknown field of a strict object by its own path', () => {
    const json = validSeed();
    json.users[0]!.role = 'admin';
    const err = seedErrorOf(() => parseSeed(json, 'extra.json'));
    assert.equal(err.message, 'extra.json: users[0].role: unknown field (not part of the seed format)');
  });

  it('keeps unknown fields of API entities, like new fields the real API adds', () => {
    const json = validSeed();
    json.machines[0]!.vmMetadata = null;
    json.machines[0]!.agentVersion = '10.8470.22621.3155';
    const seed = parseSeed(json, 'extras.json');
    assert.equal(seed.machines[0]?.agentVersion, '10.8470.22621.3155');
  });

  it('reports a problem with the whole document at (root)', () => {
    const err = seedErrorOf(() => parseSeed([], 'array.json'));
    assert.match(err.message, /^array\.json: \(root\): Invalid input: expected object, received array$/);
  });

  it('gives line and column of invalid JSON', () => {
    const file = writeSeed('comma.json', '{\n  "tenant": {},\n  "users": [1,],\n}');
    const err = seedErrorOf(() => loadSeedFile(file));
    assert.match(err.message, /comma\.json: invalid JSON at line 3, column 15: /);
  });

  it('gives line and column even where V8 names no position', () => {
    // V8 reports "Unexpected token '}'..." without a position for a misspelt literal.
    const file = writeSeed('literal.json', '{\r\n  "a": [\r\n    tru\r\n  ]\r\n}');
    const err = seedErrorOf(() => loadSeedFile(file));
    assert.match(err.message, /literal\.json: invalid JSON at line 3, column 8: /);
  });

  it('reports an empty or truncated file at its end', () => {
    const file = writeSeed('empty.json', '');
    assert.equal(
      seedErrorOf(() => loadSeedFile(file)).message,
      `${file}: invalid JSON at line 1, column 1: unexpected end of file`,
    );
  });

  it('names the path of a file that cannot be read', () => {
    const missing = path.join(dir, 'nope', 'seed.json');
    const err = seedErrorOf(() => loadSeedFile(missing));
    assert.equal(err.message, `${missing}: file not found`);
    assert.equal(err.source, missing);
  });

  it('names the path of a directory given as a seed file', () => {
    const err = seedErrorOf(() => loadSeedFile(dir));
    assert.match(
      err.message,
      new RegExp(`^${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: cannot read the file \\(EISDIR\\)$`),
    );
  });
});
