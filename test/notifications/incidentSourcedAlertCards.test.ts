import assert from 'node:assert/strict';
import { toSourcedAlertNoticeCard, toSourcedAlertPersonalNoticeCard } from '../../src/cards/incidentNoticeAlertCards';
import { graphAlertSchema } from '../../src/graph/graphSchemas';
import { fromGraphAlert } from '../../src/notifications/graphAlerts';
import { demoSeed } from '../support/demoTenant';

/*
 * Cards of alerts from Defender sources other than Defender for Endpoint (read from Graph alerts_v2): they name
 * their source, carry no MDE button, and open their incident — or, not yet in one, carry no button at all.
 */

const NOW = new Date('2026-12-06T12:00:00Z');
const identitySeed = demoSeed.alertsV2.find((a) => a.serviceSource === 'microsoftDefenderForIdentity');

function identityAlert(incidentId: string | null) {
  assert.ok(identitySeed, 'the demo seed has a Defender for Identity alert');
  return fromGraphAlert(graphAlertSchema.parse({ ...identitySeed, incidentId }));
}

describe('cards of alerts from other Defender sources', () => {
  it('maps a Graph alert to the pipeline’s shape, in Defender’s words, without a device', () => {
    const alert = identityAlert('2301');
    assert.equal(alert.serviceSource, 'microsoftDefenderForIdentity');
    assert.equal(alert.incidentId, 2301);
    assert.ok(['High', 'Medium', 'Low', 'Informational'].includes(alert.severity));
    assert.ok(['New', 'InProgress', 'Resolved'].includes(alert.status));
    assert.equal(alert.machineId, null);
    assert.equal(alert.rbacGroupName, null);
  });

  it('names the source on a channel card and opens the incident, with no MDE button', () => {
    const alert = identityAlert('2301');
    const card = toSourcedAlertNoticeCard({
      alert,
      serviceSource: 'microsoftDefenderForIdentity',
      now: NOW,
      subscription: 'High alerts',
    });
    const json = JSON.stringify(card);
    assert.match(json, /Microsoft Defender for Identity/);
    assert.match(json, /"verb":"incident\.open","data":\{"incidentId":"2301"\}/);
    assert.doesNotMatch(json, /alert\.open|alert\.assignToMe|action\.prepare|Action\.OpenUrl/);
  });

  it('gives an alert not yet in an incident no button, and its personal notice no refresh', () => {
    const alert = identityAlert(null);
    const shared = JSON.stringify(
      toSourcedAlertNoticeCard({ alert, serviceSource: 'microsoftDefenderForIdentity', now: NOW, subscription: 'x' }),
    );
    assert.doesNotMatch(shared, /"actions":\[\{/);
    assert.match(shared, /Not in an incident yet/);
    const personal = JSON.stringify(
      toSourcedAlertPersonalNoticeCard({
        alert,
        serviceSource: 'microsoftDefenderForIdentity',
        now: NOW,
        subscription: 'x',
        refreshUserIds: ['29:megan'],
      }),
    );
    assert.doesNotMatch(personal, /"refresh"/);
    assert.match(personal, /not in an incident yet/);
  });

  it('refreshes a personal notice into the person’s view of the incident, with no alert content', () => {
    const alert = identityAlert('2301');
    const personal = JSON.stringify(
      toSourcedAlertPersonalNoticeCard({
        alert,
        serviceSource: 'microsoftDefenderForIdentity',
        now: NOW,
        subscription: 'High alerts',
        refreshUserIds: ['29:megan'],
      }),
    );
    assert.match(personal, /"refresh":\{"action":\{[^}]*"verb":"incident\.open"[\s\S]*"userIds":\["29:megan"\]/);
    assert.ok(!personal.includes(JSON.stringify(alert.title).slice(1, -1)), 'no title on a personal notice');
  });
});
