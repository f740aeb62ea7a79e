import assert from 'node:assert/strict';
import type { DefenderAuth } from '../../src/defender/defenderClient';
import { isAppError } from '../../src/errors';
import {
  addIncidentCommentConfirmed,
  HttpGraphSecurityClient,
  MAX_INCIDENT_COMMENT_LENGTH,
  updateIncidentConfirmed,
} from '../../src/graph/graphSecurityClient';
import type { HttpRequest } from '../../src/http/httpClient';
import { HttpClient } from '../../src/http/httpClient';
import { compare } from '../../src/http/odata';
import { SlidingWindowLimiter } from '../../src/http/slidingWindowLimiter';
import { createLogger } from '../../src/logging/logger';
import type { SimulatorServer } from '../../src/simulator/simulatorServer';
import { startSimulatorWithUser } from '../defender/simulatorWithUser';
import { demoSeed } from '../support/demoTenant';

/** An HTTPS client that records every request it sends (method and path), to count Graph calls. */
class RecordingHttpClient extends HttpClient {
  readonly sent: { method: string; path: string }[] = [];
  override request(req: HttpRequest) {
    const url = new URL(req.url);
    if (url.pathname.startsWith('/v1.0/')) this.sent.push({ method: req.method, path: url.pathname });
    return super.request(req);
  }
}

