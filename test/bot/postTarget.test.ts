import assert from 'node:assert/strict';
import type { Activity } from 'botbuilder';
import { postTarget } from '../../src/bot/activityFacts';

/*
 * The address the installation registry stores for a conversation. It must be the same for every message in
 * the conversation: the registry rewrites its (fsynced, per-tenant) record whenever the address changes.
 */

function message(overrides: Partial<Activity>): Partial<Activity> {
  return {
    type: 'message',
    id: '1700000000001',
    channelId: 'msteams',
    serviceUrl: 'https://smba.trafficmanager.net/emea/',
    locale: 'en-GB',
    from: { id: '29:megan', name: 'Megan Bowen', aadObjectId: '6e8c1a52-0000-4000-8000-000000000001' },
    recipient: { id: '28:bot', name: 'Defender SOC Bot' },
    conversation: {
      id: '19:general@thread.tacv2;messageid=1700000000001',
      conversationType: 'channel',
      tenantId: 'b6f3c6a2-0000-4000-8000-000000000000',
      isGroup: true,
      name: 'General',
    },
    channelData: { channel: { id: '19:general@thread.tacv2' }, team: { id: '19:team@thread.tacv2' } },
    ...overrides,
  };
}

describe('postTarget: where proactive posts for a conversation go', () => {
  it('gives one address for every message of a channel, whoever sends it, in whichever thread and locale', () => {
    const first = postTarget(message({}));
    const second = postTarget(
      message({
        id: '1700000000999',
        locale: 'de-DE',
        from: { id: '29:adele', name: 'Adele Vance', aadObjectId: '6e8c1a52-0000-4000-8000-000000000002' },
        conversation: {
          id: '19:general@thread.tacv2;messageid=1700000000555',
          conversationType: 'channel',
          tenantId: 'b6f3c6a2-0000-4000-8000-000000000000',
          isGroup: true,
          name: 'General',
        },
      }),
    );
    assert.equal(JSON.stringify(second.address), JSON.stringify(first.address));
    assert.equal(first.conversationId, '19:general@thread.tacv2');
    assert.equal(first.teamId, '19:team@thread.tacv2');
  });

  it('keeps what a post needs and nothing about the person or the message', () => {
    const { address } = postTarget(message({}));
    assert.deepEqual(JSON.parse(JSON.stringify(address)), {
      channelId: 'msteams',
      serviceUrl: 'https://smba.trafficmanager.net/emea/',
      bot: { id: '28:bot', name: 'Defender SOC Bot' },
      conversation: {
        id: '19:general@thread.tacv2',
        conversationType: 'channel',
        tenantId: 'b6f3c6a2-0000-4000-8000-000000000000',
        isGroup: true,
      },
    });
  });

  it('addresses a personal chat by its conversation id, the same for each message', () => {
    const personal = (id: string) =>
      postTarget(
        message({
          id,
          conversation: {
            id: 'a:1personal',
            conversationType: 'personal',
            tenantId: 'b6f3c6a2-0000-4000-8000-000000000000',
            isGroup: false,
            name: '',
          },
          channelData: {},
        }),
      );
    assert.equal(JSON.stringify(personal('1').address), JSON.stringify(personal('2').address));
    assert.equal(personal('1').conversationId, 'a:1personal');
  });
});
