/*
 * The approvals part of `npm run bench`: how long after the final approval click Defender receives the action,
 * and whether 50 simultaneous clicks on one request still make exactly one Defender call. Driven through the
 * bot's real POST /api/messages (messages with expectReplies, Action.Execute invokes); Defender's own record of
 * each action (its creationDateTimeUtc, its comment naming the approval id) is the measure.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';
import type { HttpClient } from '../src/http/httpClient';
import type { SeedUser } from '../src/simulator/seed/seedSchema';

/** Where the bench talks to: the bot, the simulator, and the tenant's ids. */
export interface ApprovalBenchTarget {
  botUrl: string;
  simulatorUrl: string;
  tenantId: string;
  botClientId: string;
  botClientSecret: string;
  http: HttpClient;
}

/** Latency figures in milliseconds. */
export interface LatencySummary {
  samples: number;
  p50: number;
  p99: number;
  failures: number;
}

interface MachineActionRecord {
  id: string;
  machineId: string;
  requestorComment: string | null;
  creationDateTimeUtc: string;
  status: string;
}

function percentile(sorted: number[], p: number): number {
  return sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summarize(latencies: number[], failures: number): LatencySummary {
  const sorted = [...latencies].sort((a, b) => a - b);
  return { samples: sorted.length, p50: percentile(sorted, 50), p99: percentile(sorted, 99), failures };
}

/**
 * A Bot Connector that accepts everything (the approval cards the bot posts and updates) and answers at once, so
 * the figures are the bot's and Defender's, not a channel's.
 */
export async function startSinkConnector(): Promise<{ url: string; received: () => number; close: () => void }> {
  let received = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ id: randomUUID() }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/_connector`, received: () => received, close: () => server.close() };
}

/** A person's personal chat with the bot, as Teams addresses it. */
function personal(user: SeedUser, tenantId: string, serviceUrl: string) {
  return {
    channelId: 'msteams',
    serviceUrl,
    from: { id: `29:${user.aadObjectId}`, name: user.displayName, aadObjectId: user.aadObjectId },
    recipient: { id: 'bot', name: 'Defender SOC Bot' },
    conversation: { id: `a:${user.aadObjectId}`, conversationType: 'personal', tenantId },
    channelData: { tenant: { id: tenantId } },
  };
}

async function post(botUrl: string, activity: object): Promise<{ status: number; body: string }> {
  const response = await fetch(`${botUrl}/api/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id: randomUUID(), ...activity }),
  });
  return { status: response.status, body: await response.text() };
}

function execute(verb: string, data: object) {
  return {
    type: 'invoke',
    name: 'adaptiveCard/action',
    value: { action: { type: 'Action.Execute', verb, data } },
  };
}

/** Asks for an investigation package and confirms it with a reason; resolves with the approval id. */
async function requestPackage(
  target: ApprovalBenchTarget,
  requester: SeedUser,
  deviceId: string,
  serviceUrl: string,
): Promise<string> {
  const chat = personal(requester, target.tenantId, serviceUrl);
  const asked = await post(target.botUrl, {
    ...chat,
    type: 'message',
    text: `collect investigation package from ${deviceId}`,
    textFormat: 'plain',
    deliveryMode: 'expectReplies',
  });
  const confirm = /"verb":"action\.confirm","data":(\{[^}]*\})/.exec(asked.body)?.[1];
  if (!confirm) throw new Error(`no confirmation card for ${deviceId}: ${asked.body.slice(0, 300)}`);
  const confirmed = await post(target.botUrl, {
    ...chat,
    ...execute('action.confirm', { ...(JSON.parse(confirm) as object), reason: 'bench: forensics for incident 2301' }),
  });
  const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(confirmed.body)?.[1];
  if (!id) throw new Error(`no approval id for ${deviceId}: ${confirmed.body.slice(0, 300)}`);
  return id;
}

/** One approve click; resolves with the HTTP status the bot answered. */
async function approve(target: ApprovalBenchTarget, approver: SeedUser, approvalId: string, serviceUrl: string) {
  const response = await post(target.botUrl, {
    ...personal(approver, target.tenantId, serviceUrl),
    ...execute('approval.approve', { approvalId }),
  });
  return response.status;
}

async function defenderActions(target: ApprovalBenchTarget): Promise<MachineActionRecord[]> {
  const response = await target.http.request({
    method: 'GET',
    url: `${target.simulatorUrl}/_sim/state?tenantId=${target.tenantId}`,
  });
  const dump = JSON.parse(response.body) as { tenants: { id: string; machineActions: MachineActionRecord[] }[] };
  return dump.tenants.find((t) => t.id === target.tenantId)?.machineActions ?? [];
}

