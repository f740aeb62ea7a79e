import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient, visibleText } from '../support/botClient';
import { persona, personalChat } from '../support/demoTenant';
import { capturedLogLines, startTestApp } from '../support/testApp';

type LogLine = { level: string; msg: string; correlationId?: string; err?: { stack?: string } };

/** The lines logged since `mark` (an index into the shared capture), parsed. */
function linesSince(mark: number): LogLine[] {
  return capturedLogLines.slice(mark).map((line) => JSON.parse(line) as LogLine);
}

/** Lines at warn or above, or carrying a stack: what a person's mistake must never produce. */
function loud(lines: LogLine[]): LogLine[] {
  return lines.filter(
    (l) => l.level === 'warn' || l.level === 'error' || l.level === 'fatal' || /"stack"/.test(JSON.stringify(l)),
  );
}

describe('errors that help: what a person’s mistake writes to the log (demo tenant)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    app = await startTestApp();
    bot = new BotClient(app.url, DEMO_BOT_ID);
    // Settle the start-up (first polls, tokens) so only the commands' own lines are looked at.
    await app.idle();
  });
  after(async () => app?.stop());

  it('an unknown command logs at info, no warning, no stack', async () => {
    const user = persona('Megan');
    const mark = capturedLogLines.length;
    const [reply] = await bot.say('frobnicate the widgets', user, personalChat(user));
    assert.ok(reply, 'the bot answers');
    const lines = linesSince(mark);
    assert.ok(lines.some((l) => l.msg === 'command received' && l.level === 'info'));
    assert.deepEqual(loud(lines), []);
  });

  it('a request Defender forbids (403) is a mistake, not a fault: info with its code and correlation id, no stack', async () => {
    const user = persona('Lynne');
    const mark = capturedLogLines.length;
    const [reply] = await bot.say('show high alerts', user, personalChat(user));
    assert.match(visibleText(reply), /You don't have permission to view alerts in Microsoft Defender/);
    const lines = linesSince(mark);
    const failed = lines.find((l) => l.msg === 'command failed');
    assert.ok(failed, 'the refusal is logged');
    assert.equal(failed.level, 'info');
    assert.equal((failed as { code?: string }).code, 'forbidden');
    assert.ok(failed.correlationId, 'with the turn’s correlation id');
    assert.deepEqual(loud(lines), []);
  });
});
