import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createLocalJWKSet, jwtVerify } from 'jose';
import type { JWTPayload } from 'jose';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../../src/demo/demoConstants';
import { HttpClient } from '../../../src/http/httpClient';
import { loadOrCreateDevCertificates } from '../../../src/simulator/certs';
import { loadMsspSeeds, msspSeedList, MSSP_PEOPLE, MSSP_TENANTS } from '../../../src/simulator/seed/msspSeeds';
import type { MsspSeeds } from '../../../src/simulator/seed/msspSeeds';
import { startSimulatorServer } from '../../../src/simulator/simulatorServer';
import type { SimulatorServer } from '../../../src/simulator/simulatorServer';

/** The MDE resource the bot asks for. */
export const MDE_SCOPE = 'https://api.securitycenter.microsoft.com/.default';
/** Microsoft Graph, for incidents. */
export const GRAPH_SCOPE = 'https://graph.microsoft.com/.default';
/** The bot's secret in these tests. */
export const BOT_SECRET = 'mssp-world-secret-0123456789';

/** A parsed JSON body. */
export type Json = Record<string, unknown>;

/** One HTTP answer: status, parsed JSON (when any) and the redirect target (when any). */
export interface Answer {
  status: number;
  json: Json;
  location: URL | undefined;
}

/**
 * The simulated MSSP world over real HTTPS: the four MSSP seeds, the demo bot registered in the provider tenant
 * as a multi-tenant app and consented by Contoso and Fabrikam (not Tailspin), as demo mode would wire it.
 */
export class MsspWorld {
  private constructor(
    readonly simulator: SimulatorServer,
    readonly seeds: MsspSeeds,
    readonly http: HttpClient,
    private readonly certificateDir: string,
  ) {}

  /** Starts a simulator on a free port with the MSSP seeds and the bot registration. */
  static async start(): Promise<MsspWorld> {
    const certificateDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-mssp-'));
    const certificates = loadOrCreateDevCertificates({ dir: certificateDir });
    const seeds = loadMsspSeeds({ freshen: true });
    const simulator = await startSimulatorServer({ seeds: msspSeedList(seeds), port: 0, certificates });
    simulator.entra.registerClient({
      clientId: DEMO_BOT_ID,
      clientSecret: BOT_SECRET,
      displayName: 'Defender SOC Bot',
      delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
      applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
      homeTenantId: MSSP_TENANTS.provider,
      multiTenant: true,
    });
    simulator.entra.grantAdminConsent(MSSP_TENANTS.contoso, DEMO_BOT_ID);
    simulator.entra.grantAdminConsent(MSSP_TENANTS.fabrikam, DEMO_BOT_ID);
    const http = new HttpClient({ extraCaPem: [certificates.caCertPem] });
    return new MsspWorld(simulator, seeds, http, certificateDir);
  }

  async close(): Promise<void> {
    this.http.close();
    await this.simulator.close();
    fs.rmSync(this.certificateDir, { recursive: true, force: true });
  }

  /** The Teams SSO token of a provider SOC person (tid = provider, aud = the bot). */
  ssoToken(person: keyof typeof MSSP_PEOPLE): string {
    return this.simulator.entra.mintUserAssertion({
      tenantId: MSSP_TENANTS.provider,
      aadObjectId: MSSP_PEOPLE[person],
      audience: DEMO_BOT_ID,
    }).token;
  }

  /** `POST /{authority}/oauth2/v2.0/token`, on-behalf-of `assertion`. */
  obo(authority: string, assertion: string, scope = MDE_SCOPE, clientId = DEMO_BOT_ID): Promise<Answer> {
    return this.request('POST', `/${authority}/oauth2/v2.0/token`, {
      form: {
        client_id: clientId,
        client_secret: BOT_SECRET,
        grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
        requested_token_use: 'on_behalf_of',
        assertion,
        scope,
        client_info: '1',
      },
    });
  }

  /** The access token of a successful OBO; fails the test otherwise. */
  async oboToken(authority: string, person: keyof typeof MSSP_PEOPLE, scope = MDE_SCOPE): Promise<string> {
    const answer = await this.obo(authority, this.ssoToken(person), scope);
    assert.equal(answer.status, 200, JSON.stringify(answer.json));
    return String(answer.json.access_token);
  }

  /** A client-credentials token of the bot in `tenant`. */
  appToken(tenant: string, scope = MDE_SCOPE): Promise<Answer> {
    return this.request('POST', `/${tenant}/oauth2/v2.0/token`, {
      form: { client_id: DEMO_BOT_ID, client_secret: BOT_SECRET, grant_type: 'client_credentials', scope },
    });
  }

  /** Registers another app in the provider tenant, single-tenant (no customer can use or consent to it). */
  registerSingleTenantApp(clientId: string): void {
    this.simulator.entra.registerClient({
      clientId,
      clientSecret: BOT_SECRET,
      displayName: 'Single-tenant bot',
      delegatedPermissions: ['Alert.Read'],
      applicationPermissions: [],
      homeTenantId: MSSP_TENANTS.provider,
    });
  }

  /** Verifies a token with the emulator's keys and returns its claims. */
  async claims(token: string): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, createLocalJWKSet(this.simulator.entra.getKeySet()), {
      algorithms: ['RS256'],
    });
    return payload;
  }

  /** A request to the simulator: JSON or form body, optional bearer token, redirects not followed. */
  async request(
    method: 'GET' | 'POST' | 'PATCH',
    pathAndQuery: string,
    options: { token?: string; json?: unknown; form?: Record<string, string> } = {},
  ): Promise<Answer> {
    const headers: Record<string, string> = {};
    let body: string | undefined;
    if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
    if (options.form !== undefined) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(options.form).toString();
    } else if (options.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await this.http.request({
      method,
      url: `${this.simulator.url}${pathAndQuery}`,
      headers,
      ...(body !== undefined ? { body } : {}),
    });
    const location = response.headers.location;
    return {
      status: response.status,
      json: response.body.length > 0 ? (JSON.parse(response.body) as Json) : {},
      location: typeof location === 'string' ? new URL(location) : undefined,
    };
  }
}
