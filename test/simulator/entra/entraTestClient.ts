import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { ConfidentialClientApplication } from '@azure/msal-node';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { MsalNetworkClient } from '../../../src/auth/msalNetworkClient';
import { HttpClient } from '../../../src/http/httpClient';
import type { EntraTestServer } from './entraTestServer';
import { BOT } from './entraTestSeeds';

/** A parsed JSON object from an emulator response. */
export type Json = Record<string, unknown>;

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** Raw HTTP against one running emulator: token POSTs, GETs, authorize redirects, JWT verification. */
export class EntraTestClient {
  readonly http: HttpClient;

  constructor(private readonly server: EntraTestServer) {
    this.http = new HttpClient({ extraCaPem: [server.caCertPem] });
  }

  /** `POST /{tenant}/oauth2/v2.0/token` with a form. */
  async postToken(form: Record<string, string>, tenant: string): Promise<{ status: number; body: Json }> {
    const response = await this.http.request({
      method: 'POST',
      url: `${this.server.url}/${tenant}/oauth2/v2.0/token`,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
    return { status: response.status, body: JSON.parse(response.body) as Json };
  }

  /** A GET that does not follow redirects: status, JSON body when there is one, and the Location as a URL. */
  async get(pathAndQuery: string): Promise<{ status: number; body: Json | undefined; location: URL | undefined }> {
    const response = await this.http.request({ method: 'GET', url: `${this.server.url}${pathAndQuery}` });
    const location = response.headers.location;
    return {
      status: response.status,
      body: response.body.length > 0 ? (JSON.parse(response.body) as Json) : undefined,
      location: typeof location === 'string' ? new URL(location) : undefined,
    };
  }

  /** `GET /{tenant}/oauth2/v2.0/authorize?…` with the given query parameters. */
  authorize(
    tenant: string,
    params: Record<string, string>,
  ): Promise<{ status: number; body: Json | undefined; location: URL | undefined }> {
    return this.get(`/${tenant}/oauth2/v2.0/authorize?${new URLSearchParams(params).toString()}`);
  }

  /** Verifies a token's signature with the emulator's JWKS and returns its claims. */
  async verify(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(this.server.emulator.getKeySet()), {
      algorithms: ['RS256'],
    });
    return payload;
  }

  close(): void {
    this.http.close();
  }
}

/** A PKCE verifier and its S256 challenge (RFC 7636). */
export function pkcePair(): { verifier: string; challenge: string } {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') };
}

/** A ConfidentialClientApplication (msal-node 7) for the test bot, trusting the emulator's CA. */
export function msalClientFor(
  server: EntraTestServer,
  http: HttpClient,
  options: { tenant?: string; clientId?: string; clientSecret?: string } = {},
): ConfidentialClientApplication {
  return new ConfidentialClientApplication({
    auth: {
      clientId: options.clientId ?? BOT.clientId,
      clientSecret: options.clientSecret ?? BOT.clientSecret,
      authority: `${server.url}/${options.tenant ?? 'organizations'}`,
      knownAuthorities: [new URL(server.url).host],
    },
    system: { networkClient: new MsalNetworkClient(http) },
  });
}

/** Entra's error body shape (defender-api.md §9.2), asserted field by field. */
export function assertEntraError(body: Json | undefined, error: string, aadsts: number): void {
  assert.ok(body, 'an error body');
  assert.equal(body.error, error);
  assert.deepEqual(body.error_codes, [aadsts]);
  assert.match(String(body.trace_id), GUID);
  assert.ok(String(body.error_description).startsWith(`AADSTS${aadsts}: `), String(body.error_description));
}

/** The `error` and AADSTS code of an error redirect, with its state. */
export function redirectedError(location: URL | undefined): { error: string; aadsts: string; state: string | null } {
  assert.ok(location, 'a redirect');
  assert.equal(location.searchParams.get('code'), null, 'no code alongside an error');
  const description = location.searchParams.get('error_description') ?? '';
  return {
    error: location.searchParams.get('error') ?? '',
    aadsts: /^AADSTS(\d+):/.exec(description)?.[1] ?? '',
    state: location.searchParams.get('state'),
  };
}

/** A Bot Framework channel token (client credentials at `{entraUrl}/botframework.com`) for `app`; asserts a 200. */
export function botFrameworkToken(
  http: HttpClient,
  entraUrl: string,
  app: { clientId: string; clientSecret: string },
  scope = 'https://api.botframework.com/.default',
): Promise<string> {
  return clientCredentialsToken(http, entraUrl, 'botframework.com', app, scope);
}

/** A client-credentials access token of `app` in `tenant` for `scope`; asserts a 200. */
export async function clientCredentialsToken(
  http: HttpClient,
  entraUrl: string,
  tenant: string,
  app: { clientId: string; clientSecret: string },
  scope: string,
): Promise<string> {
  const response = await http.request({
    method: 'POST',
    url: `${entraUrl}/${tenant}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      client_id: app.clientId,
      client_secret: app.clientSecret,
      grant_type: 'client_credentials',
      scope,
    }).toString(),
  });
  assert.equal(response.status, 200, response.body);
  return String((JSON.parse(response.body) as Json).access_token);
}
