import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import type { TeamsConversation, TeamsUser } from '../support/botClient';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { startTestApp, testConfig } from '../support/testApp';
import { ALERT_1, C2_DOMAIN, C2_IP, entitySeed, FILE_SHA1 } from '../simulator/entities/entitySeed';
import { FIN_WS, TENANT_A, USERS } from '../simulator/defender/testSeeds';

/*
 * The whole bot in demo mode over tenant A of the Defender tests plus the entity seed's events (known answers for
 * every entity endpoint: test/simulator/entities/entitySeed.ts), driven through POST /api/messages.
 */

type Card = Record<string, unknown>;

/** Analysts added to tenant A here (every device group, ViewData), so each test can start with an empty cache. */
export const ANALYSTS = {
  analyst1: 'aaaaaaaa-0000-4000-8000-0000000000a1',
  analyst2: 'aaaaaaaa-0000-4000-8000-0000000000a2',
  analyst3: 'aaaaaaaa-0000-4000-8000-0000000000a3',
} as const;

/** A person of tenant A as Teams names them. */
export function personOf(key: keyof typeof USERS | keyof typeof ANALYSTS): TeamsUser {
  const oid = key in ANALYSTS ? ANALYSTS[key as keyof typeof ANALYSTS] : USERS[key as keyof typeof USERS].oid;
  return { id: `29:${oid}`, name: key, aadObjectId: oid };
}

/** The answer to a click as the person reads it: a card's words, or the text of a message answer. */
export function answerText(response: { value: unknown }): string {
  return typeof response.value === 'string' ? response.value : visibleText(response.value);
}

/** The personal chat of a tenant-A person. */
export function chatOf(user: TeamsUser): TeamsConversation {
  return { id: `a:personal-${user.aadObjectId}`, conversationType: 'personal', tenantId: TENANT_A };
}

/** The running bot, its client and data folder, and the instant the seed's event times count back from. */
export interface InvestigationWorld {
  app: RunningApp;
  bot: BotClient;
  dataDir: string;
  now: number;
}

/** How a world is started: more analysts (`bench-analyst-N`, each with their own cache) and extra settings. */
export interface WorldOptions {
  extraAnalysts?: number;
  env?: NodeJS.ProcessEnv;
}

/** The oid of the `n`th extra analyst (0-based). */
export function extraAnalystOid(n: number): string {
  return `bbbbbbbb-0000-4000-8000-${String(n).padStart(12, '0')}`;
}

/** Starts the bot over the entity seed (written to a scratch DEMO_SEED file). */
export async function startInvestigationWorld(options: WorldOptions = {}): Promise<InvestigationWorld> {
  const now = Date.now();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-investigation-'));
  const seedPath = path.join(dir, 'seed.json');
  const seed = entitySeed(now);
  const extra = Array.from({ length: options.extraAnalysts ?? 0 }, (_, n) => [
    `bench-analyst-${n}`,
    extraAnalystOid(n),
  ]);
  const analysts = [...Object.entries(ANALYSTS), ...extra].map(([name, oid]) => ({
    aadObjectId: oid,
    userPrincipalName: `${name}@contoso.com`,
    displayName: name,
    appRoles: ['SOC.Analyst'],
    defenderPermissions: ['ViewData'],
    deviceGroups: ['*'],
  }));
  fs.writeFileSync(
    seedPath,
    JSON.stringify({
      ...seed,
      users: [...seed.users, ...analysts],
      incidents: [incident(now)],
      alertsV2: [graphAlert(now)],
    }),
  );
  const config = testConfig({ DEMO_SEED: seedPath, ...options.env });
  const app = await startTestApp(config);
  return { app, bot: new BotClient(app.url, DEMO_BOT_ID), dataDir: config.dataDir, now };
}

/** The Graph incident of the world: one endpoint alert whose evidence names the seed's file, IP, domain and user. */
export const INCIDENT_ID = '9001';

function incident(now: number) {
  const at = new Date(now - 3_600_000).toISOString();
  return {
    id: INCIDENT_ID,
    displayName: 'Multi-stage incident on ws-fin-042',
    severity: 'high',
    status: 'active',
    createdDateTime: at,
    lastUpdateDateTime: at,
  };
}

function graphAlert(now: number) {
  const at = new Date(now - 3_600_000).toISOString();
  const evidence = (type: string, fields: Record<string, unknown>) => ({
    '@odata.type': `#microsoft.graph.security.${type}`,
    verdict: 'malicious',
    remediationStatus: 'none',
    ...fields,
  });
  return {
    id: ALERT_1,
    providerAlertId: ALERT_1,
    incidentId: INCIDENT_ID,
    status: 'new',
    severity: 'high',
    serviceSource: 'microsoftDefenderForEndpoint',
    detectionSource: 'antivirus',
    title: 'Suspicious PowerShell command line',
    createdDateTime: at,
    lastUpdateDateTime: at,
    evidence: [
      evidence('deviceEvidence', { mdeDeviceId: FIN_WS, deviceDnsName: 'ws-fin-042.corp.contoso.com' }),
      evidence('fileEvidence', { fileDetails: { fileName: 'evil.exe', sha1: FILE_SHA1, sha256: null } }),
      evidence('ipEvidence', { ipAddress: C2_IP }),
      evidence('urlEvidence', { url: `https://${C2_DOMAIN}/gate.php` }),
      evidence('userEvidence', { userAccount: { accountName: 'jonis', domainName: 'CONTOSO' } }),
    ],
  };
}

/** An Action.Execute somewhere in a card (ShowCards included), by verb and a predicate on its data. */
export function findExecute(
  card: unknown,
  verb: string,
  match: (data: Record<string, unknown>) => boolean = () => true,
): { title: string; verb: string; data: Record<string, unknown> } | undefined {
  if (Array.isArray(card)) {
    for (const item of card) {
      const found = findExecute(item, verb, match);
      if (found) return found;
    }
    return undefined;
  }
  if (card === null || typeof card !== 'object') return undefined;
  const node = card as Record<string, unknown>;
  if (node.type === 'Action.Execute' && node.verb === verb && match(node.data as Record<string, unknown>))
    return node as { title: string; verb: string; data: Record<string, unknown> };
  for (const value of Object.values(node)) {
    const found = findExecute(value, verb, match);
    if (found) return found;
  }
  return undefined;
}

/** Every `entity.investigate` button of a card, in order. */
export function investigateButtons(card: unknown): { title: string; data: Record<string, unknown> }[] {
  const out: { title: string; data: Record<string, unknown> }[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'Action.Execute' && record.verb === 'entity.investigate')
      out.push({ title: record.title as string, data: record.data as Record<string, unknown> });
    Object.values(record).forEach(walk);
  };
  walk(card);
  return out;
}

/** The FactSet facts of a card (title → value), where an enrichment card puts counts and dates. */
export function factsOf(card: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (node: unknown) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    const record = node as Record<string, unknown>;
    if (record.type === 'FactSet')
      for (const fact of record.facts as { title: string; value: string }[]) out[fact.title] = fact.value;
    Object.values(record).forEach(walk);
  };
  walk(card);
  return out;
}

/** The first card of a message reply. */
export function firstCard(reply: Record<string, unknown> | undefined): Card {
  const card = reply ? cardsOf(reply)[0] : undefined;
  if (!card) throw new Error(`no card in the reply: ${JSON.stringify(reply).slice(0, 300)}`);
  return card;
}
