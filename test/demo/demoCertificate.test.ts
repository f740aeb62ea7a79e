import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { RunningApp } from '../../src/app';
import type { Config } from '../../src/config/config';
import { DEMO_APPLICATION_PERMISSIONS, DEMO_BOT_ID, DEMO_DELEGATED_PERMISSIONS } from '../../src/demo/demoConstants';
import { createClientCredentialCertificate } from '../../src/simulator/certs';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { persona, personalChat } from '../support/demoTenant';
import { capturedLogLines, startTestApp, testConfig } from '../support/testApp';

describe('demo mode with a certificate credential (DEMO_CREDENTIAL=certificate)', function () {
  this.timeout(60_000);
  let config: Config;
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    config = testConfig({ DEMO_CREDENTIAL: 'certificate' });
    app = await startTestApp(config);
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app.stop());

  it('keeps the key and certificate in one owner-only PEM file under DATA_DIR', () => {
    const file = path.join(config.dataDir, 'certs', 'bot-credential.pem');
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const pem = fs.readFileSync(file, 'utf8');
    assert.match(pem, /BEGIN PRIVATE KEY/);
    assert.ok(new X509Certificate(pem).subject.includes('Defender SOC Bot (demo)'));
  });

  it('answers "show high alerts" through on-behalf-of tokens the certificate obtained', async () => {
    app.demo!.simulator.entra.resetStats();
    const user = persona('Alex');
    const [reply] = await bot.say('show high alerts', user, personalChat(user));
    const card = cardsOf(reply!)[0]!;
    assert.match(visibleText(card), /\d+ alerts?/);
    // The demo bot is registered with the certificate only: no secret could have obtained this token.
    assert.ok((app.demo!.simulator.entra.stats().byGrant.on_behalf_of ?? 0) >= 1);
  });

  it("answers 'Bot misconfigured' when Entra no longer knows the bot's certificate (AADSTS700027)", async () => {
    const rotated = createClientCredentialCertificate(new Date(), 'rotated elsewhere');
    app.demo!.simulator.entra.registerClient({
      clientId: DEMO_BOT_ID,
      certificates: [rotated.certPem],
      displayName: 'Defender SOC Bot (demo)',
      delegatedPermissions: DEMO_DELEGATED_PERMISSIONS,
      applicationPermissions: DEMO_APPLICATION_PERMISSIONS,
      homeTenantId: app.demo!.seed.tenant.id,
      multiTenant: false,
    });
    // Someone whose token msal has not cached yet, so the bot must authenticate again.
    const user = persona('Megan');
    const linesBefore = capturedLogLines.length;
    const [reply] = await bot.say('show high alerts', user, personalChat(user));
    const text = visibleText(reply);
    assert.match(text, /Bot misconfigured/);
    assert.match(text, /credentials were refused by Microsoft Entra ID/);
    assert.ok(capturedLogLines.slice(linesBefore).some((line) => line.includes('AADSTS700027')));
  });
});
