import assert from 'node:assert/strict';
import { entityPath } from '../../src/defender/entityClient';
import type { EntityKind } from '../../src/defender/entityValues';
import { domainOfUrl, recogniseEntity, toEntityValue } from '../../src/defender/entityValues';
import { isAppError } from '../../src/errors';
import { entityInvestigateDataSchema } from '../../src/investigation/investigatePayload';

/*
 * Every value an entity call puts into a URL path is checked first: what a person types or a card carries can
 * name a file, an address, a domain or a user, and nothing else — never another path, a query or an OData filter.
 */

const HOSTILE = [
  '',
  ' ',
  '../machines',
  '..%2f..%2fmachines',
  'a/b',
  'evil.example/../../api/machines',
  'evil.example?$filter=1',
  "x' or 1=1",
  'x" or "1"="1',
  '1.2.3.4/stats',
  '1.2.3.4%00',
  'fe80::1%eth0',
  'user\u0000name',
  'user name',
  'jonis;rm -rf /',
  '<script>',
  '${jndi:ldap://x}',
  'a'.repeat(300),
  '-evil.example',
  'évil.example',
];

/** Values of the right alphabet that are still not an entity of that kind. */
const MALFORMED: Record<EntityKind, string[]> = {
  file: ['a'.repeat(39), 'a'.repeat(41), 'g'.repeat(40), 'a'.repeat(63)],
  ip: ['01.2.3.4', '256.1.1.1', '1.2.3', '2001:db8:::7', 'evil.example'],
  domain: ['evil-.example', 'evil..example', 'example', 'evil.123', '1.2.3.4'],
  user: ['jonis@', 'a@b', '.jonis', 'jonis.', 'CONTOSO\\'],
};

describe('entity values: what may reach an entity URL', () => {
  for (const kind of ['file', 'ip', 'domain', 'user'] as EntityKind[]) {
    it(`refuses every hostile ${kind} value, before any call`, () => {
      for (const raw of [...HOSTILE, ...MALFORMED[kind]]) {
        assert.equal(toEntityValue(kind, raw), null, JSON.stringify(raw));
        assert.throws(
          () => entityPath(kind, raw, '/stats'),
          (err: unknown) => isAppError(err, 'invalidInput'),
          JSON.stringify(raw),
        );
      }
    });
  }

  it('writes each kind in one canonical form', () => {
    assert.equal(
      toEntityValue('file', ' FF836CFB1AF40252BD2A2EA843032E99A5B262ED '),
      'ff836cfb1af40252bd2a2ea843032e99a5b262ed',
    );
    assert.equal(toEntityValue('file', 'A'.repeat(64)), 'a'.repeat(64));
    assert.equal(toEntityValue('file', 'a'.repeat(41)), null);
    assert.equal(toEntityValue('ip', '198.51.100.77'), '198.51.100.77');
    assert.equal(toEntityValue('ip', '2001:DB8::7'), '2001:db8::7');
    assert.equal(toEntityValue('domain', 'CDN-Update.Evil.Example.'), 'cdn-update.evil.example');
    assert.equal(toEntityValue('domain', 'xn--bcher-kva.example'), 'xn--bcher-kva.example');
    assert.equal(toEntityValue('user', 'CONTOSO\\JonIs'), 'jonis');
    assert.equal(toEntityValue('user', 'jonis@contoso.com'), 'jonis');
    assert.equal(toEntityValue('user', 'svc-sqlpay$'), 'svc-sqlpay$');
    assert.equal(toEntityValue('user', 'jonis@not a domain'), null);
  });

  it('escapes what it lets through into one path segment', () => {
    assert.equal(entityPath('ip', '2001:db8::7', '/stats'), '/api/ips/2001%3Adb8%3A%3A7/stats');
    assert.equal(entityPath('user', 'svc-sqlpay$', '/alerts'), '/api/users/svc-sqlpay%24/alerts');
    // A value in another form than the canonical one is a caller's bug: refused rather than rewritten.
    assert.throws(
      () => entityPath('domain', 'Evil.Example', '/stats'),
      (err: unknown) => isAppError(err, 'invalidInput'),
    );
  });

  it('recognises what a typed value names: a hash, an address, an account with its domain, a domain, else a user', () => {
    assert.deepEqual(recogniseEntity('3395856ce81f2b7382dee72602f798b642f14140'), {
      kind: 'file',
      value: '3395856ce81f2b7382dee72602f798b642f14140',
    });
    assert.deepEqual(recogniseEntity('10.20.30.42'), { kind: 'ip', value: '10.20.30.42' });
    assert.deepEqual(recogniseEntity('jonis@contoso.com'), { kind: 'user', value: 'jonis' });
    assert.deepEqual(recogniseEntity('evil.example'), { kind: 'domain', value: 'evil.example' });
    assert.deepEqual(recogniseEntity('jonis'), { kind: 'user', value: 'jonis' });
    assert.equal(recogniseEntity("x' or 1=1"), null);
  });

  it('reads the host of a URL as a domain, never an IP literal or junk', () => {
    assert.equal(domainOfUrl('https://cdn-update.evil.example/gate.php?x=1'), 'cdn-update.evil.example');
    assert.equal(domainOfUrl('cdn-update.evil.example/gate.php'), 'cdn-update.evil.example');
    assert.equal(domainOfUrl('http://198.51.100.77/x'), null);
    assert.equal(domainOfUrl('not a url at all'), null);
  });

  it("accepts a button's data only when its value is canonical for its kind and its source id has its shape", () => {
    const ok = { kind: 'ip', source: { kind: 'alert', id: 'da638412900382838869_1364969601' }, entity: '10.20.30.42' };
    assert.equal(entityInvestigateDataSchema.safeParse(ok).success, true);
    for (const bad of [
      { ...ok, entity: '10.20.30.042' },
      { ...ok, kind: 'domain' },
      { ...ok, source: { kind: 'incident', id: 'da638412900382838869_1364969601' } },
      { ...ok, source: { kind: 'device', id: 'ws-fin-042' } },
      { ...ok, kind: 'device', entity: '1e5bc9d7e413ddd7902c2932e418702b84d0cc01' },
      { ...ok, kind: 'process' },
      { ...ok, value: 'extra' },
    ])
      assert.equal(entityInvestigateDataSchema.safeParse(bad).success, false, JSON.stringify(bad));
  });
});
