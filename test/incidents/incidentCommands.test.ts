import assert from 'node:assert/strict';
import { toHelpCard } from '../../src/cards/helpCard';
import { parseCommand, suggestCommand } from '../../src/commands/parseCommand';
import { english } from '../../src/commands/phrasebook';
import { toIncidentFilter } from '../../src/incidents/incidentListQuery';
import { visibleText } from '../support/botClient';

describe('incident commands (parsing and filters)', () => {
  const list = (text: string) => {
    const intent = parseCommand(text);
    assert.equal(intent.id, 'incidents.list', `"${text}" should be an incident list, got ${JSON.stringify(intent)}`);
    return intent.query;
  };

  it('understands the ways people ask for incident lists', () => {
    assert.deepEqual(list('show incidents'), { severities: [], status: 'open', owner: 'anyone' });
    assert.deepEqual(list('show high incidents'), { severities: ['high'], status: 'open', owner: 'anyone' });
    assert.deepEqual(list('incidents assigned to me').owner, 'me');
    assert.deepEqual(list('my incidents').owner, 'me');
    assert.deepEqual(list('unassigned incidents').owner, 'nobody');
    assert.deepEqual(list('resolved incidents').status, 'resolved');
    assert.deepEqual(list('Show me the high and medium incidents!').severities, ['high', 'medium']);
    assert.deepEqual(list('incidents including resolved').status, 'any');
  });

  it('refuses a list request with a word it does not understand, or two owners', () => {
    assert.equal(parseCommand('incidents on tuesday').id, 'unknown');
    assert.equal(parseCommand('my unassigned incidents').id, 'unknown');
  });

  it('"incident 123", "incident #123" and "incident number 123" open one incident', () => {
    for (const text of ['incident 2301', 'incident #2301', 'incident number 2301', 'show incident 2301', '#2301'])
      assert.deepEqual(parseCommand(text), { id: 'incident.show', incidentId: '2301' }, text);
    assert.equal(parseCommand('incident abc').id, 'unknown');
    // "now" is politeness since issue 13; a word the bot does not know still refuses the request.
    assert.equal(parseCommand('incident 2301 lately').id, 'unknown');
  });

  it('suggests the incident commands for near misses', () => {
    assert.equal(suggestCommand('incdent 2301'), 'incident 2301');
    assert.equal(suggestCommand('show incidnets'), 'show incidents');
  });

  it('help lists the incident commands', () => {
    const help = visibleText(toHelpCard(english.examples, { welcome: false }));
    assert.match(help, /show incidents/);
    assert.match(help, /incident NUMBER/);
  });

  it('builds the Graph filter with escaped literals only', () => {
    const filter = (query: Parameters<typeof toIncidentFilter>[0], upn = 'adelev@contoso.com') =>
      toIncidentFilter(query, { userPrincipalName: upn })?.odata;
    assert.equal(
      filter({ severities: ['high'], status: 'open', owner: 'me' }, "o'brien@contoso.com"),
      "(severity eq 'high') and ((status eq 'active') or (status eq 'inProgress')) and (assignedTo eq 'o''brien@contoso.com')",
    );
    assert.equal(
      filter({ severities: [], status: 'resolved', owner: 'nobody' }),
      "(status eq 'resolved') and (assignedTo eq null)",
    );
    assert.equal(filter({ severities: [], status: 'any', owner: 'anyone' }), undefined);
  });
});
