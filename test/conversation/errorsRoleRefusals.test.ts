import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { readAuditFile } from '../support/auditFile';
import { BotClient, visibleText } from '../support/botClient';
import { groupChat, persona, personalChat } from '../support/demoTenant';
import { startTestApp, testConfig } from '../support/testApp';

type Entry = { type: string; actor: { userPrincipalName?: string }; detail?: { reason?: string; verb?: string } };

/*
 * A request the bot refuses for want of one of its own roles is audited (`approval.refused`, reason
 * `missingRole`), whichever command it was: read back from DATA_DIR/audit/audit.jsonl, as a SIEM would.
 */
describe('errors that help: every role refusal is audited (demo tenant)', function () {
  this.timeout(60_000);
  const config = testConfig();
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    app = await startTestApp(config);
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app?.stop());

  /** Runs a command as the person's own view (the "Show me" path of a shared conversation), returns its text. */
  async function run(command: string, name: string, shared: boolean): Promise<string> {
    const user = persona(name);
    const response = await bot.execute('command.view', { command }, user, shared ? groupChat : personalChat(user));
    return typeof response.value === 'string' ? response.value : visibleText(response.value);
  }

  function refusalsOf(name: string, verb: string): Entry[] {
    const upn = persona(name).userPrincipalName;
    return readAuditFile<Entry>(config.dataDir).filter(
      (e) =>
        e.type === 'approval.refused' &&
        e.actor.userPrincipalName === upn &&
        e.detail?.reason === 'missingRole' &&
        e.detail.verb === verb,
    );
  }

  const cases: [string, string, boolean, string, RegExp][] = [
    [
      'subscribe to high alerts',
      'Megan',
      true,
      'notifications.subscribe',
      /Only people with the SOC.Admin or SOC.Approver role/,
    ],
    [
      'unsubscribe all',
      'Lynne',
      true,
      'notifications.unsubscribe',
      /Only people with the SOC.Admin or SOC.Approver role/,
    ],
    ['audit', 'Megan', false, 'audit.show', /approvers and admins/],
    ['use this channel for approvals', 'Isaiah', true, 'approvals.useChannel', /needs the SOC.Admin role/],
  ];
  for (const [command, name, shared, verb, answer] of cases) {
    it(`"${command}" by ${name} is refused and audited (${verb})`, async () => {
      assert.match(await run(command, name, shared), answer);
      assert.equal(refusalsOf(name, verb).length, 1);
    });
  }
});
