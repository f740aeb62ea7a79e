import assert from 'node:assert/strict';
import { canonicalJson } from '../../src/audit/canonicalJson';

describe('canonicalJson', () => {
  it('sorts keys at every depth and drops whitespace, so key order never changes a hash', () => {
    assert.equal(
      canonicalJson({ b: 1, a: { d: [3, { z: true, y: null }], c: 'x' } }),
      '{"a":{"c":"x","d":[3,{"y":null,"z":true}]},"b":1}',
    );
    assert.equal(canonicalJson({ b: 1, a: 2 }), canonicalJson({ a: 2, b: 1 }));
  });

  it('skips undefined members as JSON.stringify does, so an entry hashes the same after a round trip', () => {
    const value = { a: 1, gone: undefined, list: [undefined, 2] };
    assert.equal(canonicalJson(value), canonicalJson(JSON.parse(JSON.stringify(value))));
  });

  it('sorts by UTF-16 code units and escapes strings like JSON', () => {
    assert.equal(canonicalJson({ é: 1, z: 2, Z: 3, '\n': 4 }), '{"\\n":4,"Z":3,"z":2,"é":1}');
  });

  it('refuses values JSON cannot carry faithfully', () => {
    assert.throws(() => canonicalJson({ n: Number.NaN }), /finite/);
    assert.throws(() => canonicalJson({ n: BigInt(1) }), /bigint/);
  });
});
