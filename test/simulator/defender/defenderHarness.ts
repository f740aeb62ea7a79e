import type { Seed } from '../../../src/simulator/seed/seedSchema';
import { createDefenderApi } from '../../../src/simulator/defender/defenderApi';
import type { DefenderApi, DefenderApiOptions } from '../../../src/simulator/defender/defenderApi';
import { TENANT_A, tenantASeed, tenantBSeed, USERS } from './testSeeds';
import { createTokenFactory } from './testTokens';
import type { TokenFactory } from './testTokens';
import { startTestServer } from './testServer';
import type { TestServer } from './testServer';

/** Every delegated permission the bot could hold. */
export const ALL_SCOPES =
  'Alert.ReadWrite Machine.Read Machine.Isolate Machine.RestrictExecution Machine.Scan Machine.CollectForensics Machine.StopAndQuarantine';

/** A clock the tests move by hand; starts at the real time so real-time token expiry still makes sense. */
export class FakeClock {
  private current = Date.now();

  now = (): Date => new Date(this.current);

  advance(ms: number): void {
    this.current += ms;
  }
}

/** A running simulator for one test file. */
export interface Harness {
  api: DefenderApi;
  server: TestServer;
  tokens: TokenFactory;
  clock: FakeClock;
  /** A delegated token of a tenant-A seed user. */
  userToken(user: keyof typeof USERS, scp?: string): Promise<string>;
  /** An application token of tenant A. */
  appToken(roles: string[]): Promise<string>;
  close(): Promise<void>;
}

let sharedTokens: Promise<TokenFactory> | undefined;

/** Starts API + server on 127.0.0.1:0 with tenant A and B seeds and a fake clock unless overridden. */
export async function startHarness(
  options: Partial<Omit<DefenderApiOptions, 'keys' | 'baseUrlForLinks'>> & { seeds?: Seed[] } = {},
  serverOptions: { remoteAddress?: string } = {},
): Promise<Harness> {
  // RSA key generation dominates start-up time; one key pair serves every harness of the run.
  sharedTokens ??= createTokenFactory();
  const tokens = await sharedTokens;
  const clock = new FakeClock();
  let api: DefenderApi | undefined;
  const server = await startTestServer((baseUrl) => {
    api = createDefenderApi({
      seeds: [tenantASeed(), tenantBSeed()],
      now: clock.now,
      timings: { pendingMs: 1_000, inProgressMs: 2_000, timeoutMs: 10_000 },
      ...options,
      keys: tokens.keys,
      baseUrlForLinks: baseUrl,
    });
    return api.handle;
  }, serverOptions);
  const created = api!;
  return {
    api: created,
    server,
    tokens,
    clock,
    userToken: (user, scp = ALL_SCOPES) =>
      tokens.user({ tenantId: TENANT_A, oid: USERS[user].oid, upn: USERS[user].upn, scp }),
    appToken: (roles) => tokens.app({ tenantId: TENANT_A, roles }),
    close: async () => {
      created.close();
      await server.close();
    },
  };
}
