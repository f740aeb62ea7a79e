import assert from 'node:assert/strict';
import { DefenderApiError } from '../../../src/simulator/defender/defenderError';
import { ALERT_FIELDS, MACHINE_FIELDS, MACHINE_ACTION_FIELDS } from '../../../src/simulator/defender/entityFields';
import type { EntitySetSpec } from '../../../src/simulator/defender/entityFields';
import { evaluateFilter } from '../../../src/simulator/defender/odataEvaluator';
import { parseFilter } from '../../../src/simulator/defender/odataFilter';
import { parseDateTimeOffset, toODataTimestamp } from '../../../src/simulator/defender/odataDateTime';
import { FIN_WS, LINUX_DB, MAC_DEV, WEB_SRV, tenantASeed } from './testSeeds';

const seed = tenantASeed();
const ALERTS = seed.alerts;
const MACHINES = seed.machines;

/** Alert ids are da…_136496960N; tests name alerts by that last digit. */
function alertsMatching(filter: string): number[] {
  const node = parseFilter(filter, ALERT_FIELDS);
  return ALERTS.filter((a) => evaluateFilter(node, a)).map((a) => Number(a.id.slice(-1)));
}

function machinesMatching(filter: string): string[] {
  const node = parseFilter(filter, MACHINE_FIELDS);
  return MACHINES.filter((m) => evaluateFilter(node, m)).map((m) => m.id);
}

function rejects(filter: string, spec: EntitySetSpec = ALERT_FIELDS, messagePart?: RegExp): void {
  assert.throws(
    () => parseFilter(filter, spec),
    (err: unknown) => {
      assert.ok(err instanceof DefenderApiError, `expected DefenderApiError for ${filter}`);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'BadRequest');
      assert.match(err.message, /^Invalid filter clause: /);
      if (messagePart) assert.match(err.message, messagePart);
      return true;
    },
    `expected ${JSON.stringify(filter)} to be rejected`,
  );
}

