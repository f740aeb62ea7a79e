import assert from 'node:assert/strict';
import type { RunningHttpServer } from '../../src/server/httpServer';
import { capturingLogger } from '../auth/authTestSupport';
import type { CustomerWorld } from './customerWorld';
import { ADMIN, CUSTOMER_TENANT_ID, serveConsentPage, startCustomerWorld, visitConsentLink } from './customerWorld';

describe('/auth/consent through the real HTTP server', function () {
  this.timeout(30_000);
  let world: CustomerWorld;
  let server: RunningHttpServer;
  const log = capturingLogger();

  beforeEach(async () => {
    world = await startCustomerWorld();
    server = await serveConsentPage(world, log.logger);
  });
  afterEach(async () => {
    await server.close();
    await world.close();
  });

  function get(url: string) {
    return world.http.request({ method: 'GET', url });
  }

  async function startOnboarding() {
    const started = await world.onboarding.start({
      name: 'Fabrikam & Co',
      tenant: CUSTOMER_TENANT_ID,
      requestedBy: ADMIN,
      now: new Date(),
    });
    return { ...started, state: new URL(started.consentUrl).searchParams.get('state') ?? '' };
  }

  it("connects the customer when Entra redirects the customer's admin back, once", async () => {
    const { consentUrl, state } = await startOnboarding();
    const redirect = await visitConsentLink(world, consentUrl);
    assert.equal(redirect.origin, server.url);

    const page = await get(redirect.toString());
    assert.equal(page.status, 200);
    assert.match(page.headers['content-type'] ?? '', /text\/html/);
    assert.match(page.body, /Fabrikam &#38; Co is connected: go back to Teams, `tenants` shows it\./);
    assert.equal(page.headers['referrer-policy'], 'no-referrer');
    assert.equal((await world.registry.activeCustomer(CUSTOMER_TENANT_ID))?.name, 'Fabrikam & Co');

    const replay = await get(redirect.toString());
    assert.equal(replay.status, 400);
    assert.match(replay.body, /unknown, expired or already used/);
    assert.ok(!log.lines.some((line) => line.includes(state)), 'the state is never logged');
  });

  it('answers a forged state with 400 and records nothing', async () => {
    await startOnboarding();
    const forged = await get(
      `${server.url}/auth/consent?tenant=${CUSTOMER_TENANT_ID}&admin_consent=True&state=forged-state-0123456789`,
    );
    assert.equal(forged.status, 400);
    assert.match(forged.body, /Consent link not valid/);
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.status, 'pendingConsent');
  });

  it('treats a redirect without a state as an organisation consenting for itself: no customer changes', async () => {
    await startOnboarding();
    const own = await get(`${server.url}/auth/consent?tenant=${CUSTOMER_TENANT_ID}&admin_consent=True`);
    assert.equal(own.status, 200);
    assert.match(own.body, /Consent granted/);
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.status, 'pendingConsent', 'not an onboarding');
    assert.equal(world.audit.ofType('customer.onboarded').length, 0);
  });

  it("shows Entra's refusal by its code only, escaped, and records consentFailed", async () => {
    const { state } = await startOnboarding();
    const description = encodeURIComponent('<img src=x onerror=alert(1)> AADSTS65004');
    const page = await get(
      `${server.url}/auth/consent?error=access_denied&error_description=${description}&state=${encodeURIComponent(state)}`,
    );
    assert.equal(page.status, 400);
    assert.match(page.body, /admin consent was not granted \(access_denied\)/);
    assert.ok(!page.body.includes('<img'), 'nothing from the query reaches the page unescaped');
    assert.ok(!page.body.includes('AADSTS65004'), "Entra's description is not shown");
    assert.equal((await world.registry.get(CUSTOMER_TENANT_ID))?.status, 'consentFailed');
  });
});
