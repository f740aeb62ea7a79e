import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { demoSeed } from '../support/demoTenant';
import { fabrikamSeed } from '../support/partnerTenant';
import type { Conversation, ProductionHarness, TeamsPerson } from '../support/productionApp';
import { readAuditFile } from '../support/auditFile';
import { startProductionHarness } from '../support/productionApp';

/*
 * Every refusal leaves an audit record: who (as far as the request says), what, and why. Read back from the
 * audit trail itself (DATA_DIR/audit/audit.jsonl), as a SIEM would, after requests through the real endpoint.
 */

const CONTOSO = demoSeed.tenant.id;
type Entry = { type: string; tenantId: string; actor: Record<string, unknown>; approvalId?: string; detail?: unknown };

/** Every field of `expected` is in `actual` with the same value, at any depth (`actual` may hold more). */
function assertIncludes(actual: unknown, expected: unknown, message?: string): void {
  if (typeof expected !== 'object' || expected === null) {
    assert.equal(actual, expected, message);
    return;
  }
  assert.ok(typeof actual === 'object' && actual !== null, message ?? `expected an object, got ${String(actual)}`);
  for (const [key, value] of Object.entries(expected)) {
    assertIncludes((actual as Record<string, unknown>)[key], value, message ?? `at ${key}: ${JSON.stringify(actual)}`);
  }
}

