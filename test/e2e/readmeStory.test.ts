import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { RunningApp } from '../../src/app';
import { playgroundCliPath } from '../../src/demo/playground';
import { visibleText } from '../support/botClient';
import type { PlaygroundConfig, PlaygroundMessage } from '../support/playgroundDriver';
import { freePort, PlaygroundDriver } from '../support/playgroundDriver';
import { requireTool } from '../support/requiredTool';
import { startTestApp, testConfig } from '../support/testApp';

/** The README's Quick start section, as a newcomer reads it. */
function quickStart(): string {
  const readme = fs.readFileSync(path.join(process.cwd(), 'README.md'), 'utf8');
  const start = readme.indexOf('## Quick start');
  return readme.slice(start, readme.indexOf('\n## ', start + 1));
}

/** The commands a paragraph of the Quick start tells a newcomer to type (its `backticked` words that are commands). */
function commandsIn(paragraphStart: string): string[] {
  const text = quickStart();
  const at = text.indexOf(paragraphStart);
  assert.ok(at >= 0, `the README's Quick start has "${paragraphStart}"`);
  const paragraph = text.slice(at, text.indexOf('\n\n', at));
  return [...paragraph.matchAll(/`([^`]+)`/g)]
    .map((m) => m[1]!)
    .filter((c) => !/npm |PLAYGROUND_USER|POST |\.json|^src\//.test(c));
}

/** What no step of the README may answer. */
const DEAD_ENDS = /Something went wrong|I didn't understand|ref none|ref unknown/;

/**
 * The README's Quick start, executed: every command it tells a newcomer to type, as the persona it names, through
 * the Agents Playground, must answer something useful (no dead end), and its approval story — a responder asks, a
 * restart, an approver approves — must show what the README says at each step.
 */
describe('the README’s quick start and approval story, through the Agents Playground', function () {
  this.timeout(180_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-readme-'));
  let app: RunningApp | undefined;
  let driver: PlaygroundDriver | undefined;
  let config: PlaygroundConfig;

  before(function () {
    requireTool(this, {
      present: playgroundCliPath() !== undefined,
      what: 'the Agents Playground (@microsoft/m365agentsplayground)',
      install: 'npm ci installs it with the dev dependencies',
    });
  });
  afterEach(async () => {
    driver?.close();
    await app?.stop();
    driver = undefined;
    app = undefined;
  });

  /** `PLAYGROUND_USER=<who> npm start`, on the same data folder each time (the README's restarts). */
  async function startAs(who: string | undefined): Promise<void> {
    const port = await freePort();
    const settings = testConfig({
      PLAYGROUND: 'on',
      PLAYGROUND_PORT: String(port),
      ...(who ? { PLAYGROUND_USER: who } : {}),
    });
    app = await startTestApp(
      { ...settings, dataDir },
      {
        simulatorTimings: { pendingMs: 300, inProgressMs: 300, timeoutMs: 5_000 },
        actionPollIntervalMs: 200,
      },
    );
    driver = new PlaygroundDriver(app.playground!.url);
    await driver.connect();
    config = await driver.config();
  }

  /** Types in the personal chat as the Playground's current user; the bot's answer. */
  async function type(text: string): Promise<PlaygroundMessage> {
    const chat = config.personalChat.id;
    const seen = driver!.botMessages(chat, config.bot.id).length;
    await driver!.say(chat, config.currentUser.id, text);
    return driver!.nextBotMessage(chat, config.bot.id, seen);
  }

  function shown(message: PlaygroundMessage): string {
    return `${message.text ?? ''}\n${visibleText(message.attachments)}`;
  }

  it('answers every command of the Quick start as Alex, without a dead end', async () => {
    await startAs(undefined);
    const commands = [
      'show high alerts',
      ...commandsIn('Things to try:'),
      ...commandsIn('Incidents (Defender XDR'),
    ].filter((c) => !c.startsWith('resolve ') && !c.startsWith('subscribe '));
    assert.ok(commands.length >= 6, `commands found: ${commands.join(' | ')}`);
    for (const command of commands) {
      const answer = shown(await type(command));
      assert.doesNotMatch(answer, DEAD_ENDS, `"${command}" → ${answer.slice(0, 200)}`);
    }
    assert.match(
      shown(await type('device web-01')),
      /2 devices have this name/,
      'the README: two devices share the name',
    );
    assert.match(shown(await type('device ws-fin-04')), /No device with this name/, 'the README: close names');
    assert.match(shown(await type('device ws-eng-017')), /Isolated/, 'the README: ws-eng-017 is isolated');
    assert.match(shown(await type('incident 2301')), /ws-fin-042[\s\S]*ws-fin-043|ws-fin-043[\s\S]*ws-fin-042/);
  });

  it('runs the approval story as the README tells it: Megan asks and may not approve; after a restart, Adele approves and the card follows Defender to Succeeded', async () => {
    await startAs('megan');
    assert.match(config.currentUser.name, /Megan/);
    const command = 'isolate device ws-fin-043 because lateral movement, incident 2301';
    assert.ok(quickStart().includes(command), 'the README tells this command');
    const confirmation = await type(command);
    const confirm = /"verb":"action\.confirm","data":(\{[^}]*\})/.exec(JSON.stringify(confirmation.attachments))?.[1];
    assert.ok(confirm, shown(confirmation));
    const chat = config.personalChat.id;
    const general = config.teams[0]!.id;
    const seenGeneral = driver!.botMessages(general, config.bot.id).length;
    const requested = await driver!.execute(chat, config.currentUser.id, confirmation.messageId, 'action.confirm', {
      ...(JSON.parse(confirm) as object),
      reason: 'lateral movement, incident 2301',
    });
    assert.match(visibleText(requested.value), /Awaiting approval/);
    const approvalId = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested.value))![1]!;
    // "The approval card appears in the chat and in the General channel of the team."
    const inGeneral = await driver!.nextBotMessage(general, config.bot.id, seenGeneral);
    assert.match(JSON.stringify(inGeneral.attachments), new RegExp(approvalId));
    // "clicking Approve as Megan is refused (no self-approval)"
    const self = await driver!.execute(chat, config.currentUser.id, confirmation.messageId, 'approval.approve', {
      approvalId,
    });
    assert.match(String(self.value), /can't approve your own request/);
    driver!.close();
    await app!.stop();
    app = undefined;

    // "Then stop and start as an approver (PLAYGROUND_USER=adele npm start; requests live on in .data/)"
    await startAs('adele');
    assert.match(config.currentUser.name, /Adele/);
    const approvals = await type('approvals');
    assert.match(shown(approvals), new RegExp(approvalId), '"approvals" lists the request');
    const open = await driver!.execute(chat, config.currentUser.id, approvals.messageId, 'approval.view', {
      approvalId,
    });
    assert.match(JSON.stringify(open.value), /"verb":"approval\.approve"/);
    const approved = await driver!.execute(chat, config.currentUser.id, approvals.messageId, 'approval.approve', {
      approvalId,
      comment: 'Agreed',
    });
    assert.doesNotMatch(shown({ ...approvals, text: String(approved.value), attachments: [] }), DEAD_ENDS);
    // "the card follows the action … to Succeeded, and audit lists every step"
    for (let i = 0; i < 100; i++) {
      await app!.trackNow();
      const view = await driver!.execute(chat, config.currentUser.id, approvals.messageId, 'approval.view', {
        approvalId,
      });
      if (/Succeeded/.test(visibleText(view.value))) break;
      assert.ok(i < 99, 'the request reached Succeeded');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // No step ends in an error message anywhere: the cards of the earlier Playground session are gone after the
    // restart, and updating them must not surface as "Something went wrong" (the first complaint).
    await app!.idle();
    for (const conversation of [chat, general, ...config.groupChats.map((g) => g.id)])
      for (const message of driver!.botMessages(conversation, config.bot.id))
        assert.doesNotMatch(shown(message), DEAD_ENDS, `a message in ${conversation}`);
    const audit = shown(await type('audit'));
    for (const step of ['approval.requested', 'approval.approved', 'action.submitted'])
      assert.match(audit, new RegExp(step.replace('.', '\\.')), `audit shows ${step}`);
    assert.doesNotMatch(audit, DEAD_ENDS);
  });
});
