import https from 'node:https';

/** Where the Entra emulator is and how to trust it. */
export interface EmulatorEndpoint {
  /** The emulator's origin, e.g. `https://127.0.0.1:3979`: https on a loopback address, or this module refuses it. */
  url: string;
  /** The local CA that signed the emulator's certificate (src/simulator/certs.ts). */
  caPem: string;
}

/** What one mint asks for: the user, their tenant, and the audience (the bot's client id, as Teams SSO gives). */
export interface TabTokenRequest {
  tenantId: string;
  aadObjectId: string;
  audience: string;
}

/**
 * The outcome of a mint: a token, or why not — the emulator's `user_not_found` / `tenant_not_found`, or
 * `tokenmissing` (the code Teams uses when Entra gave it no token) for anything else.
 */
export type MintOutcome = { token: string } | { error: 'user_not_found' | 'tenant_not_found' | 'tokenmissing' };

const LOOPBACK_HOSTNAMES = new Set(['127.0.0.1', '[::1]', 'localhost']);
const REQUEST_TIMEOUT_MS = 5_000;
const MAX_RESPONSE_BYTES = 64 * 1024;

/** The emulator's `POST /_sim/entra/assertions` URL; throws unless the emulator is https on a loopback address. */
export function assertionEndpoint(emulator: EmulatorEndpoint): URL {
  const url = new URL(emulator.url);
  if (url.protocol !== 'https:' || !LOOPBACK_HOSTNAMES.has(url.hostname) || url.username || url.password) {
    throw new Error('the Teams host only asks an https Entra emulator on a loopback address for tokens');
  }
  return new URL('/_sim/entra/assertions', url.origin);
}

/**
 * Asks the Entra emulator to mint the Teams SSO token of a user (`scp` access_as_user, `aud` the bot's client id),
 * trusting only the given CA. The token is returned to the caller and nowhere else.
 */
export async function mintTabToken(endpoint: URL, caPem: string, request: TabTokenRequest): Promise<MintOutcome> {
  const body = JSON.stringify({
    tenantId: request.tenantId,
    aadObjectId: request.aadObjectId,
    audience: request.audience,
  });
  let answer: { status: number; text: string };
  try {
    answer = await postJson(endpoint, caPem, body);
  } catch {
    return { error: 'tokenmissing' };
  }
  const json = parseJson(answer.text);
  if (answer.status === 200 && isRecord(json) && typeof json.token === 'string' && json.token.length > 0) {
    return { token: json.token };
  }
  if (
    answer.status === 404 &&
    isRecord(json) &&
    (json.error === 'user_not_found' || json.error === 'tenant_not_found')
  ) {
    return { error: json.error };
  }
  return { error: 'tokenmissing' };
}

function postJson(url: URL, caPem: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      url,
      {
        method: 'POST',
        ca: caPem,
        headers: {
          'content-type': 'application/json',
          accept: 'application/json',
          'content-length': Buffer.byteLength(body),
        },
        timeout: REQUEST_TIMEOUT_MS,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_RESPONSE_BYTES) req.destroy(new Error('the emulator answered too much'));
          else chunks.push(chunk);
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('the emulator did not answer in time')));
    req.on('error', reject);
    req.end(body);
  });
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
