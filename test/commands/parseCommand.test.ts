import assert from 'node:assert/strict';
import { parseCommand, suggestCommand } from '../../src/commands/parseCommand';

describe('parseCommand', () => {
  const list = (text: string) => {
    const intent = parseCommand(text);
    assert.equal(intent.id, 'alerts.list', `"${text}" should be an alert list, got ${JSON.stringify(intent)}`);
    return intent.query;
  };

  it('understands the issue examples', () => {
    assert.deepEqual(list('show high alerts'), {
      severities: ['High'],
      status: { kind: 'unresolved' },
      sinceHours: undefined,
      assignedToMe: false,
      device: undefined,
    });
    assert.deepEqual(list('show alerts').severities, []);
    const newMedium = list('show new medium alerts');
    assert.deepEqual(newMedium.severities, ['Medium']);
    assert.deepEqual(newMedium.status, { kind: 'only', statuses: ['New'] });
    assert.equal(list('high alerts last 24h').sinceHours, 24);
    assert.equal(list('alerts assigned to me').assignedToMe, true);
    assert.equal(list('alerts on device ws-fin-042').device, 'ws-fin-042');
  });

  it('is case-insensitive and tolerant of filler and punctuation', () => {
    assert.deepEqual(list('Please SHOW me the High Alerts!').severities, ['High']);
    assert.deepEqual(list('show high and medium alerts').severities, ['High', 'Medium']);
    assert.equal(list('any alerts in the past 7 days?').sinceHours, 168);
    assert.equal(list('alerts last hour').sinceHours, 1);
    assert.equal(list('my alerts').assignedToMe, true);
    assert.deepEqual(list('alerts in progress').status, { kind: 'only', statuses: ['InProgress'] });
    assert.deepEqual(list('alerts including resolved').status, { kind: 'all' });
    assert.equal(list('alerts on WS-FIN-042.corp.contoso.com').device, 'ws-fin-042.corp.contoso.com');
  });

  it('parses single alerts and devices, keeping the id as typed', () => {
    assert.deepEqual(parseCommand('alert da637472900382838869_1364969609'), {
      id: 'alert.show',
      alertId: 'da637472900382838869_1364969609',
    });
    assert.deepEqual(parseCommand('show alert ED637_AbC123'), { id: 'alert.show', alertId: 'ED637_AbC123' });
    assert.deepEqual(parseCommand('device ws-fin-042'), { id: 'device.show', device: 'ws-fin-042' });
    assert.deepEqual(parseCommand('show device details for DC-01'), { id: 'device.show', device: 'dc-01' });
    assert.deepEqual(parseCommand('help'), { id: 'help' });
    assert.deepEqual(parseCommand('  '), { id: 'help' });
  });

  it('refuses a request it only partly understands instead of widening it', () => {
    for (const text of [
      'alerts on ws-fin-042 lately',
      'show critical alerts',
      'alerts last 999999 days',
      'alerts on a;b',
    ]) {
      assert.equal(parseCommand(text).id, 'unknown', text);
    }
  });

  it('never takes shell or OData syntax as a device name', () => {
    assert.equal(parseCommand("device ws' or '1' eq '1").id, 'unknown');
    assert.equal(parseCommand('device $(whoami)').id, 'unknown');
  });

  it('suggests the closest command with the user value filled in', () => {
    assert.equal(suggestCommand('devcie ws-fin-042'), 'device ws-fin-042');
    assert.equal(suggestCommand('shwo high alrets'), 'show high alerts');
    const intent = parseCommand('isolate everything now please');
    assert.equal(intent.id, 'unknown');
  });

  it('understands the partner commands: onboarding by tenant id or domain, listing, binding, offboarding', () => {
    assert.deepEqual(parseCommand('onboard customer Tailspin Toys tailspin.onmicrosoft.com'), {
      id: 'customers.onboard',
      name: 'Tailspin Toys',
      tenant: 'tailspin.onmicrosoft.com',
    });
    assert.deepEqual(parseCommand('add customer Fabrikam tenant 0A1B2C3D-1111-4222-8333-444455556666'), {
      id: 'customers.onboard',
      name: 'Fabrikam',
      tenant: '0a1b2c3d-1111-4222-8333-444455556666',
    });
    assert.equal(parseCommand('tenants').id, 'customers.list');
    assert.equal(parseCommand('list customers').id, 'customers.list');
    assert.deepEqual(parseCommand('bind this channel to Contoso'), { id: 'customers.bind', name: 'Contoso' });
    assert.deepEqual(parseCommand('bind contoso'), { id: 'customers.bind', name: 'contoso' });
    assert.deepEqual(parseCommand('unbind Fabrikam'), { id: 'customers.unbind', name: 'Fabrikam' });
    assert.deepEqual(parseCommand('offboard customer Fabrikam'), { id: 'customers.offboard', name: 'Fabrikam' });
    // A name with OData or script syntax is not a tenant: no onboarding is parsed from it.
    assert.notEqual(parseCommand("onboard customer x' or 1 eq 1").id, 'customers.onboard');
  });
});
