import assert from 'node:assert/strict';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { HttpClient } from '../../src/http/httpClient';
import { readClientCertificate } from '../../src/auth/clientCertificate';
import {
  DEV_CA_COMMON_NAME,
  createClientCredentialCertificate,
  loadOrCreateClientCredentialCertificate,
  loadOrCreateDevCertificates,
} from '../../src/simulator/certs';

const DAY_MS = 24 * 60 * 60 * 1000;

describe('loadOrCreateDevCertificates', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'soc-bot-certs-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a local CA and a server certificate for 127.0.0.1, ::1 and localhost signed by it', () => {
    const certs = loadOrCreateDevCertificates({ dir });
    const ca = new X509Certificate(certs.caCertPem);
    const server = new X509Certificate(certs.serverCertPem);

    assert.equal(ca.ca, true);
    assert.match(ca.subject, new RegExp(`CN=${DEV_CA_COMMON_NAME}`));
    assert.equal(server.ca, false);
    assert.ok(server.checkIssued(ca), 'server certificate issued by the CA');
    assert.ok(server.verify(ca.publicKey), 'server certificate signed by the CA key');
    assert.ok(server.checkIP('127.0.0.1'));
    assert.ok(server.checkIP('::1'));
    assert.equal(server.checkHost('localhost'), 'localhost');
    assert.ok(server.checkPrivateKey(createPrivateKey(certs.serverKeyPem)));
  });

  it('stores the private keys owner-only (0600)', () => {
    loadOrCreateDevCertificates({ dir });
    for (const file of ['ca.key.pem', 'server.key.pem']) {
      assert.equal(statSync(path.join(dir, file)).mode & 0o777, 0o600, file);
    }
  });

  it('reuses stored certificates on the next start', () => {
    const first = loadOrCreateDevCertificates({ dir });
    const second = loadOrCreateDevCertificates({ dir });
    assert.deepEqual(second, first);
  });

  it('replaces an unparseable server certificate but keeps the CA', () => {
    const first = loadOrCreateDevCertificates({ dir });
    writeFileSync(path.join(dir, 'server.crt.pem'), 'not a certificate');
    const second = loadOrCreateDevCertificates({ dir });
    assert.equal(second.caCertPem, first.caCertPem);
    assert.notEqual(second.serverCertPem, first.serverCertPem);
    assert.ok(new X509Certificate(second.serverCertPem).checkIssued(new X509Certificate(second.caCertPem)));
  });

  it('replaces a missing server key', () => {
    const first = loadOrCreateDevCertificates({ dir });
    rmSync(path.join(dir, 'server.key.pem'));
    const second = loadOrCreateDevCertificates({ dir });
    assert.notEqual(second.serverKeyPem, first.serverKeyPem);
    assert.equal(readFileSync(path.join(dir, 'server.key.pem'), 'utf8'), second.serverKeyPem);
  });

  it('replaces the CA, and so the server certificate, when the CA key no longer matches', () => {
    const first = loadOrCreateDevCertificates({ dir });
    writeFileSync(path.join(dir, 'ca.key.pem'), first.serverKeyPem);
    const second = loadOrCreateDevCertificates({ dir });
    assert.notEqual(second.caCertPem, first.caCertPem);
    assert.ok(new X509Certificate(second.serverCertPem).checkIssued(new X509Certificate(second.caCertPem)));
  });

  it('renews the server certificate within 30 days of its expiry, keeping a CA that is still fresh', () => {
    const start = new Date();
    const first = loadOrCreateDevCertificates({ dir, now: () => start });
    const nearExpiry = new Date(start.getTime() + 340 * DAY_MS);
    const second = loadOrCreateDevCertificates({ dir, now: () => nearExpiry });
    assert.equal(second.caCertPem, first.caCertPem);
    assert.notEqual(second.serverCertPem, first.serverCertPem);
    assert.ok(Date.parse(new X509Certificate(second.serverCertPem).validTo) > nearExpiry.getTime() + 300 * DAY_MS);
  });

  it('renews the CA near its own expiry', () => {
    const start = new Date();
    const first = loadOrCreateDevCertificates({ dir, now: () => start });
    const later = new Date(start.getTime() + (5 * 365 - 10) * DAY_MS);
    const second = loadOrCreateDevCertificates({ dir, now: () => later });
    assert.notEqual(second.caCertPem, first.caCertPem);
  });

  it('lets an HttpClient that trusts the CA, and only such a client, talk TLS to a server using the certificate', async () => {
    const certs = loadOrCreateDevCertificates({ dir });
    const server = https.createServer({ cert: certs.serverCertPem, key: certs.serverKeyPem }, (_req, res) =>
      res.end('ok'),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const trusting = new HttpClient({ extraCaPem: [certs.caCertPem] });
    const plain = new HttpClient();
    try {
      const response = await trusting.request({ method: 'GET', url: `https://127.0.0.1:${port}/` });
      assert.equal(response.body, 'ok');
      await assert.rejects(plain.request({ method: 'GET', url: `https://127.0.0.1:${port}/` }));
    } finally {
      trusting.close();
      plain.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('loadOrCreateClientCredentialCertificate', () => {
  let dir: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'soc-bot-client-cert-test-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('creates a self-signed credential that readClientCertificate accepts, and reuses it on the next start', () => {
    const first = loadOrCreateClientCredentialCertificate({ dir });
    const certificate = new X509Certificate(first.certPem);
    assert.ok(certificate.verify(certificate.publicKey), 'self-signed');
    assert.equal(readClientCertificate(first.file).x5c.trim(), first.certPem.trim());
    assert.equal(loadOrCreateClientCredentialCertificate({ dir }).certPem, first.certPem);
  });

  it('replaces a file whose key does not match its certificate, or one near expiry', () => {
    const first = loadOrCreateClientCredentialCertificate({ dir });
    const other = createClientCredentialCertificate(new Date());
    writeFileSync(first.file, `${other.keyPem}${first.certPem}`);
    const replaced = loadOrCreateClientCredentialCertificate({ dir });
    assert.notEqual(replaced.certPem, first.certPem);
    const later = loadOrCreateClientCredentialCertificate({ dir, now: () => new Date(Date.now() + 340 * DAY_MS) });
    assert.notEqual(later.certPem, replaced.certPem);
  });
});
