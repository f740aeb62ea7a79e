import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { containsJwt } from '../../src/audit/containsJwt';

describe('containsJwt', () => {
  const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');
  const jwt = `${b64({ alg: 'RS256', kid: 'k1' })}.${b64({ aud: 'x', exp: 1 })}.${'s'.repeat(40)}`;

  it('finds a JWT alone, inside text, inside JSON, and without its signature', () => {
    assert.ok(containsJwt(jwt));
    assert.ok(containsJwt(`Authorization: Bearer ${jwt} (expired)`));
    assert.ok(containsJwt(JSON.stringify({ detail: { upstream: jwt } })));
    assert.ok(containsJwt(`${jwt.split('.').slice(0, 2).join('.')}.`));
  });

  it('leaves ids, hashes and prose alone', () => {
    assert.equal(containsJwt(randomUUID()), false);
    assert.equal(containsJwt('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'), false);
    assert.equal(containsJwt('eyJ is the start of base64 JSON. eyJ again'), false);
  });
});
