import assert from 'node:assert/strict';
import { visibleText } from '../support/botClient';
import { readAuditFile } from '../support/auditFile';
import { ALERT_1, C2_IP, FILE_SHA1, FILE_SHA256, LONE_SHA1 } from '../simulator/entities/entitySeed';
import { TENANT_A } from '../simulator/defender/testSeeds';
import type { InvestigationWorld } from './investigationWorld';
import {
  answerText,
  chatOf,
  factsOf,
  firstCard,
  investigateButtons,
  personOf,
  startInvestigationWorld,
} from './investigationWorld';

describe('investigate: Defender-native enrichment from the alert card (POST /api/messages)', function () {
  this.timeout(120_000);
  let world: InvestigationWorld;

  before(async () => {
    world = await startInvestigationWorld();
  });
  after(async () => world.app.stop());
  beforeEach(() => {
    world.app.demo!.simulator.defender.faults.clear();
    world.app.demo!.simulator.defender.resetRateLimits();
  });

  const defenderCalls = () => world.app.demo!.simulator.defender.stats().defenderCalls;

  /** The alert card of ALERT_1 as `who` sees it, and its Investigate button for the evidence file. */
  async function fileButton(who: ReturnType<typeof personOf>) {
    const [reply] = await world.bot.say(`alert ${ALERT_1}`, who, chatOf(who));
    const card = firstCard(reply);
    const button = investigateButtons(card).find((b) => b.data.kind === 'file');
    assert.ok(button, `the alert card offers to investigate its file: ${visibleText(card).slice(0, 400)}`);
    return button;
  }

  async function click(data: Record<string, unknown>, who = personOf('admin')) {
    const response = await world.bot.execute('entity.investigate', data, who, chatOf(who));
    return response;
  }

  it("offers the alert's evidence file and shows its prevalence, devices and related alerts as Defender counts them", async () => {
    const admin = personOf('admin');
    const button = await fileButton(admin);
    assert.equal(button.data.entity, FILE_SHA1);
    assert.deepEqual(button.data.source, { kind: 'alert', id: ALERT_1 });
    assert.match(button.title, /evil\.ps1/);
    const response = await click(button.data, admin);
    assert.equal(response.type, 'application/vnd.microsoft.card.adaptive');
    const text = answerText(response);
    assert.match(text, /File investigation/);
    assert.match(text, new RegExp(FILE_SHA1));
    // Organization: the devices that ran or wrote it in the last 30 days (ws-fin-042, srv-web-01, mac-dev-07; the
    // run on lnx-db-01 is 800 hours old). Worldwide: the seeded profile's 1,500.
    const facts = factsOf(response.value);
    assert.equal(facts['In your organization'], '3 devices');
    assert.equal(facts.Worldwide, '1,500 sightings');
    assert.equal(facts['First seen worldwide'], '2023-01-01 00:00 UTC');
    assert.match(text, /Seen as\s*evil\.exe\s*renamed\.exe/);
    assert.match(text, /Devices involved[\s\S]*ws-fin-042\.corp\.contoso\.com[\s\S]*srv-web-01\.corp\.contoso\.com/);
    assert.match(text, /Related alerts[\s\S]*High/);
  });

  it('a file known by its SHA-256 alone: its SHA-1 is looked up once, then its devices and alerts read', async () => {
    const analyst = personOf('analyst2');
    const [reply] = await world.bot.say(`investigate ${FILE_SHA256}`, analyst, chatOf(analyst));
    const card = firstCard(reply);
    const text = visibleText(card);
    assert.equal(factsOf(card)['In your organization'], '3 devices');
    assert.match(text, /Devices involved\s*ws-fin-042\.corp\.contoso\.com/);
    assert.match(text, /Related alerts\s*High/);
    assert.doesNotMatch(text, /could not answer/);
  });

  it('a viewer limited to some device groups sees only the devices of their groups', async () => {
    const finance = personOf('finance');
    const button = await fileButton(finance);
    const text = answerText(await click(button.data, finance));
    assert.match(text, /ws-fin-042\.corp\.contoso\.com/);
    assert.match(text, /mac-dev-07\.corp\.contoso\.com/);
    assert.doesNotMatch(text, /srv-web-01|lnx-db-01/);
  });

  it('a second Investigate of the same entity by the same person asks Defender nothing; another person is asked anew', async () => {
    const viewer = personOf('analyst3');
    const button = await fileButton(viewer);
    const first = answerText(await click(button.data, viewer));
    const before = defenderCalls();
    const second = answerText(await click(button.data, viewer));
    assert.equal(defenderCalls(), before, 'answered from the viewer cache');
    assert.equal(second, first);
    await click(button.data, personOf('analyst2'));
    assert.ok(defenderCalls() > before, "one person's answers are never another's");
  });

  it('refuses and audits a value the alert does not have, before asking Defender about it', async () => {
    const admin = personOf('admin');
    const forged = { kind: 'file', source: { kind: 'alert', id: ALERT_1 }, entity: LONE_SHA1 };
    const response = await click(forged, admin);
    assert.match(answerText(response), /does not have this entity[\s\S]*recorded/);
    const refusals = readAuditFile<{ type: string; detail: Record<string, unknown> }>(world.dataDir).filter(
      (e) => e.type === 'request.refused' && e.detail.reason === 'entityNotInSource',
    );
    assert.equal(refusals.length, 1);
    assert.equal(refusals[0]!.detail.sourceId, ALERT_1);
    assert.equal(JSON.stringify(refusals[0]).includes(LONE_SHA1), false, 'the forged value is not copied to the trail');
  });

  it('refuses malformed data (not a hash, an IP given as a file, an id of the wrong shape) at the schema', async () => {
    const admin = personOf('admin');
    const before = defenderCalls();
    for (const data of [
      { kind: 'file', source: { kind: 'alert', id: ALERT_1 }, entity: "x' or 1=1" },
      { kind: 'file', source: { kind: 'alert', id: ALERT_1 }, entity: C2_IP },
      { kind: 'ip', source: { kind: 'alert', id: '../machines' }, entity: C2_IP },
      { kind: 'user', source: { kind: 'device', id: ALERT_1 }, entity: 'jonis' },
      { kind: 'file', source: { kind: 'alert', id: ALERT_1 }, entity: FILE_SHA1, extra: 1 },
    ]) {
      const response = await click(data, admin);
      assert.doesNotMatch(answerText(response), /investigation/i, JSON.stringify(data));
    }
    assert.equal(defenderCalls(), before, 'nothing was read for a malformed click');
    const refused = readAuditFile<{ type: string; detail: Record<string, unknown> }>(world.dataDir).filter(
      (e) =>
        e.type === 'request.refused' && e.detail.reason === 'cardDataInvalid' && e.detail.verb === 'entity.investigate',
    );
    assert.equal(refused.length, 5);
  });

  it("refuses a card stamped with another tenant's id, and records it", async () => {
    const admin = personOf('admin');
    const button = await fileButton(admin);
    const before = defenderCalls();
    const foreign = { ...button.data, customerTenantId: '22222222-2222-4222-8222-222222222222' };
    assert.notEqual(foreign.customerTenantId, TENANT_A);
    const response = await click(foreign, admin);
    assert.match(answerText(response), /not served in this conversation/);
    assert.equal(defenderCalls(), before);
    const refusals = readAuditFile<{ type: string; detail: Record<string, unknown> }>(world.dataDir).filter(
      (e) => e.type === 'request.refused' && e.detail.reason === 'customerNotBound',
    );
    assert.equal(refusals.length, 1);
  });

  it('one section Defender fails (related devices answer 500) says so while the others show', async () => {
    const analyst = personOf('analyst1');
    world.app.demo!.simulator.defender.faults.set({
      errors: { rate: 1, status: 500, pathPrefix: `/api/files/${FILE_SHA1}/machines` },
    });
    const button = await fileButton(analyst);
    const response = await click(button.data, analyst);
    const text = answerText(response);
    assert.match(text, /Devices involved\s*Microsoft Defender could not answer this part/);
    assert.equal(factsOf(response.value)['In your organization'], '3 devices');
    assert.match(text, /Related alerts[\s\S]*High/);
  });

  it('"investigate 198.51.100.77" typed: the IP address\'s prevalence in the organization', async () => {
    const admin = personOf('admin');
    const [reply] = await world.bot.say(`investigate ${C2_IP}`, admin, chatOf(admin));
    const card = firstCard(reply);
    assert.match(visibleText(card), /IP address investigation/);
    // ws-fin-042 (1 h and 200 h ago) and srv-web-01 (5 h ago) connected to it.
    assert.equal(factsOf(card)['In your organization'], '2 devices');
  });

  it('typed values that are not an entity are answered without asking Defender', async () => {
    const admin = personOf('admin');
    const before = defenderCalls();
    const [reply] = await world.bot.say('investigate file 1.2.3.4', admin, chatOf(admin));
    assert.match(visibleText(reply), /is not a file hash/);
    assert.equal(defenderCalls(), before);
  });
});
