import { X509Certificate, createPrivateKey, generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import forge from 'node-forge';

/*
 * The simulator speaks HTTPS because msal-node refuses an http authority (`authority_uri_insecure`). This module
 * keeps a small local certificate authority in a directory of the developer's machine and a server certificate
 * for 127.0.0.1 / ::1 / localhost signed by it; the bot trusts the CA through HttpClient's `extraCaPem`, so no
 * process-wide NODE_EXTRA_CA_CERTS and no system trust store change are needed.
 */

/** Common name of the local CA; lets a developer recognise (and remove) it wherever it ends up trusted. */
export const DEV_CA_COMMON_NAME = 'Defender SOC Bot local CA';

/** PEM material for an HTTPS simulator and for the clients that must trust it. */
export interface DevCertificates {
  /** The local CA certificate: what clients add to their trusted roots. */
  caCertPem: string;
  /** The server certificate (SAN IP:127.0.0.1, IP:::1, DNS:localhost), signed by the CA. */
  serverCertPem: string;
  /** The server certificate's private key (PKCS#8). */
  serverKeyPem: string;
}

/** Where the certificates live, and the clock deciding "near expiry" (tests move it). */
export interface DevCertificateOptions {
  dir: string;
  now?: () => Date;
}

const FILES = {
  caCert: 'ca.crt.pem',
  caKey: 'ca.key.pem',
  serverCert: 'server.crt.pem',
  serverKey: 'server.key.pem',
} as const;

const DAY_MS = 24 * 60 * 60 * 1000;
/** Both certificates are replaced when they have less than this left, so a long demo never hits an expiry. */
const RENEW_BEFORE_MS = 30 * DAY_MS;
const CA_VALIDITY_DAYS = 5 * 365;
const SERVER_VALIDITY_DAYS = 365;
/** Backdating covers small clock differences between the process that issues and the one that verifies. */
const BACKDATE_MS = 60 * 60 * 1000;
const SERVER_SAN = ['IP Address:127.0.0.1', 'IP Address:0:0:0:0:0:0:0:1', 'DNS:localhost'];

/** forge's TBS builder exists at runtime but is missing from @types/node-forge. */
const forgePki = forge.pki as typeof forge.pki & {
  getTBSCertificate(cert: forge.pki.Certificate): forge.asn1.Asn1;
};

interface KeyPair {
  privateKeyPem: string;
  forgePublicKey: forge.pki.rsa.PublicKey;
}

/**
 * Returns the local CA and server certificate stored under `dir`, creating or replacing whatever is missing,
 * unparseable, mismatched or within 30 days of expiry. Replacing the CA also replaces the server certificate.
 */
export function loadOrCreateDevCertificates(options: DevCertificateOptions): DevCertificates {
  const now = options.now?.() ?? new Date();
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const file = (name: string) => path.join(options.dir, name);

  let ca = readUsableCa(file(FILES.caCert), file(FILES.caKey), now);
  let server = ca ? readUsableServer(file(FILES.serverCert), file(FILES.serverKey), ca.cert, now) : undefined;

  if (!ca) {
    const created = createCa(now);
    writePrivateFile(file(FILES.caKey), created.keyPem);
    writePublicFile(file(FILES.caCert), created.certPem);
    ca = { cert: new X509Certificate(created.certPem), certPem: created.certPem, keyPem: created.keyPem };
  }
  if (!server) {
    const created = createServerCertificate(ca.certPem, ca.keyPem, now);
    writePrivateFile(file(FILES.serverKey), created.keyPem);
    writePublicFile(file(FILES.serverCert), created.certPem);
    server = created;
  }
  return { caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
}

/** The stored CA when it parses, is a CA named as ours, matches its key and is not near expiry. */
function readUsableCa(
  certPath: string,
  keyPath: string,
  now: Date,
): { cert: X509Certificate; certPem: string; keyPem: string } | undefined {
  const stored = readPair(certPath, keyPath);
  if (!stored) return undefined;
  const { cert, key, certPem, keyPem } = stored;
  const usable =
    cert.ca &&
    cert.subject.split('\n').includes(`CN=${DEV_CA_COMMON_NAME}`) &&
    cert.checkPrivateKey(key) &&
    cert.verify(cert.publicKey) &&
    isFresh(cert, now);
  return usable ? { cert, certPem, keyPem } : undefined;
}

/** The stored server certificate when it parses, was issued by `ca`, has our SANs, matches its key and is fresh. */
function readUsableServer(
  certPath: string,
  keyPath: string,
  ca: X509Certificate,
  now: Date,
): { certPem: string; keyPem: string } | undefined {
  const stored = readPair(certPath, keyPath);
  if (!stored) return undefined;
  const { cert, key, certPem, keyPem } = stored;
  const sans = (cert.subjectAltName ?? '').split(',').map((s) => s.trim());
  const usable =
    !cert.ca &&
    cert.checkIssued(ca) &&
    cert.verify(ca.publicKey) &&
    cert.checkPrivateKey(key) &&
    SERVER_SAN.every((san) => sans.includes(san)) &&
    isFresh(cert, now);
  return usable ? { certPem, keyPem } : undefined;
}

/** Reads and parses a certificate and its key; undefined when either is missing or unparseable. */
function readPair(
  certPath: string,
  keyPath: string,
): { cert: X509Certificate; key: KeyObject; certPem: string; keyPem: string } | undefined {
  try {
    const certPem = readFileSync(certPath, 'utf8');
    const keyPem = readFileSync(keyPath, 'utf8');
    return { cert: new X509Certificate(certPem), key: createPrivateKey(keyPem), certPem, keyPem };
  } catch {
    return undefined;
  }
}

function isFresh(cert: X509Certificate, now: Date): boolean {
  const validFrom = Date.parse(cert.validFrom);
  const validTo = Date.parse(cert.validTo);
  return validFrom <= now.getTime() && validTo - now.getTime() > RENEW_BEFORE_MS;
}

/** RSA keys come from node:crypto (fast, native); forge only lays out the certificates. */
function generateRsaKeyPair(): KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  return { privateKeyPem, forgePublicKey: forge.pki.publicKeyFromPem(publicKeyPem) };
}

/** A positive, random 16-byte serial number (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return bytes.toString('hex');
}

function validity(cert: forge.pki.Certificate, now: Date, days: number): void {
  cert.validity.notBefore = new Date(now.getTime() - BACKDATE_MS);
  cert.validity.notAfter = new Date(now.getTime() + days * DAY_MS);
}

function createCa(now: Date): { certPem: string; keyPem: string } {
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublicKey;
  cert.serialNumber = randomSerial();
  validity(cert, now, CA_VALIDITY_DAYS);
  const subject = [
    { name: 'commonName', value: DEV_CA_COMMON_NAME },
    { name: 'organizationName', value: 'Defender SOC Bot (local development only)' },
  ];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: true, pathLenConstraint: 0, critical: true },
    { name: 'keyUsage', keyCertSign: true, cRLSign: true, critical: true },
    { name: 'subjectKeyIdentifier' },
  ]);
  signCertificate(cert, keys.privateKeyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

function createServerCertificate(caCertPem: string, caKeyPem: string, now: Date): { certPem: string; keyPem: string } {
  const caCert = forge.pki.certificateFromPem(caCertPem);
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublicKey;
  cert.serialNumber = randomSerial();
  validity(cert, now, SERVER_VALIDITY_DAYS);
  cert.setSubject([{ name: 'commonName', value: 'localhost' }]);
  cert.setIssuer(caCert.subject.attributes);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
    { name: 'extKeyUsage', serverAuth: true },
    {
      name: 'subjectAltName',
      altNames: [
        { type: 7, ip: '127.0.0.1' },
        { type: 7, ip: '::1' },
        { type: 2, value: 'localhost' },
      ],
    },
    { name: 'subjectKeyIdentifier' },
    { name: 'authorityKeyIdentifier', keyIdentifier: caCert.generateSubjectKeyIdentifier().getBytes() },
  ]);
  signCertificate(cert, caKeyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/** sha256WithRSAEncryption over the TBS certificate, computed by node:crypto (forge's JS RSA is ~10x slower). */
function signCertificate(cert: forge.pki.Certificate, signerKeyPem: string): void {
  const algorithm = forge.pki.oids.sha256WithRSAEncryption;
  if (!algorithm) throw new Error('node-forge lacks the sha256WithRSAEncryption OID');
  cert.signatureOid = algorithm;
  cert.siginfo.algorithmOid = algorithm;
  const tbs = forge.asn1.toDer(forgePki.getTBSCertificate(cert)).getBytes();
  cert.signature = sign('sha256', Buffer.from(tbs, 'binary'), signerKeyPem).toString('binary');
}

/** Private keys are written owner-only (0600), atomically, and re-chmodded in case the file pre-existed. */
function writePrivateFile(target: string, content: string): void {
  writeAtomically(target, content, 0o600);
}

function writePublicFile(target: string, content: string): void {
  writeAtomically(target, content, 0o644);
}

/** Write-then-rename so a crash or a concurrent reader never sees half a PEM. */
function writeAtomically(target: string, content: string, mode: number): void {
  const temp = `${target}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temp, content, { mode });
  chmodSync(temp, mode);
  renameSync(temp, target);
}

/** File (key + certificate, owner-only) of the demo bot's certificate credential, under the certificates dir. */
const CLIENT_CREDENTIAL_FILE = 'bot-credential.pem';
const CLIENT_CREDENTIAL_VALIDITY_DAYS = 365;

/** A self-signed certificate credential: what an app registration holds (certificate) and the app signs with (key). */
export interface ClientCredentialCertificate {
  certPem: string;
  keyPem: string;
}

/**
 * Creates a self-signed certificate credential, as `New-SelfSignedCertificate` would for an app registration
 * (Entra checks the key named by the thumbprint, not the issuer).
 */
export function createClientCredentialCertificate(
  now: Date,
  commonName = 'Defender SOC Bot (demo)',
): ClientCredentialCertificate {
  const keys = generateRsaKeyPair();
  const cert = forge.pki.createCertificate();
  cert.publicKey = keys.forgePublicKey;
  cert.serialNumber = randomSerial();
  validity(cert, now, CLIENT_CREDENTIAL_VALIDITY_DAYS);
  const subject = [{ name: 'commonName', value: commonName }];
  cert.setSubject(subject);
  cert.setIssuer(subject);
  cert.setExtensions([
    { name: 'basicConstraints', cA: false, critical: true },
    { name: 'keyUsage', digitalSignature: true, critical: true },
    { name: 'extKeyUsage', clientAuth: true },
  ]);
  signCertificate(cert, keys.privateKeyPem);
  return { certPem: forge.pki.certificateToPem(cert), keyPem: keys.privateKeyPem };
}

/**
 * The demo bot's certificate credential stored under `dir` (one PEM file, key then certificate, mode 0600, the
 * format BOT_CERTIFICATE_FILE reads), created or replaced when missing, unparseable, mismatched or near expiry.
 */
export function loadOrCreateClientCredentialCertificate(options: DevCertificateOptions): {
  file: string;
  certPem: string;
} {
  const now = options.now?.() ?? new Date();
  mkdirSync(options.dir, { recursive: true, mode: 0o700 });
  const file = path.join(options.dir, CLIENT_CREDENTIAL_FILE);
  const stored = readPair(file, file);
  const certPem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----(?:\r?\n)?/.exec(
    stored?.certPem ?? '',
  )?.[0];
  if (stored && certPem && stored.cert.checkPrivateKey(stored.key) && isFresh(stored.cert, now)) {
    return { file, certPem };
  }
  const created = createClientCredentialCertificate(now);
  writePrivateFile(file, `${created.keyPem}${created.certPem}`);
  return { file, certPem: created.certPem };
}