describe('every refusal is audited (production mode, through POST /api/messages)', function () {
  this.timeout(60_000);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soc-bot-refusals-'));
  let h: ProductionHarness;
  let clock = Date.now();
  let adele: TeamsPerson;
  let megan: TeamsPerson;
  let alex: TeamsPerson;
  let chat: Conversation;

  before(async () => {
    h = await startProductionHarness({ seeds: [demoSeed], env: { DATA_DIR: dataDir }, now: () => new Date(clock) });
    adele = h.person(demoSeed, 'Adele');
    megan = h.person(demoSeed, 'Megan');
    alex = h.person(demoSeed, 'Alex');
  });
  after(async () => h?.stop());
  beforeEach(() => {
    clock = Date.now();
    chat = { id: `19:refusals-${randomUUID()}@thread.v2`, conversationType: 'groupChat', tenantId: CONTOSO };
  });

  function entries(): Entry[] {
    return readAuditFile<Entry>(dataDir);
  }

  /** Runs `act` and returns the audit records it added. */
  async function recorded(act: () => Promise<unknown>): Promise<{ added: Entry[]; raw: string }> {
    const before = entries().length;
    await act();
    const added = entries().slice(before);
    return { added, raw: JSON.stringify(added) };
  }

  function personal(person: TeamsPerson): Conversation {
    return { id: `a:${person.user.aadObjectId}`, conversationType: 'personal', tenantId: person.tenantId };
  }

  /** Megan asks for a response action from her own view of a command; resolves with the approval id. */
  async function approvalRequest(command: string): Promise<string> {
    const view = await h.execute('command.view', { command }, megan, chat);
    const confirm = /"verb":"action\.confirm","data":(\{[^}]*\})/.exec(JSON.stringify(view.value))?.[1];
    assert.ok(confirm, `no confirmation card for "${command}"`);
    const data = { ...(JSON.parse(confirm) as object), reason: 'Qakbot beaconing, incident 2301' };
    const requested = await h.execute('action.confirm', data, megan, chat);
    const id = /"(A-[A-Za-z0-9_-]{12})"/.exec(JSON.stringify(requested.value))?.[1];
    assert.ok(id, 'the request has an approval id');
    return id;
  }

  describe('at the bot edge (request.refused)', () => {
    it('records tampered card data under the clicker, without the data', async () => {
      const { added, raw } = await recorded(() =>
        h.execute('approval.approve', { approvalId: 'A-tamperedtampered', deviceId: 'TAMPERED-DEVICE' }, adele, chat),
      );
      assert.equal(added.length, 1, raw);
      assert.equal(added[0]!.type, 'request.refused');
      assert.equal(added[0]!.tenantId, CONTOSO);
      assertIncludes(added[0]!.detail, {
        reason: 'cardDataInvalid',
        verb: 'approval.approve',
        claimedAadObjectId: adele.user.aadObjectId,
      });
      assert.doesNotMatch(raw, /TAMPERED-DEVICE|eyJ/);
    });

    it('records a verb the bot never registered', async () => {
      const { added, raw } = await recorded(() =>
        h.execute('approval.forceApprove', { approvalId: 'A-x' }, adele, chat),
      );
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], {
        type: 'request.refused',
        tenantId: CONTOSO,
        detail: { reason: 'unknownVerb', verb: 'approval.forceApprove' },
      });
    });

    it('records a message from a tenant the deployment does not serve, under that tenant as given', async () => {
      const stranger = h.person(fabrikamSeed(), 'Adele');
      const { added, raw } = await recorded(() => h.message('show high alerts', stranger, personal(stranger)));
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], {
        type: 'request.refused',
        tenantId: stranger.tenantId,
        detail: { reason: 'tenantNotServed', command: 'alerts.list', claimedAadObjectId: stranger.user.aadObjectId },
      });
    });

    /** A message to Adele's personal chat, as sent by hand: `from` and the tenant as each test needs them. */
    function bareMessage(from: Record<string, unknown>, tenantId: string | undefined) {
      return h.deliver({
        type: 'message',
        id: randomUUID(),
        channelId: 'msteams',
        serviceUrl: h.channel.serviceUrl,
        from,
        recipient: { id: `28:${h.botId}` },
        conversation: { id: personal(adele).id, conversationType: 'personal', ...(tenantId ? { tenantId } : {}) },
        ...(tenantId ? { channelData: { tenant: { id: tenantId } } } : {}),
        text: 'show high alerts',
      });
    }

    it('records an activity that names no tenant, under "unknown"', async () => {
      const { added, raw } = await recorded(() =>
        bareMessage({ id: adele.id, aadObjectId: adele.user.aadObjectId }, undefined),
      );
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], { type: 'request.refused', tenantId: 'unknown', detail: { reason: 'tenantMissing' } });
    });

    it('records a command from a sender Teams did not name (no Entra object id)', async () => {
      const { added, raw } = await recorded(() => bareMessage({ id: '29:nobody' }, CONTOSO));
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], {
        type: 'request.refused',
        tenantId: CONTOSO,
        detail: { reason: 'unknownUser', teamsUserId: '29:nobody' },
      });
    });

    it('records a card action whose value is malformed', async () => {
      const { added, raw } = await recorded(() => h.invoke('adaptiveCard/action', { trigger: 'manual' }, adele, chat));
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], {
        type: 'request.refused',
        tenantId: CONTOSO,
        detail: { reason: 'malformedInvokeValue', invokeName: 'adaptiveCard/action' },
      });
    });

    it('records SSO tokens that fail validation (someone else’s, expired, for another audience), never the token', async () => {
      const alexChat = personal(alex);
      for (const token of [
        h.ssoToken(adele),
        h.ssoToken(alex, { expired: true }),
        h.ssoToken(alex, { audience: '00000003-0000-0000-c000-000000000000' }),
      ]) {
        const { added, raw } = await recorded(() =>
          h.invoke('signin/tokenExchange', { id: randomUUID(), connectionName: 'defender-sso', token }, alex, alexChat),
        );
        assert.equal(added.length, 1, raw);
        assertIncludes(added[0], {
          type: 'request.refused',
          tenantId: CONTOSO,
          detail: { reason: 'ssoTokenRejected', claimedAadObjectId: alex.user.aadObjectId },
        });
        assert.doesNotMatch(raw, /eyJ/);
      }
    });

    it('records a card action carrying someone else’s SSO token', async () => {
      const { added, raw } = await recorded(() =>
        h.invoke(
          'adaptiveCard/action',
          {
            action: { type: 'Action.Execute', verb: 'command.view', data: { command: 'show high alerts' } },
            authentication: { token: h.ssoToken(adele) },
          },
          alex,
          chat,
        ),
      );
      assert.equal(added.length, 1, raw);
      assertIncludes(added[0], {
        type: 'request.refused',
        detail: { reason: 'ssoTokenRejected', verb: 'command.view', claimedAadObjectId: alex.user.aadObjectId },
      });
    });
  });

  describe('in the approval flow (approval.refused, recorded by ApprovalService)', () => {
    const refusalOf = (added: Entry[]) => added.find((e) => e.type === 'approval.refused');

    it('records self-approval, a missing role, an unknown request and a replay', async () => {
      const id = await approvalRequest('collect investigation package from ws-fin-044');
      const cases: [string, () => Promise<unknown>, string, string][] = [
        [
          'selfApproval',
          () => h.execute('approval.approve', { approvalId: id }, megan, chat),
          id,
          megan.user.aadObjectId,
        ],
        ['missingRole', () => h.execute('approval.approve', { approvalId: id }, alex, chat), id, alex.user.aadObjectId],
        [
          'notFound',
          () => h.execute('approval.approve', { approvalId: 'A-forgedforged' }, adele, chat),
          'A-forgedforged',
          adele.user.aadObjectId,
        ],
      ];
      for (const [reason, act, approvalId, who] of cases) {
        const { added, raw } = await recorded(act);
        assertIncludes(refusalOf(added), { approvalId, detail: { reason }, actor: { aadObjectId: who } }, raw);
      }
      await h.execute('approval.withdraw', { approvalId: id }, megan, chat);
      const { added, raw } = await recorded(() => h.execute('approval.approve', { approvalId: id }, adele, chat));
      assertIncludes(refusalOf(added), { approvalId: id, detail: { reason: 'alreadyDecided' } }, raw);
    });

    it('records a request or a cancellation from someone without a requester role, and an action the OS does not run', async () => {
      const device = demoSeed.machines.find((m) => m.computerDnsName.startsWith('ws-fin-044.'))!;
      const mac = demoSeed.machines.find((m) => m.computerDnsName.startsWith('mac-design-07.'))!;
      const cases: [string, () => Promise<unknown>, string, string][] = [
        [
          'missingRole',
          () => h.execute('action.prepare', { kind: 'isolate', device: device.id }, alex, chat),
          alex.user.aadObjectId,
          'action.prepare isolate',
        ],
        [
          'missingRole',
          () =>
            h.execute('command.view', { command: 'cancel action 5382f7ea-7557-4ab7-9782-d50480024a4e' }, alex, chat),
          alex.user.aadObjectId,
          'action.cancel',
        ],
        [
          'notSupportedOnDevice',
          () => h.execute('action.prepare', { kind: 'restrictCodeExecution', device: mac.id }, megan, chat),
          megan.user.aadObjectId,
          `action.prepare restrictCodeExecution ${mac.id}`,
        ],
      ];
      for (const [reason, act, who, verb] of cases) {
        const { added, raw } = await recorded(act);
        assertIncludes(refusalOf(added), { detail: { reason, verb }, actor: { aadObjectId: who } }, raw);
      }
    });

    it('records a click after expiry', async () => {
      const id = await approvalRequest('collect investigation package from ws-fin-044');
      clock += 31 * 60_000;
      const { added, raw } = await recorded(() => h.execute('approval.approve', { approvalId: id }, adele, chat));
      assertIncludes(refusalOf(added), { approvalId: id, detail: { reason: 'expired' } }, raw);
    });
  });
});