describe('HttpGraphSecurityClient against the Graph simulator (real HTTPS, on-behalf-of Graph tokens)', function () {
  this.timeout(30_000);
  let simulator: SimulatorServer;
  let graphAuth: DefenderAuth;
  let mdeAuth: DefenderAuth;
  let close: () => Promise<void>;
  let recording: RecordingHttpClient;
  let caPem: string;

  const client = (timeoutMs = 2_000) =>
    new HttpGraphSecurityClient({
      baseUrl: `${simulator.url}/v1.0`,
      http: recording,
      limiter: new SlidingWindowLimiter({ windows: [{ limit: 1000, windowMs: 60_000 }], maxWaitMs: 0 }),
      logger: createLogger({ level: 'silent' }),
      timeoutMs,
      maxRetries: 2,
      maxRetryAfterMs: 2_000,
      backoffBaseMs: 10,
    });

  before(async () => {
    ({ simulator, graphAuth, auth: mdeAuth, close, caCertPem: caPem } = await startSimulatorWithUser());
  });
  after(() => close());
  beforeEach(() => {
    simulator.defender.faults.clear();
    recording?.close();
    recording = new RecordingHttpClient({ extraCaPem: [caPem] });
  });
  afterEach(() => recording.close());

  it('reads an incident with its alerts in one call ($expand=alerts), every source included', async () => {
    const incident = await client().getIncident(graphAuth, '2301');
    assert.equal(recording.sent.length, 1);
    const expected = demoSeed.alertsV2.filter((a) => a.incidentId === '2301');
    assert.equal(incident.alerts?.length, expected.length);
    const sources = new Set(incident.alerts?.map((a) => a.serviceSource));
    assert.ok(sources.has('microsoftDefenderForIdentity') && sources.has('microsoftDefenderForOffice365'));
    const devices = incident.alerts?.flatMap((a) => a.evidence.filter((e) => e.mdeDeviceId !== null)) ?? [];
    assert.ok(devices.length > 0, 'device evidence carries the MDE machine id');
  });

  it('lists incidents across @odata.nextLink pages up to the maximum, with an escaped filter', async () => {
    const active = await client().listIncidents(graphAuth, { filter: compare('status', 'eq', 'active'), max: 500 });
    const expected = demoSeed.incidents.filter((i) => i.status === 'active').length;
    assert.equal(active.items.length, expected);
    assert.ok(active.items.every((i) => i.status === 'active'));
    const injected = await client().listIncidents(graphAuth, {
      filter: compare('assignedTo', 'eq', "x' or status eq 'active"),
      max: 50,
    });
    assert.equal(injected.items.length, 0);
  });

  it('refuses a Defender for Endpoint token (another audience): 401, mapped to unauthorized', async () => {
    await assert.rejects(client().getIncident(mdeAuth, '2301'), (err) => isAppError(err, 'unauthorized'));
  });

  it('an unknown incident and a malformed id are notFound; the malformed one costs no call', async () => {
    await assert.rejects(client().getIncident(graphAuth, '999999'), (err) => isAppError(err, 'notFound'));
    const before = recording.sent.length;
    await assert.rejects(client().getIncident(graphAuth, '../alerts_v2'), (err) => isAppError(err, 'notFound'));
    assert.equal(recording.sent.length, before);
  });

  it('honours Retry-After on a 429 and then answers', async () => {
    simulator.defender.faults.set({ throttle: { next: 1, retryAfterSeconds: 1, pathPrefix: '/v1.0/security' } });
    const incident = await client().getIncident(graphAuth, '2301');
    assert.equal(incident.id, '2301');
    assert.equal(recording.sent.length, 2);
  });

  it('an illegal classification/determination pair is Graph’s 400 (badRequest), nothing changed', async () => {
    await assert.rejects(
      client().updateIncident(graphAuth, '2302', { classification: 'falsePositive', determination: 'malware' }),
      (err) => isAppError(err, 'badRequest'),
    );
    const incident = await client().getIncident(graphAuth, '2302');
    assert.notEqual(incident.determination, 'malware');
  });

  it('a PATCH answered after the client timeout is not sent again: read back and confirmed', async () => {
    simulator.defender.faults.set({
      lateAnswers: { ms: 1_500, next: 1, method: 'PATCH', pathPrefix: '/v1.0/security' },
    });
    const updated = await updateIncidentConfirmed(client(500), graphAuth, '2303', { status: 'inProgress' });
    assert.equal(updated.status, 'inProgress');
    assert.deepEqual(
      recording.sent.map((r) => r.method),
      ['PATCH', 'GET'],
      'one PATCH, then one read to reconcile',
    );
  });

  it('a comment whose answer was lost is found by reading, never posted twice', async () => {
    simulator.defender.faults.set({ resetAfterWrite: { next: 1, method: 'POST', pathPrefix: '/v1.0/security' } });
    const text = `Checked by the SOC bot test ${Date.now()}`;
    const comments = await addIncidentCommentConfirmed(client(), graphAuth, '2304', text);
    assert.equal(comments.filter((c) => c.comment === text).length, 1);
    assert.equal(recording.sent.filter((r) => r.method === 'POST').length, 1);
  });

  it('an ambiguous comment is never confirmed by an older comment with the same words', async () => {
    await client().addIncidentComment(graphAuth, '2305', 'Investigating');
    const before = (await client().getIncident(graphAuth, '2305')).comments;
    // Graph answers 503 without adding anything: ambiguous for a write, and nothing new is there to find.
    simulator.defender.faults.set({
      errors: { rate: 1, status: 503, pathPrefix: '/v1.0/security/incidents/2305/comments' },
    });
    try {
      await assert.rejects(
        addIncidentCommentConfirmed(client(), graphAuth, '2305', 'Investigating', { before }),
        (err) => isAppError(err) && err.details.uncertain === true,
      );
      // Without the comments read before, only one created since about when it was sent counts.
      await assert.rejects(
        addIncidentCommentConfirmed(client(), graphAuth, '2305', 'Investigating', { now: () => Date.now() + 120_000 }),
        (err) => isAppError(err) && err.details.uncertain === true,
      );
    } finally {
      simulator.defender.faults.clear();
    }
    const after = (await client().getIncident(graphAuth, '2305')).comments;
    assert.equal(after.filter((c) => c.comment === 'Investigating').length, 1, 'posted once, never again');
  });

  it('an over-long comment is refused before any request; the application identity never writes', async () => {
    await assert.rejects(
      client().addIncidentComment(graphAuth, '2301', 'x'.repeat(MAX_INCIDENT_COMMENT_LENGTH + 1)),
      (err) => isAppError(err, 'invalidInput'),
    );
    const appAuth: DefenderAuth = { ...graphAuth, kind: 'application' };
    await assert.rejects(client().updateIncident(appAuth, '2301', { status: 'active' }), (err) =>
      isAppError(err, 'forbidden'),
    );
    assert.equal(recording.sent.length, 0);
  });
});