/** Waits until Defender holds an action for every approval id (the bot executes after answering the click). */
async function waitForActions(target: ApprovalBenchTarget, approvalIds: string[], timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const actions = await defenderActions(target);
    const missing = approvalIds.filter((id) => !actions.some((a) => (a.requestorComment ?? '').includes(id)));
    if (missing.length === 0 || Date.now() > deadline) return { actions, missing };
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Epoch milliseconds of a Defender timestamp (`…T12:00:00.1230000Z`). */
function epochMs(timestamp: string): number {
  return Date.parse(timestamp.replace(/(\.\d{3})\d*Z$/, '$1Z'));
}

/**
 * Time from the final approval click leaving the load generator to Defender creating the action, for `count`
 * requests approved one at a time.
 */
export async function approvalToDefenderCall(
  target: ApprovalBenchTarget,
  people: { requester: SeedUser; approver: SeedUser },
  deviceIds: string[],
  count: number,
  serviceUrl: string,
): Promise<LatencySummary> {
  const clicked = new Map<string, number>();
  let failures = 0;
  for (let i = 0; i < count; i++) {
    try {
      const id = await requestPackage(target, people.requester, deviceIds[i % deviceIds.length]!, serviceUrl);
      // The previous action on this device must have left Pending, or Defender refuses a duplicate.
      const t0 = Date.now();
      if ((await approve(target, people.approver, id, serviceUrl)) !== 200) failures++;
      else clicked.set(id, t0);
      await waitForActions(target, [id], 5_000);
    } catch (err) {
      if (failures++ === 0)
        process.stderr.write(`approval bench: ${err instanceof Error ? err.message : String(err)}\n`);
    }
  }
  const { actions } = await waitForActions(target, [...clicked.keys()]);
  const latencies: number[] = [];
  for (const [id, t0] of clicked) {
    const action = actions.find((a) => (a.requestorComment ?? '').includes(id));
    if (action) latencies.push(epochMs(action.creationDateTimeUtc) - t0);
    else failures++;
  }
  return summarize(latencies, failures);
}

/** The same measurement without the bot: a script holding the approver's Defender token calls Defender itself. */
export async function directDefenderCall(
  target: ApprovalBenchTarget,
  approver: SeedUser,
  deviceIds: string[],
  count: number,
): Promise<LatencySummary> {
  const minted = await target.http.request({
    method: 'POST',
    url: `${target.simulatorUrl}/_sim/entra/assertions`,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      tenantId: target.tenantId,
      aadObjectId: approver.aadObjectId,
      audience: target.botClientId,
    }),
  });
  const assertion = (JSON.parse(minted.body) as { token: string }).token;
  const exchanged = await target.http.request({
    method: 'POST',
    url: `${target.simulatorUrl}/${target.tenantId}/oauth2/v2.0/token`,
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({
      grant_type: 'urn:ietf:params:oauth:grant-type:jwt-bearer',
      client_id: target.botClientId,
      client_secret: target.botClientSecret,
      assertion,
      scope: 'https://api.securitycenter.microsoft.com/.default',
      requested_token_use: 'on_behalf_of',
    }).toString(),
  });
  const token = (JSON.parse(exchanged.body) as { access_token?: string }).access_token;
  if (!token) throw new Error(`the bench could not get a Defender token (HTTP ${exchanged.status})`);
  const latencies: number[] = [];
  let failures = 0;
  for (let i = 0; i < count; i++) {
    const marker = `bench-direct-${randomUUID()}`;
    const t0 = Date.now();
    const response = await target.http.request({
      method: 'POST',
      url: `${target.simulatorUrl}/api/machines/${deviceIds[i % deviceIds.length]}/collectInvestigationPackage`,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ Comment: marker }),
    });
    const created = response.status === 201 ? (JSON.parse(response.body) as MachineActionRecord) : undefined;
    if (created) latencies.push(epochMs(created.creationDateTimeUtc) - t0);
    else failures++;
    await waitForActions(target, [marker], 5_000);
  }
  return summarize(latencies, failures);
}

/**
 * `requests` approval requests, each clicked `clicks` times at once by several approvers; resolves with how many
 * Defender actions each request produced and what the clicks' HTTP statuses were.
 */
export async function concurrentClicks(
  target: ApprovalBenchTarget,
  people: { requester: SeedUser; approvers: SeedUser[] },
  deviceIds: string[],
  requests: number,
  clicks: number,
  serviceUrl: string,
): Promise<{ requests: number; clicks: number; actionsPerRequest: number[]; non200: number }> {
  const ids: string[] = [];
  for (let i = 0; i < requests; i++)
    ids.push(await requestPackage(target, people.requester, deviceIds[i % deviceIds.length]!, serviceUrl));
  let non200 = 0;
  await Promise.all(
    ids.flatMap((id) =>
      Array.from({ length: clicks }, async (_, c) => {
        const status = await approve(target, people.approvers[c % people.approvers.length]!, id, serviceUrl);
        if (status !== 200) non200++;
      }),
    ),
  );
  await waitForActions(target, ids);
  // Give a duplicate every chance to show up before counting.
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  const settled = await defenderActions(target);
  return {
    requests,
    clicks,
    actionsPerRequest: ids.map((id) => settled.filter((a) => (a.requestorComment ?? '').includes(id)).length),
    non200,
  };
}

