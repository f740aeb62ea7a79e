import assert from 'node:assert/strict';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient } from '../support/botClient';
import { persona, personalChat } from '../support/demoTenant';
import { JWT_IN_TEXT } from '../support/rootHooks';
import { capturedLogLines, startTestApp, testConfig } from '../support/testApp';

describe('logs', function () {
  this.timeout(60_000);

  it('carry a correlation id per turn and never a token, assertion or secret, even at trace level', async () => {
    const app = await startTestApp(testConfig({ LOG_LEVEL: 'trace' }));
    const bot = new BotClient(app.url, DEMO_BOT_ID);
    const from = capturedLogLines.length;
    try {
      const adele = persona('Adele');
      await bot.say('show high alerts', adele, personalChat(adele));
      await bot.say('device ws-fin-042', adele, personalChat(adele));
      const lynne = persona('Lynne');
      await bot.say('show alerts', lynne, personalChat(lynne)); // Defender 403
      app.demo!.simulator.defender.faults.set({ errors: { rate: 1, status: 500 } });
      await bot.say('show alerts', adele, personalChat(adele)); // retries, then upstreamUnavailable
      app.demo!.simulator.defender.faults.clear();
      await bot.execute('alerts.page', { query: 'tampered' }, adele, personalChat(adele));
    } finally {
      await app.stop();
    }
    const lines = capturedLogLines.slice(from);
    // Not vacuous: the turns, the Defender calls and the token flows were all logged.
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.ok(entries.some((e) => e.msg === 'command received' && typeof e.correlationId === 'string'));
    assert.ok(entries.some((e) => e.msg === 'defender call'));
    assert.ok(entries.some((e) => e.msg === 'command failed' && e.code === 'forbidden'));
    for (const line of lines) {
      assert.ok(!JWT_IN_TEXT.test(line), `a token reached a log line: ${line.slice(0, 160)}`);
      assert.ok(
        !/Bearer\s+[A-Za-z0-9]/.test(line),
        `an Authorization header reached a log line: ${line.slice(0, 160)}`,
      );
    }
  });
});
