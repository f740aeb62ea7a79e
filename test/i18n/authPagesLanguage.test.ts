import assert from 'node:assert/strict';
import { negotiateLocale } from '../../src/i18n/locale';
import { registerAuthPages } from '../../src/server/authPages';
import { createHttpServer, listen } from '../../src/server/httpServer';
import type { RunningHttpServer } from '../../src/server/httpServer';
import { capturingLogger } from '../auth/authTestSupport';
import type { CustomerWorld } from '../customers/customerWorld';
import {
  ADMIN,
  CUSTOMER_TENANT_ID,
  serveConsentPage,
  startCustomerWorld,
  visitConsentLink,
} from '../customers/customerWorld';

/*
 * The pages a person opens in a browser outside Teams (the sign-in window, an admin's consent redirect) speak the
 * browser's language: Accept-Language negotiated between English and Brazilian Portuguese, `<html lang>` set,
 * every outside word still escaped. Through the real HTTP server.
 */

describe('the language of the sign-in and consent pages', function () {
  this.timeout(30_000);

  describe('negotiateLocale', () => {
    it('takes the highest-weighted language the bot speaks, English when none', () => {
      assert.equal(negotiateLocale('pt-BR,pt;q=0.9,en-US;q=0.8'), 'pt-BR');
      assert.equal(negotiateLocale('pt-PT'), 'pt-BR');
      assert.equal(negotiateLocale('fr-FR, en;q=0.5, pt;q=0.4'), 'en');
      assert.equal(negotiateLocale('fr-FR, en;q=0.3, pt;q=0.4'), 'pt-BR');
      assert.equal(negotiateLocale('pt;q=0, en'), 'en', 'q=0 means "not this one"');
      assert.equal(negotiateLocale('de'), 'en');
      assert.equal(negotiateLocale(''), 'en');
      assert.equal(negotiateLocale(undefined), 'en');
    });
  });

  describe('the sign-in pages', () => {
    let server: RunningHttpServer;
    before(async () => {
      const log = capturingLogger();
      const app = createHttpServer({ messages: () => Promise.resolve(), logger: log.logger });
      registerAuthPages(
        app,
        {
          authorizeUrl: () => Promise.reject(new Error('unknown sign-in')),
          complete: () => Promise.reject(new Error('not completed')),
        },
        log.logger,
      );
      server = await listen(app, 0, '127.0.0.1');
    });
    after(async () => server.close());

    it('says an expired sign-in link in Portuguese to a Portuguese browser', async () => {
      const res = await fetch(`${server.url}/auth/start?id=gone`, { headers: { 'accept-language': 'pt-BR,pt;q=0.9' } });
      const body = await res.text();
      assert.equal(res.status, 400);
      assert.match(body, /^<!doctype html><html lang="pt-BR">/);
      assert.match(body, /<h1>Entrada expirada<\/h1><p>Este link de entrada não é mais válido/);
      assert.equal(res.headers.get('content-language'), 'pt-BR');
      assert.match(res.headers.get('vary') ?? '', /accept-language/i);
    });

    it('keeps English for an English or unknown browser', async () => {
      for (const header of ['en-US,en;q=0.9', 'ja-JP']) {
        const res = await fetch(`${server.url}/auth/end?error=access_denied&state=s`, {
          headers: { 'accept-language': header },
        });
        const body = await res.text();
        assert.match(body, /<html lang="en">/);
        assert.match(body, /<h1>Sign-in failed<\/h1><p>Microsoft Entra ID did not sign you in/);
      }
    });

    it('tells a failed completion in Portuguese and still hands Teams the failure', async () => {
      const res = await fetch(`${server.url}/auth/end?state=s&code=c`, { headers: { 'accept-language': 'pt' } });
      const body = await res.text();
      assert.match(body, /Não foi possível concluir esta entrada/);
      assert.match(body, /data-error="not_completed"/);
    });
  });

  describe('the consent page', () => {
    let world: CustomerWorld;
    let server: RunningHttpServer;

    beforeEach(async () => {
      world = await startCustomerWorld();
      server = await serveConsentPage(world, capturingLogger().logger);
    });
    afterEach(async () => {
      await server.close();
      await world.close();
    });

    it("says a customer is connected in Portuguese, the customer's name escaped", async () => {
      const started = await world.onboarding.start({
        name: 'Fabrikam & Co',
        tenant: CUSTOMER_TENANT_ID,
        requestedBy: ADMIN,
        now: new Date(),
      });
      const redirect = await visitConsentLink(world, started.consentUrl);
      const res = await fetch(redirect, { headers: { 'accept-language': 'pt-BR' } });
      const body = await res.text();
      assert.equal(res.status, 200);
      assert.match(body, /<html lang="pt-BR">/);
      assert.match(body, /<h1>Fabrikam &#38; Co está conectado<\/h1>/);
      assert.match(body, /volte ao Teams, `clientes` mostra\./);
    });

    it("refuses an unknown link in Portuguese, and an organisation's own consent, with Entra's code escaped", async () => {
      const forged = await fetch(
        `${server.url}/auth/consent?tenant=${CUSTOMER_TENANT_ID}&admin_consent=True&state=forged-state-0123456789`,
        { headers: { 'accept-language': 'pt-BR' } },
      );
      assert.equal(forged.status, 400);
      assert.match(await forged.text(), /Link de consentimento inválido[\s\S]*desconhecido, expirou ou já foi usado/);
      const own = await fetch(`${server.url}/auth/consent?error=%3Cb%3Edenied`, {
        headers: { 'accept-language': 'pt-BR' },
      });
      const body = await own.text();
      assert.match(body, /Consentimento não concedido[\s\S]*não foi concedido \(&#60;b&#62;denied\)/);
    });
  });
});