/** What the approvals against a slow Defender came to. */
export interface SlowDefenderFigures {
  runs: number;
  /** Defender actions created per approval (goal: 1 each). */
  actionsPerApproval: number[];
  /** Requests whose card ended in the state Defender's own record shows. */
  trueState: number;
  failures: number;
}

/**
 * Approvals while Defender answers every action POST `lateMs` after it created the action (longer than the bot's
 * timeout): how many actions each approval created, and whether the request (what every card shows) ended in the
 * state Defender's own record has. Batches of distinct devices, so no batch meets an action still running.
 */
export async function slowDefenderApprovals(
  target: ApprovalBenchTarget,
  people: { requester: SeedUser; approver: SeedUser },
  deviceIds: string[],
  runs: number,
  lateMs: number,
  serviceUrl: string,
): Promise<SlowDefenderFigures> {
  const faults = (method: 'PUT' | 'DELETE', body?: object) =>
    target.http.request({
      method,
      url: `${target.simulatorUrl}/_sim/faults`,
      headers: { 'content-type': 'application/json' },
      ...(body ? { body: JSON.stringify(body) } : {}),
    });
  await faults('PUT', { lateAnswers: { ms: lateMs, pathPrefix: '/api/machines', method: 'POST' } });
  const ids: string[] = [];
  let failures = 0;
  try {
    for (let done = 0; done < runs;) {
      const batch = deviceIds.slice(0, Math.min(deviceIds.length, runs - done));
      const batchIds = await Promise.all(batch.map((d) => requestWhenFree(target, people.requester, d, serviceUrl)));
      const statuses = await Promise.all(batchIds.map((id) => approve(target, people.approver, id, serviceUrl)));
      failures += statuses.filter((s) => s !== 200).length;
      await Promise.all(batchIds.map((id) => finalStateOf(target, people.approver, id, serviceUrl)));
      ids.push(...batchIds);
      done += batch.length;
    }
  } finally {
    await faults('DELETE');
  }
  const actions = await defenderActions(target);
  let trueState = 0;
  for (const id of ids) {
    const ours = actions.filter((a) => (a.requestorComment ?? '').includes(id));
    const shown = await finalStateOf(target, people.approver, id, serviceUrl);
    if (ours.length === 1 && shown === ours[0]!.status) trueState++;
  }
  return {
    runs: ids.length,
    actionsPerApproval: ids.map((id) => actions.filter((a) => (a.requestorComment ?? '').includes(id)).length),
    trueState,
    failures,
  };
}

/** Requests a package once the device's previous request has ended (the bot refuses a second one meanwhile). */
async function requestWhenFree(
  target: ApprovalBenchTarget,
  requester: SeedUser,
  deviceId: string,
  serviceUrl: string,
): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await requestPackage(target, requester, deviceId, serviceUrl);
    } catch (err) {
      if (!(err instanceof Error) || !/already (in progress|requested)/.test(err.message)) throw err;
      if (attempt >= 150) {
        // Say where the request that holds the device stands, so a stuck one can be found.
        const holder = /Request (A-[A-Za-z0-9_-]{12})/.exec(err.message)?.[1];
        const view = holder
          ? await post(target.botUrl, {
              ...personal(requester, target.tenantId, serviceUrl),
              ...execute('approval.view', { approvalId: holder }),
            })
          : undefined;
        throw new Error(`${err.message.slice(0, 200)} — holder ${holder}: ${view?.body.slice(0, 1500)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
}

/** The request's final state as its card shows it (Defender's status words), waiting up to 30 s for one. */
async function finalStateOf(
  target: ApprovalBenchTarget,
  viewer: SeedUser,
  approvalId: string,
  serviceUrl: string,
): Promise<string | undefined> {
  const words: Record<string, string> = {
    Succeeded: 'Succeeded',
    Failed: 'Failed',
    'Timed out': 'TimeOut',
    Cancelled: 'Cancelled',
    'Interrupted — not confirmed': 'Interrupted',
  };
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const response = await post(target.botUrl, {
      ...personal(viewer, target.tenantId, serviceUrl),
      ...execute('approval.view', { approvalId }),
    });
    for (const [label, status] of Object.entries(words)) if (response.body.includes(`"${label}"`)) return status;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}
