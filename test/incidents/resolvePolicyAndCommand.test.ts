import assert from 'node:assert/strict';
import { loadConfig } from '../../src/config/config';
import { parseCommand } from '../../src/commands/parseCommand';
import type { Intent } from '../../src/commands/intents';
import { translatorFor } from '../../src/i18n/translator';
import { DEFAULT_RESOLUTION_RULES, resolutionApprovalReason } from '../../src/incidents/resolutionPolicy';

describe('resolving incidents: the command and INCIDENT_RESOLVE_APPROVAL', () => {
  describe('"resolve incident …"', () => {
    it('understands the classification and determination in words, and keeps the reason as typed', () => {
      assert.deepEqual(parseCommand('resolve incident 2301 as true positive phishing'), {
        id: 'incident.resolve',
        incidentId: '2301',
        classification: 'truePositive',
        determination: 'phishing',
      });
      assert.deepEqual(
        parseCommand('Resolve incident #2301 false positive not malicious because Test Box, see CHG-42'),
        {
          id: 'incident.resolve',
          incidentId: '2301',
          classification: 'falsePositive',
          determination: 'notMalicious',
          comment: 'Test Box, see CHG-42',
        },
      );
      assert.deepEqual(parseCommand('close incident 7 as benign positive security-testing'), {
        id: 'incident.resolve',
        incidentId: '7',
        classification: 'informationalExpectedActivity',
        determination: 'securityTesting',
      });
      assert.equal(
        (parseCommand('resolve incident 2301 as tp multi staged attack') as { determination?: string }).determination,
        'multiStagedAttack',
      );
    });

    it('answers a pair Graph refuses, or a missing one, with the choices instead of guessing', () => {
      const illegal = parseCommand('resolve incident 2301 as false positive phishing');
      assert.equal(illegal.id, 'unknown');
      assert.match(problemText(illegal), /not malicious, not enough data to validate, other/);
      const missing = parseCommand('resolve incident 2301');
      assert.equal(missing.id, 'unknown');
      assert.match(problemText(missing), /true positive, false positive/);
      assert.equal(parseCommand('resolve incident 2301 as maybe').id, 'unknown');
    });
  });

  describe('the policy', () => {
    const high = { severity: 'high' };
    const low = { severity: 'low' };

    it('by default asks for an approver for High incidents only, whatever the classification', () => {
      assert.deepEqual(DEFAULT_RESOLUTION_RULES, ['high']);
      assert.equal(resolutionApprovalReason(DEFAULT_RESOLUTION_RULES, high, 'falsePositive'), 'High severity incident');
      assert.equal(
        resolutionApprovalReason(DEFAULT_RESOLUTION_RULES, { severity: 'High' }, 'truePositive'),
        'High severity incident',
      );
      assert.equal(resolutionApprovalReason(DEFAULT_RESOLUTION_RULES, low, 'truePositive'), undefined);
    });

    it('combines severity and classification rules; all and none decide alone', () => {
      const rules = ['medium', 'truePositive'] as const;
      assert.equal(
        resolutionApprovalReason(rules, { severity: 'medium' }, 'falsePositive'),
        'Medium severity incident',
      );
      assert.equal(resolutionApprovalReason(rules, low, 'truePositive'), 'Resolved as True positive');
      assert.equal(resolutionApprovalReason(rules, high, 'falsePositive'), undefined);
      assert.match(resolutionApprovalReason(['all'], low, 'falsePositive') ?? '', /Every resolution/);
      assert.equal(resolutionApprovalReason(['none', 'all'], high, 'truePositive'), undefined);
    });

    it('is read from INCIDENT_RESOLVE_APPROVAL, and a typo stops the start', () => {
      const load = (value: string | undefined) =>
        loadConfig(
          { PLAYGROUND: 'off', ...(value === undefined ? {} : { INCIDENT_RESOLVE_APPROVAL: value }) },
          process.cwd(),
        );
      assert.deepEqual(load(undefined).approvals.incidentResolveApproval, ['high']);
      assert.deepEqual(load('').approvals.incidentResolveApproval, ['high']);
      assert.deepEqual(load('high, truePositive').approvals.incidentResolveApproval, ['high', 'truePositive']);
      assert.throws(() => load('hihg'), /INCIDENT_RESOLVE_APPROVAL/);
    });
  });
});

/** The English words of an unknown intent's problem, as the reply shows them. */
function problemText(intent: Intent): string {
  return intent.id === 'unknown' && intent.problem
    ? translatorFor('en').t(intent.problem.key, intent.problem.values)
    : '';
}
