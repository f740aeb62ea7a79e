import { seedSchema } from '../../../src/simulator/seed/seedSchema';
import type { Seed } from '../../../src/simulator/seed/seedSchema';
import { startHarness } from '../defender/defenderHarness';
import type { Harness } from '../defender/defenderHarness';
import type { TestResponse } from '../defender/testServer';
import { evidence, FIN_WS, LINUX_DB, MAC_DEV, tenantASeed, WEB_SRV } from '../defender/testSeeds';
import type { USERS } from '../defender/testSeeds';

/*
 * Tenant A of the Defender tests plus advanced hunting events with known answers for the entity endpoints.
 * Times are hours before `now` (the harness clock starts at the real time), so lookBackHours windows are exact.
 */

/** The file of tenant A's first alert's evidence (evil.ps1), seen as evil.exe / renamed.exe in the events. */
export const FILE_SHA1 = 'ff836cfb1af40252bd2a2ea843032e99a5b262ed';
export const FILE_SHA256 = 'a'.repeat(64);
/** A file seen only as the process behind connections, with no seeded profile (global figures = the org's). */
export const LONE_SHA1 = '1234567890abcdef1234567890abcdef12345678';
export const C2_IP = '198.51.100.77';
export const C2_DOMAIN = 'cdn-update.evil.example';
/** Alert ids of tenant A (testSeeds.ts). */
export const ALERT_1 = 'da638412900382838869_1364969601';
export const ALERT_2 = 'da638412900382838869_1364969602';
export const ALERT_3 = 'da638412900382838869_1364969603';

/** An ISO timestamp `hours` before `now`. */
export function hoursAgo(now: number, hours: number): string {
  return new Date(now - hours * 3_600_000).toISOString();
}

/** Tenant A with events placed relative to `now`. */
export function entitySeed(now: number): Seed {
  const at = (hours: number) => hoursAgo(now, hours);
  const base = tenantASeed();
  const alerts = base.alerts.map((a) => {
    if (a.id === ALERT_2) return { ...a, relatedUser: { userName: 'jonis', domainName: 'CONTOSO' } };
    if (a.id === ALERT_3) {
      return {
        ...a,
        evidence: [
          evidence({ sha256: FILE_SHA256, fileName: 'evil.exe' }),
          evidence({
            entityType: 'Url',
            sha1: null,
            fileName: null,
            filePath: null,
            url: `https://${C2_DOMAIN}/gate.php`,
          }),
        ],
      };
    }
    return a;
  });
  const process = (deviceId: string, hours: number, fileName: string, sha1 = FILE_SHA1) => ({
    Timestamp: at(hours),
    DeviceId: deviceId,
    ActionType: 'ProcessCreated',
    FileName: fileName,
    SHA1: sha1,
    SHA256: sha1 === FILE_SHA1 ? FILE_SHA256 : null,
    InitiatingProcessFileName: 'explorer.exe',
  });
  const connection = (deviceId: string, hours: number, remote: { RemoteIP?: string; RemoteUrl?: string }) => ({
    Timestamp: at(hours),
    DeviceId: deviceId,
    ActionType: 'ConnectionSuccess',
    RemotePort: 443,
    ...remote,
    InitiatingProcessFileName: 'rundll32.exe',
    InitiatingProcessSHA1: LONE_SHA1,
  });
  const logon = (deviceId: string, hours: number, account: string, logonType: string, actionType = 'LogonSuccess') => ({
    Timestamp: at(hours),
    DeviceId: deviceId,
    ActionType: actionType,
    LogonType: logonType,
    AccountDomain: 'CONTOSO',
    AccountName: account,
  });
  return seedSchema.parse({
    ...base,
    alerts,
    entityProfiles: {
      files: {
        [FILE_SHA1]: {
          globalPrevalence: 1500,
          globalFirstObserved: '2023-01-01T00:00:00Z',
          globalLastObserved: at(1),
          filePublisher: 'Evil Corp',
          determinationType: 'Malware',
          determinationValue: 'Trojan:Win32/Evil',
        },
      },
      domainAdmins: ['CONTOSO\\adm-allan'],
    },
    events: {
      DeviceProcessEvents: [
        process(FIN_WS, 2, 'evil.exe'),
        process(WEB_SRV, 10, 'evil.exe'),
        process(MAC_DEV, 100, 'renamed.exe'),
        process(LINUX_DB, 800, 'evil.exe'),
      ],
      DeviceFileEvents: [
        {
          Timestamp: at(3),
          DeviceId: FIN_WS,
          ActionType: 'FileCreated',
          FileName: 'evil.exe',
          SHA1: FILE_SHA1,
          FileSize: 12345,
        },
      ],
      DeviceNetworkEvents: [
        connection(FIN_WS, 1, { RemoteIP: C2_IP, RemoteUrl: `https://${C2_DOMAIN}/gate.php` }),
        connection(WEB_SRV, 5, { RemoteIP: C2_IP }),
        connection(FIN_WS, 200, { RemoteIP: C2_IP }),
        connection(MAC_DEV, 30, { RemoteIP: '203.0.113.9', RemoteUrl: C2_DOMAIN }),
      ],
      DeviceLogonEvents: [
        logon(FIN_WS, 20, 'jonis', 'Interactive'),
        logon(FIN_WS, 2, 'jonis', 'Interactive'),
        logon(FIN_WS, 4, 'adm-allan', 'Network'),
        logon(FIN_WS, 3, 'mallory', 'Interactive', 'LogonFailed'),
        logon(WEB_SRV, 1, 'jonis', 'RemoteInteractive'),
      ],
    },
  });
}

/** A simulator over entitySeed for one test file, rebuilt before each test (hooks registered by the call). */
export interface EntityHarness {
  readonly h: Harness;
  /** The instant the seed's times count back from. */
  readonly now: number;
  /** A GET as a tenant-A user with these delegated scopes. */
  get: (path: string, user?: keyof typeof USERS, scp?: string) => Promise<TestResponse>;
}

/** Registers beforeEach/afterEach that start and stop a harness over entitySeed; `scopes` are get's default. */
export function useEntityHarness(scopes: string): EntityHarness {
  const state: { h?: Harness; now: number } = { now: 0 };
  beforeEach(async () => {
    state.now = Date.now();
    state.h = await startHarness({ seeds: [entitySeed(state.now)] });
  });
  afterEach(() => state.h?.close());
  return {
    get h() {
      return state.h!;
    },
    get now() {
      return state.now;
    },
    get: async (path, user = 'admin', scp = scopes) =>
      state.h!.server.request(path, { token: await state.h!.userToken(user, scp) }),
  };
}

/** The ids of a collection answer. */
export function idsOf(res: TestResponse): unknown[] {
  return res.json.value.map((item) => item.id);
}
