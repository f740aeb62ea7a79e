import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient, cardsOf, visibleText } from '../support/botClient';
import { groupChat, persona, personalChat } from '../support/demoTenant';
import { startTestApp } from '../support/testApp';

/*
 * In a group chat or channel a command is answered with a "Show me" card that carries the command's text; each
 * viewer's click runs it again. A KQL query must reach Defender exactly as typed — a line break ends a `//`
 * comment, spaces inside a literal matter — so a query the card cannot carry unchanged is never offered there.
 */
describe('ad-hoc KQL in a group chat (POST /api/messages)', function () {
  this.timeout(60_000);
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    app = await startTestApp();
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app.stop());

  const actionsOf = (card: Record<string, unknown>) =>
    (card.actions as { title: string; verb: string; data: { command: string } }[] | undefined) ?? [];

  it('refuses a multi-line query on a Show me card (a comment would swallow its filters) and says where it runs', async () => {
    const query = "kql DeviceProcessEvents // finance box only\n| where DeviceName == 'ws-fin-042'\n| take 10";
    const [reply] = await bot.say(query, persona('Adele'), groupChat);
    assert.equal(cardsOf(reply!).flatMap(actionsOf).length, 0, 'no Show me button');
    assert.match(visibleText(reply), /personal chat/);
  });

  it('carries a one-line query with its spaces exactly (spaces inside a literal matter)', async () => {
    const query = "kql DeviceInfo | where DeviceName == 'a   b'";
    const [reply] = await bot.say(query, persona('Adele'), groupChat);
    assert.equal(cardsOf(reply!).flatMap(actionsOf)[0]?.data.command, query);
  });

  it('runs a multi-line query in a personal chat exactly as typed: a comment ends at its line', async () => {
    const adele = persona('Adele');
    const query = "kql DeviceInfo // every device?\n| where DeviceName startswith 'ws-fin-042'\n| project DeviceName";
    const [reply] = await bot.say(query, adele, personalChat(adele));
    assert.match(visibleText(reply), /\b1 row\b/);
    assert.match(visibleText(reply), /ws-fin-042/);
    assert.doesNotMatch(visibleText(reply), /ws-fin-043/);
  });

  it('offers a one-line query that survives the card unchanged', async () => {
    const query = 'kql DeviceInfo | take 5';
    const [reply] = await bot.say(query, persona('Adele'), groupChat);
    const showMe = cardsOf(reply!).flatMap(actionsOf)[0];
    assert.equal(showMe?.verb, 'command.view');
    assert.equal(showMe?.data.command, query);
  });
});
