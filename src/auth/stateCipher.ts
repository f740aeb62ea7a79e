import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { z } from 'zod';
import { AppError } from '../errors';
import { isErrorCode } from '../storage/isErrorCode';

/** AES-256-GCM: a 32-byte key, a fresh 12-byte nonce per message, a 16-byte authentication tag. */
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Format tag of a sealed text, so a later format (key rotation with key ids) can be told apart. */
const FORMAT = 'v1';

/**
 * Encrypts the sign-in state the bot keeps in shared storage (users' SSO assertions, one-time sign-in codes,
 * PKCE verifiers): whoever can read the container or DATA_DIR must not get a bearer token. Each sealed text is
 * bound to a `context` (its storage key, as authenticated data), so a record copied under another user's key
 * does not open.
 */
export class StateCipher {
  private readonly key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== KEY_BYTES) throw new AppError('internal', `state encryption key must be ${KEY_BYTES} bytes`);
    this.key = Buffer.from(key);
  }

  /** `v1.<nonce>.<tag>.<ciphertext>` (base64url): authenticated encryption of `plaintext` bound to `context`. */
  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const data = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return [FORMAT, nonce, cipher.getAuthTag(), data]
      .map((p) => (typeof p === 'string' ? p : p.toString('base64url')))
      .join('.');
  }

  /** The plaintext, or undefined when the text was not sealed by this key for this context (or was altered). */
  open(sealed: string, context: string): string | undefined {
    const [format, nonce, tag, data, ...rest] = sealed.split('.');
    if (format !== FORMAT || nonce === undefined || tag === undefined || data === undefined || rest.length > 0)
      return undefined;
    const nonceBytes = Buffer.from(nonce, 'base64url');
    const tagBytes = Buffer.from(tag, 'base64url');
    if (nonceBytes.length !== NONCE_BYTES || tagBytes.length !== TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, nonceBytes, { authTagLength: TAG_BYTES });
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(tagBytes);
      return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  /** `open`, then JSON and `schema`: undefined when any of the three fails (never a half-trusted value). */
  openJson<T>(sealed: string, context: string, schema: z.ZodType<T>): T | undefined {
    const plaintext = this.open(sealed, context);
    if (plaintext === undefined) return undefined;
    try {
      return schema.parse(JSON.parse(plaintext));
    } catch {
      return undefined;
    }
  }
}

/** File name of the generated key in DATA_DIR (one instance, file store, no STATE_ENCRYPTION_KEY set). */
export const STATE_KEY_FILE = 'state-encryption.key';

/**
 * The key for a single instance without STATE_ENCRYPTION_KEY: read from DATA_DIR, or generated there once
 * (owner-only, created exclusively so two starts never write two keys). Several instances must share a key from
 * configuration instead; the configuration refuses Blob storage without one.
 */
export function loadOrCreateStateKey(dataDir: string): Buffer {
  const file = path.join(dataDir, STATE_KEY_FILE);
  fs.mkdirSync(dataDir, { recursive: true });
  try {
    fs.writeFileSync(file, randomBytes(KEY_BYTES).toString('base64'), { flag: 'wx', mode: 0o600 });
  } catch (err) {
    if (!isErrorCode(err, 'EEXIST')) throw err;
  }
  const key = Buffer.from(fs.readFileSync(file, 'utf8').trim(), 'base64');
  if (key.length !== KEY_BYTES) throw new AppError('internal', `${file} does not hold a base64 ${KEY_BYTES}-byte key`);
  return key;
}