describe('simulator/defender OData $filter', () => {
  describe('comparison operators', () => {
    it('eq on an enum matches case-insensitively', () => {
      assert.deepEqual(alertsMatching("severity eq 'High'"), [1, 3]);
      assert.deepEqual(alertsMatching("severity eq 'high'"), [1, 3]);
    });

    it('ne excludes the value', () => {
      assert.deepEqual(alertsMatching("status ne 'Resolved'"), [1, 2, 4, 5]);
    });

    it('gt, ge, lt and le compare DateTimeOffsets', () => {
      assert.deepEqual(alertsMatching('alertCreationTime gt 2024-01-26T20:33:57.7220239Z'), [2]);
      assert.deepEqual(alertsMatching('alertCreationTime ge 2024-01-26T20:33:57.7220239Z'), [1, 2]);
      assert.deepEqual(alertsMatching('alertCreationTime lt 2024-01-24T00:00:00Z'), [4, 5]);
      assert.deepEqual(alertsMatching('alertCreationTime le 2024-01-23T00:00:00Z'), [5]);
    });

    it('keeps 100 ns precision', () => {
      assert.deepEqual(alertsMatching('alertCreationTime gt 2024-01-27T10:00:00Z'), [2]);
      assert.deepEqual(alertsMatching('alertCreationTime gt 2024-01-27T10:00:00.0000001Z'), []);
    });

    it('compares instants across offsets', () => {
      // Alert 4 is stored as 2024-01-24T00:00:00+02:00.
      assert.deepEqual(alertsMatching('alertCreationTime eq 2024-01-23T22:00:00Z'), [4]);
      assert.deepEqual(alertsMatching('alertCreationTime eq 2024-01-23T23:30:00+01:30'), [4]);
    });

    it('accepts date-only literals as UTC midnight', () => {
      assert.deepEqual(machinesMatching('lastSeen gt 2024-05-03Z'), [FIN_WS, WEB_SRV]);
      assert.deepEqual(machinesMatching('lastSeen lt 2024-05-03'), [LINUX_DB, MAC_DEV]);
    });

    it('compares integers, including against null', () => {
      assert.deepEqual(alertsMatching('incidentId eq 1001'), [1]);
      assert.deepEqual(alertsMatching('incidentId ge 1003'), [3, 5]);
      assert.deepEqual(alertsMatching('incidentId lt 1001.5'), [1]);
      assert.deepEqual(alertsMatching('incidentId eq null'), [4]);
      assert.deepEqual(alertsMatching('investigationId ne null'), [3]);
      assert.deepEqual(machinesMatching('rbacGroupId eq 150'), [WEB_SRV, LINUX_DB]);
    });

    it('treats null as unequal to values and never ordered', () => {
      assert.deepEqual(alertsMatching('lastEventTime ne null'), [1, 2, 3, 5]);
      assert.deepEqual(alertsMatching('lastEventTime lt 2030-01-01Z'), [1, 2, 3, 5]);
      assert.deepEqual(alertsMatching('assignedTo eq null'), [1, 3, 4]);
    });

    it('accepts a literal on the left and property-to-property comparisons', () => {
      assert.deepEqual(alertsMatching("'High' eq severity"), [1, 3]);
      assert.deepEqual(alertsMatching('lastUpdateTime gt alertCreationTime'), [1, 2, 3]);
    });

    it('compares strings case-insensitively', () => {
      assert.deepEqual(machinesMatching("computerDnsName eq 'WS-FIN-042.corp.contoso.com'"), [FIN_WS]);
      assert.deepEqual(machinesMatching("osPlatform eq 'linux'"), [LINUX_DB]);
      assert.deepEqual(machinesMatching("onboardingStatus eq 'onboarded'").length, 4);
    });

    it('matches guids quoted or unquoted', () => {
      assert.deepEqual(machinesMatching('aadDeviceId eq 80fe8ff8-2624-418e-9591-41f0491218f9'), [FIN_WS]);
      assert.deepEqual(machinesMatching("aadDeviceId eq '80FE8FF8-2624-418E-9591-41F0491218F9'"), [FIN_WS]);
    });
  });

  describe('logic and precedence', () => {
    it('binds and tighter than or', () => {
      assert.deepEqual(alertsMatching("severity eq 'High' or severity eq 'Low' and status eq 'New'"), [1, 3]);
      assert.deepEqual(alertsMatching("(severity eq 'High' or severity eq 'Low') and status eq 'New'"), [1]);
    });

    it('negates a parenthesized expression, a function or a lambda with not', () => {
      assert.deepEqual(alertsMatching("not (status eq 'New')"), [2, 3]);
      assert.deepEqual(alertsMatching("not not (status eq 'New')"), [1, 4, 5]);
      assert.deepEqual(machinesMatching("not startswith(computerDnsName,'ws')"), [WEB_SRV, LINUX_DB, MAC_DEV]);
      assert.deepEqual(machinesMatching("not machineTags/any(t: t eq 'VIP')"), [WEB_SRV, LINUX_DB, MAC_DEV]);
    });

    it('matches keywords and property names case-insensitively', () => {
      assert.deepEqual(alertsMatching("Severity EQ 'High' AND Status Ne 'Resolved'"), [1]);
      assert.deepEqual(alertsMatching('InvestigationId eq 77'), [3]);
    });
  });

  describe('functions and lambdas', () => {
    it('startswith is case-insensitive and needs a string property and a string literal', () => {
      assert.deepEqual(machinesMatching("startswith(computerDnsName,'WS-FIN')"), [FIN_WS]);
      assert.deepEqual(machinesMatching("startswith(computerDnsName, 'srv-') or startswith(computerDnsName,'lnx')"), [
        WEB_SRV,
        LINUX_DB,
      ]);
    });

    it('any with a lambda, any() and all', () => {
      assert.deepEqual(machinesMatching("machineTags/any(t: t eq 'VIP')"), [FIN_WS]);
      assert.deepEqual(machinesMatching("machineTags/any(tag: startswith(tag, 'we'))"), [WEB_SRV]);
      assert.deepEqual(machinesMatching('machineTags/any()'), [FIN_WS, WEB_SRV]);
      assert.deepEqual(machinesMatching("machineTags/all(t: t ne 'VIP')"), [WEB_SRV, LINUX_DB, MAC_DEV]);
    });

    it('lets a lambda body refer to other properties', () => {
      assert.deepEqual(machinesMatching("machineTags/any(t: t eq 'VIP' and riskScore eq 'High')"), [FIN_WS]);
    });
  });

  describe('literals and injection-shaped input', () => {
    it('unescapes doubled quotes in strings', () => {
      assert.deepEqual(alertsMatching("assignedTo eq 'o''brien@contoso.com'"), [5]);
    });

    it('reads a correctly escaped injection attempt as one string that matches nothing', () => {
      const hostile = "' or 1 eq 1 or '";
      const escaped = hostile.replace(/'/g, "''");
      assert.deepEqual(alertsMatching(`assignedTo eq '${escaped}'`), []);
      assert.deepEqual(machinesMatching(`computerDnsName eq '${escaped}'`), []);
      assert.deepEqual(machinesMatching(`machineTags/any(t: t eq '${escaped}')`), []);
    });

    it('refuses unescaped injection attempts instead of matching everything', () => {
      rejects("severity eq 'High' or '1' eq '1'", ALERT_FIELDS, /two literals/);
      rejects("severity eq 'High' or 1 eq 1", ALERT_FIELDS, /two literals/);
      rejects("assignedTo eq '' or 1 eq 1 or ''", ALERT_FIELDS, /two literals/);
      rejects("severity eq 'High') or (1 eq 1");
      rejects("severity eq 'High' or true");
      rejects('true');
    });
  });

  describe('rejections', () => {
    const cases: [string, string, EntitySetSpec, RegExp?][] = [
      ['unknown property', "foo eq 'x'", ALERT_FIELDS, /could not find a filterable property named 'foo'/],
      ['undocumented property', "title eq 'x'", ALERT_FIELDS, /filterable: /],
      ['property of another entity set', "computerDnsName eq 'x'", ALERT_FIELDS],
      ['missing right operand', 'severity eq', ALERT_FIELDS],
      ['missing operator', "severity 'High'", ALERT_FIELDS, /comparison operator/],
      ['missing left operand', "eq 'High'", ALERT_FIELDS],
      [
        'string against DateTimeOffset',
        "lastUpdateTime ge '2019-11-22T00:00:00Z'",
        ALERT_FIELDS,
        /incompatible types.*Edm.DateTimeOffset.*Edm.String.*GreaterThanOrEqual/,
      ],
      ['string against integer', "incidentId eq '5'", ALERT_FIELDS, /incompatible types/],
      ['number against enum', 'severity eq 5', ALERT_FIELDS, /incompatible types/],
      [
        'DateTimeOffset against string property',
        'assignedTo eq 2019-11-22T00:00:00Z',
        ALERT_FIELDS,
        /incompatible types/,
      ],
      ['properties of different types', 'incidentId eq lastUpdateTime', ALERT_FIELDS, /incompatible types/],
      ['ordering an enum', "severity gt 'Low'", ALERT_FIELDS, /use eq or ne/],
      ['unknown enum member', "severity eq 'Critical'", ALERT_FIELDS, /not a valid value for severity/],
      ['ordering against null', 'lastUpdateTime gt null', ALERT_FIELDS, /null/],
      ['unsupported function', "contains(computerDnsName,'fin')", MACHINE_FIELDS, /not supported/],
      ['unknown function', "foo(computerDnsName,'fin')", MACHINE_FIELDS, /unknown function/],
      ['function as a value', "tolower(computerDnsName) eq 'x'", MACHINE_FIELDS, /not supported/],
      ['startswith on an enum', "startswith(healthStatus,'Act')", MACHINE_FIELDS, /string property/],
      ['startswith with a number', 'startswith(computerDnsName, 5)', MACHINE_FIELDS, /string literal/],
      ['startswith with literal first', "startswith('ws', computerDnsName)", MACHINE_FIELDS],
      ['startswith compared to true', "startswith(computerDnsName,'ws') eq true", MACHINE_FIELDS, /unexpected/],
      ['trailing garbage', "severity eq 'High' extra", ALERT_FIELDS, /unexpected 'extra'/],
      ['trailing operator', "severity eq 'High' and", ALERT_FIELDS],
      ['unterminated string', "severity eq 'High", ALERT_FIELDS, /unterminated string/],
      ['unbalanced parenthesis', "(severity eq 'High'", ALERT_FIELDS, /expected '\)'/],
      ['stray closing parenthesis', "severity eq 'High')", ALERT_FIELDS, /unexpected '\)'/],
      ['empty parentheses', '()', ALERT_FIELDS],
      ['empty filter', '', ALERT_FIELDS, /empty/],
      ['blank filter', '   ', ALERT_FIELDS, /empty/],
      ['double quotes', 'severity eq "High"', ALERT_FIELDS, /unexpected character '"'/],
      ['C-style operator', "severity == 'High'", ALERT_FIELDS, /unexpected character '='/],
      ['datetime without zone', 'lastUpdateTime ge 2019-11-22T00:00:00', ALERT_FIELDS, /time zone/],
      ['impossible date', 'lastUpdateTime ge 2019-02-30Z', ALERT_FIELDS, /out of range/],
      ['eight fractional digits', 'lastUpdateTime ge 2019-11-22T00:00:00.12345678Z', ALERT_FIELDS],
      ['truncated date', 'lastSeen gt 2019-11', MACHINE_FIELDS, /malformed literal/],
      ['number glued to letters', 'incidentId eq 12abc', ALERT_FIELDS, /malformed literal/],
      ['unquoted machine id', `id eq ${FIN_WS}`, MACHINE_FIELDS, /malformed literal/],
      ['not without parentheses', "not severity eq 'High'", ALERT_FIELDS, /parenthesized/],
      ['collection compared directly', "machineTags eq 'VIP'", MACHINE_FIELDS, /collection/],
      ['lambda on a scalar', "computerDnsName/any(t: t eq 'x')", MACHINE_FIELDS, /collection property/],
      ['all() without a body', 'machineTags/all()', MACHINE_FIELDS, /lambda expression/],
      ['lambda without colon', "machineTags/any(t t eq 'x')", MACHINE_FIELDS],
      ['unknown quantifier', "machineTags/some(t: t eq 'x')", MACHINE_FIELDS, /any or all/],
      ['range variable outside its lambda', "machineTags/any(t: t eq 'x') and t eq 'y'", MACHINE_FIELDS, /named 't'/],
      ['malformed guid', "aadDeviceId eq 'not-a-guid'", MACHINE_FIELDS, /incompatible types/],
      ['ordering guids', "id gt 'a'", MACHINE_ACTION_FIELDS],
      ['null compared with null', 'null eq null', ALERT_FIELDS, /two literals/],
      ['lone keyword', 'and', ALERT_FIELDS],
    ];
    for (const [name, filter, spec, message] of cases) {
      it(`rejects ${name}: ${JSON.stringify(filter)}`, () => rejects(filter, spec, message));
    }

    it('rejects nesting deeper than the bound instead of overflowing the stack', () => {
      const deep = `${'('.repeat(200)}severity eq 'High'${')'.repeat(200)}`;
      rejects(deep, ALERT_FIELDS, /nests deeper/);
      const notChain = `${'not '.repeat(200)}(severity eq 'High')`;
      rejects(notChain, ALERT_FIELDS, /nests deeper/);
    });

    it('accepts moderate nesting', () => {
      const nested = `${'('.repeat(20)}severity eq 'High'${')'.repeat(20)}`;
      assert.deepEqual(alertsMatching(nested), [1, 3]);
    });
  });

  describe('DateTimeOffset helpers', () => {
    it('formats with 7 fractional digits and round-trips', () => {
      const date = new Date('2024-05-04T14:39:38.226Z');
      const text = toODataTimestamp(date);
      assert.equal(text, '2024-05-04T14:39:38.2260000Z');
      const parsed = parseDateTimeOffset(text);
      assert.ok(parsed.ok);
      assert.equal(parsed.ticks, BigInt(date.getTime()) * 10_000n);
    });
  });
});
