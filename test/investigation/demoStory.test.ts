import assert from 'node:assert/strict';
import type { RunningApp } from '../../src/app';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient } from '../support/botClient';
import { demoSeed, persona, personalChat } from '../support/demoTenant';
import { startTestApp } from '../support/testApp';
import { answerText, factsOf, firstCard, investigateButtons } from './investigationWorld';

/*
 * The demo tenant's story, as "Investigate" tells it: the DLL found on ws-fin-042 also ran on ws-fin-043 and on the
 * domain controller. The oracle is the seed's own events (every event naming the file's SHA-1), not the simulator.
 */

const DLL_ALERT = demoSeed.alerts.find((a) => a.title.startsWith('Malicious file found by automated invest'))!;
const DLL_SHA1 = DLL_ALERT.evidence.find((e) => e.entityType === 'File')!.sha1!;

/** Names of the devices whose events name the file, and their device groups, from the seed. */
function devicesThatSawTheFile(): { name: string; group: string | null }[] {
  const ids = new Set<string>();
  for (const rows of Object.values(demoSeed.events ?? {}))
    for (const row of rows as Record<string, unknown>[])
      if (row.SHA1 === DLL_SHA1 || row.InitiatingProcessSHA1 === DLL_SHA1) ids.add(row.DeviceId as string);
  return demoSeed.machines
    .filter((m) => ids.has(m.id))
    .map((m) => ({ name: m.computerDnsName, group: m.rbacGroupName ?? null }));
}

describe('investigate in the demo tenant: where did the DLL go?', function () {
  this.timeout(120_000);
  let app: RunningApp;
  let bot: BotClient;

  before(async () => {
    app = await startTestApp();
    bot = new BotClient(app.url, DEMO_BOT_ID);
  });
  after(async () => app.stop());

  async function investigateTheDll(name: string) {
    const user = persona(name);
    const [reply] = await bot.say(`alert ${DLL_ALERT.id}`, user, personalChat(user));
    const button = investigateButtons(firstCard(reply)).find((b) => b.data.entity === DLL_SHA1);
    assert.ok(button, 'the alert card offers its file');
    const response = await bot.execute('entity.investigate', button.data, user, personalChat(user));
    return { text: answerText(response), facts: factsOf(response.value) };
  }

  it('an analyst who sees every device group sees every device that ran it, the domain controller included', async () => {
    const devices = devicesThatSawTheFile();
    assert.ok(devices.length >= 3, 'the story spreads the DLL beyond ws-fin-042');
    const { text, facts } = await investigateTheDll('Alex');
    assert.equal(facts['In your organization'], `${devices.length} devices`);
    for (const device of devices) assert.match(text, new RegExp(device.name.replace(/\./g, '\\.')));
  });

  it('a Finance analyst sees only the Finance workstations among them', async () => {
    const patti = persona('Patti');
    const { text } = await investigateTheDll('Patti');
    const devices = devicesThatSawTheFile();
    for (const device of devices) {
      const visible = patti.deviceGroups.includes(device.group ?? '');
      assert.equal(new RegExp(device.name.replace(/\./g, '\\.')).test(text), visible, device.name);
    }
    assert.doesNotMatch(text, /dc-01/);
  });
});
