import { X509Certificate, createPrivateKey } from 'node:crypto';
import fs from 'node:fs';

/** A certificate credential in the shape msal-node expects. */
export interface ClientCertificate {
  thumbprintSha256: string;
  privateKey: string;
  x5c: string;
}

/**
 * Reads a PEM file holding the bot credential's private key and its certificate (any order) into msal's
 * certificate credential. `x5c` is sent so Entra can use subject-name/issuer authentication.
 */
export function readClientCertificate(file: string): ClientCertificate {
  const pem = fs.readFileSync(file, 'utf8');
  const certificate = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  const key = /-----BEGIN (?:RSA |EC )?PRIVATE KEY-----[\s\S]+?-----END (?:RSA |EC )?PRIVATE KEY-----/.exec(pem)?.[0];
  if (!certificate || !key) throw new Error('BOT_CERTIFICATE_FILE must hold a PEM private key and a PEM certificate');
  const x509 = new X509Certificate(certificate);
  if (!x509.checkPrivateKey(createPrivateKey(key))) throw new Error('the private key does not match the certificate');
  return {
    thumbprintSha256: x509.fingerprint256.replace(/:/g, ''),
    privateKey: createPrivateKey(key).export({ type: 'pkcs8', format: 'pem' }).toString(),
    x5c: certificate,
  };
}
