import assert from 'node:assert/strict';
import { DEMO_BOT_ID } from '../../src/demo/demoConstants';
import { BotClient, visibleText } from '../support/botClient';
import { C2_DOMAIN, C2_IP, FILE_SHA1 } from '../simulator/entities/entitySeed';
import { FIN_WS } from '../simulator/defender/testSeeds';
import type { InvestigationWorld } from './investigationWorld';
import {
  answerText,
  chatOf,
  factsOf,
  findExecute,
  firstCard,
  INCIDENT_ID,
  investigateButtons,
  personOf,
  startInvestigationWorld,
} from './investigationWorld';

describe('investigate from the device and incident cards, and in Portuguese (POST /api/messages)', function () {
  this.timeout(120_000);
  let world: InvestigationWorld;

  before(async () => {
    world = await startInvestigationWorld();
  });
  after(async () => world.app.stop());

  it("the device card's Investigate shows who logged on and the device's alerts; a user there is investigated in turn", async () => {
    const admin = personOf('admin');
    const [reply] = await world.bot.say('device ws-fin-042.corp.contoso.com', admin, chatOf(admin));
    const buttons = investigateButtons(firstCard(reply));
    assert.deepEqual(
      buttons.map((b) => [b.data.kind, b.data.entity]),
      [
        ['device', FIN_WS],
        ['ip', '10.20.30.41'],
        ['ip', '203.0.113.17'],
      ],
    );
    const device = await world.bot.execute('entity.investigate', buttons[0]!.data, admin, chatOf(admin));
    const text = answerText(device);
    assert.match(text, /Device investigation/);
    // Successful logons on ws-fin-042: jonis (twice) and adm-allan; mallory's logon failed.
    assert.match(text, /Logged-on users[\s\S]*CONTOSO\\jonis[\s\S]*Related alerts/);
    assert.match(text, /CONTOSO\\adm-allan/);
    assert.doesNotMatch(text, /mallory/);
    assert.match(text, /Related alerts[\s\S]*Suspicious PowerShell command line/);

    const jonis = findExecute(device.value, 'entity.investigate', (d) => d.entity === 'jonis');
    assert.ok(jonis, 'each logged-on user can be investigated');
    assert.deepEqual(jonis.data.source, { kind: 'device', id: FIN_WS });
    const user = answerText(await world.bot.execute('entity.investigate', jonis.data, admin, chatOf(admin)));
    assert.match(user, /User investigation/);
    assert.match(user, /Related alerts/);
    // Again within minutes: answers and Defender's refusals of this person (a section their access does not allow)
    // are both remembered, so nothing is asked.
    const calls = world.app.demo!.simulator.defender.stats().defenderCalls;
    assert.equal(answerText(await world.bot.execute('entity.investigate', jonis.data, admin, chatOf(admin))), user);
    assert.equal(world.app.demo!.simulator.defender.stats().defenderCalls, calls);
  });

  it('a user the device never saw cannot be investigated through its card', async () => {
    const admin = personOf('admin');
    const forged = { kind: 'user', source: { kind: 'device', id: FIN_WS }, entity: 'svc-backup' };
    const answer = answerText(await world.bot.execute('entity.investigate', forged, admin, chatOf(admin)));
    assert.match(answer, /does not have this entity/);
  });

  it("the incident card offers its alerts' file, IP, domain and user; the domain's card counts its devices", async () => {
    const admin = personOf('admin');
    const [reply] = await world.bot.say(`incident ${INCIDENT_ID}`, admin, chatOf(admin));
    const buttons = investigateButtons(firstCard(reply));
    assert.deepEqual(
      buttons.map((b) => [b.data.kind, b.data.entity]),
      [
        ['file', FILE_SHA1],
        ['ip', C2_IP],
        ['domain', C2_DOMAIN],
        ['user', 'jonis'],
      ],
    );
    const domain = buttons.find((b) => b.data.kind === 'domain')!;
    const response = await world.bot.execute('entity.investigate', domain.data, admin, chatOf(admin));
    assert.match(answerText(response), /Domain investigation/);
    // ws-fin-042 (1 h ago) and mac-dev-07 (30 h ago) reached it.
    assert.equal(factsOf(response.value)['In your organization'], '2 devices');
  });

  it('speaks Portuguese: "investigar 198.51.100.77" for a pt-BR Teams', async () => {
    const admin = personOf('admin');
    const portuguese = new BotClient(world.app.url, DEMO_BOT_ID, 'pt-BR');
    const [reply] = await portuguese.say(`investigar ${C2_IP}`, admin, chatOf(admin));
    const card = firstCard(reply);
    assert.match(visibleText(card), /Investigação do endereço IP/);
    assert.equal(factsOf(card)['Na sua organização'], '2 dispositivos');
  });
});
