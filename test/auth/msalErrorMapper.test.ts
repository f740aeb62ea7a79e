import assert from 'node:assert/strict';
import { AuthError, InteractionRequiredAuthError, ServerError } from '@azure/msal-node';
import { toAppError } from '../../src/auth/msalErrorMapper';
import type { MsalErrorContext } from '../../src/auth/msalErrorMapper';
import { AppError } from '../../src/errors';

const context: MsalErrorContext = {
  flow: 'onBehalfOf',
  clientId: 'b0700000-0000-4000-8000-000000000001',
  authorityHost: 'https://login.microsoftonline.com',
  tenantId: 'aaaaaaaa-0000-4000-8000-00000000000a',
};
const LEAKY = 'Description: server text with eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln\r\nTrace ID: 1';

describe('toAppError (msal → AppError)', () => {
  it('maps consent_required to consentRequired with the admin consent URL of the tenant', () => {
    const err = toAppError(
      new InteractionRequiredAuthError('invalid_grant', 'c', LEAKY, 'consent_required', '', '', '', '65001'),
      context,
    );
    assert.equal(err.code, 'consentRequired');
    assert.equal(
      err.details.consentUrl,
      'https://login.microsoftonline.com/aaaaaaaa-0000-4000-8000-00000000000a/adminconsent?client_id=b0700000-0000-4000-8000-000000000001',
    );
    assert.equal(err.details.upstreamCode, 'AADSTS65001');
  });

  it('keeps only the OAuth error and AADSTS code in the message, the msal error as cause', () => {
    const original = new ServerError('invalid_grant', 'c', LEAKY, undefined, '500133');
    const err = toAppError(original, context);
    assert.equal(err.code, 'notSignedIn');
    assert.equal(err.message, 'on-behalf-of token request refused (invalid_grant AADSTS500133)');
    assert.equal(err.cause, original);
  });

  it('carries the claims challenge of interaction_required', () => {
    const claims = '{"access_token":{"capolids":{"essential":true,"values":["p"]}}}';
    const err = toAppError(
      new InteractionRequiredAuthError('interaction_required', 'c', LEAKY, '', '', '', claims, '50079'),
      context,
    );
    assert.equal(err.code, 'interactionRequired');
    assert.equal(err.details.claims, claims);
  });

  it('maps the remaining documented failures', () => {
    const cases: Array<[AuthError, AppError['code']]> = [
      [new ServerError('invalid_client', 'c', LEAKY, undefined, '7000215'), 'clientCredentialsInvalid'],
      [new ServerError('unauthorized_client', 'c', LEAKY, undefined, '700016'), 'clientCredentialsInvalid'],
      [new ServerError('invalid_grant', 'c', LEAKY, undefined, '50034'), 'userNotInTenant'],
      [new ServerError('invalid_request', 'c', LEAKY, undefined, '90002'), 'userNotInTenant'],
      [new ServerError('invalid_grant', 'c', LEAKY, undefined, '50013'), 'notSignedIn'],
      [new ServerError('temporarily_unavailable', 'c', LEAKY), 'upstreamUnavailable'],
      [new AuthError('network_error', 'c', 'identity provider request failed (timeout)'), 'upstreamUnavailable'],
      [new AuthError('openid_config_error', 'c'), 'upstreamUnavailable'],
      [new ServerError('invalid_scope', 'c', LEAKY, undefined, '70011'), 'internal'],
    ];
    for (const [error, code] of cases) {
      const mapped = toAppError(error, context);
      assert.equal(mapped.code, code, error.errorCode);
      assert.ok(!mapped.message.includes('eyJ') && !mapped.message.includes('Trace ID'), mapped.message);
    }
  });

  it('passes AppErrors through and wraps anything else as internal', () => {
    const appError = new AppError('notSignedIn', 'x');
    assert.equal(toAppError(appError, context), appError);
    const mapped = toAppError(new TypeError(`boom ${LEAKY}`), { ...context, flow: 'clientCredentials' });
    assert.equal(mapped.code, 'internal');
    assert.ok(!mapped.message.includes('eyJ'));
  });
});
