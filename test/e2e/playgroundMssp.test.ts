import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { playgroundCliPath } from '../../src/demo/playground';
import { loadMsspSeeds, MSSP_TENANTS } from '../../src/simulator/seed/msspSeeds';
import { visibleText } from '../support/botClient';
import type { PlaygroundConfig } from '../support/playgroundDriver';
import { freePort, PlaygroundDriver } from '../support/playgroundDriver';
import { requireTool } from '../support/requiredTool';
import { startTestApp, testConfig } from '../support/testApp';

/**
 * The MSSP demo (DEMO_SCENARIO=mssp, `npm run start:mssp`) through the Agents Playground: Woodgrove Security's SOC
 * team, whose General channel the demo binds to Contoso and Fabrikam after onboarding both by admin consent.
 */
describe('Agents Playground end to end: the MSSP demo', function () {
  this.timeout(120_000);
  const seeds = loadMsspSeeds();
  let app: RunningApp;
  let driver: PlaygroundDriver;
  let config: PlaygroundConfig;

  before(async function () {
    requireTool(this, {
      present: playgroundCliPath() !== undefined,
      what: 'the Agents Playground (@microsoft/m365agentsplayground)',
      install: 'npm ci installs it with the dev dependencies',
    });
    const port = await freePort();
    app = await startTestApp(testConfig({ PLAYGROUND: 'on', PLAYGROUND_PORT: String(port), DEMO_SCENARIO: 'mssp' }));
    driver = new PlaygroundDriver(app.playground!.url);
    await driver.connect();
    config = await driver.config();
  });
  after(async () => {
    driver?.close();
    await app?.stop();
  });

  /** A persona's own view of a command in the group chat (bound to Contoso): they type it, then click Show me. */
  async function viewAs(firstName: string, command: string): Promise<string> {
    const channel = config.groupChats[0]!.id;
    const user = [config.currentUser, ...config.users].find((u) => u.name.startsWith(firstName))!;
    const seen = driver.botMessages(channel, config.bot.id).length;
    await driver.sayAs({ id: channel, conversationType: 'groupChat' }, user, command, config);
    const posted = await driver.nextBotMessage(channel, config.bot.id, seen);
    const showMe = (posted.attachments[0]!.content.actions as { title: string; verb: string; data: unknown }[]).find(
      (a) => a.title === 'Show me',
    )!;
    const view = await driver.execute(channel, user.id, posted.messageId, showMe.verb, showMe.data);
    return typeof view.value === 'string' ? view.value : visibleText(view.value);
  }

  it('is the provider’s Teams: the Playground runs in Woodgrove Security’s tenant', () => {
    assert.equal(config.tenantId, MSSP_TENANTS.provider);
  });

  it('answers in the Contoso war room for Contoso, naming it, and refuses Fabrikam there', async () => {
    const contoso = await viewAs('Bruno', 'show high alerts');
    assert.match(contoso, /^Customer: Contoso/);
    assert.ok(seeds.contoso.machines.some((m) => contoso.includes(m.computerDnsName.split('.')[0]!)));
    assert.match(await viewAs('Bruno', 'show high alerts for fabrikam'), /Fabrikam is not served in this conversation/);
  });

  it('shows Carla Contoso as its read-only guest, and tells Elena she has no account in Contoso', async () => {
    assert.match(await viewAs('Carla', 'show high alerts'), /^Customer: Contoso/);
    assert.match(await viewAs('Elena', 'show high alerts'), /no account in Contoso/);
  });
});
