import fs from 'node:fs';
import type restify from 'restify';
import type { ConsentOutcome } from '../customers/customerOnboarding';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';

/** What the sign-in pages need from the auth layer (src/auth/interactiveSignIn.ts). */
export interface SignInPagesBackend {
  /** The authority's authorize URL for an offered sign-in. */
  authorizeUrl(id: string): Promise<string>;
  /** Redeems the code and returns the one-time code Teams will send back in `signin/verifyState`. */
  complete(input: { state: string; code: string }): Promise<string>;
}

/** What the admin-consent page needs from onboarding (src/customers/customerOnboarding.ts `CustomerOnboarding`). */
export interface ConsentPagesBackend {
  /** Checks and records the redirect; storage failures reject. */
  complete(query: Record<string, unknown>): Promise<ConsentOutcome>;
}

/** No script but our own files, no framing, no referrer (the code and state stay out of other sites' logs). */
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'cache-control': 'no-store',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** Runs inside the Teams sign-in window: hands the one-time code (or the failure) back to Teams. */
const END_SCRIPT = `(function () {
  var body = document.body;
  microsoftTeams.app.initialize().then(function () {
    if (body.dataset.code) microsoftTeams.authentication.notifySuccess(body.dataset.code);
    else microsoftTeams.authentication.notifyFailure(body.dataset.error || 'sign-in failed');
  });
})();
`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(
  res: restify.Response,
  status: number,
  title: string,
  message: string,
  data: Record<string, string> = {},
  script = false,
): void {
  const attributes = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${
    script ? '<script src="/auth/teams-js.js"></script>' : ''
  }</head><body${attributes}><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${
    script ? '<script src="/auth/end.js"></script>' : ''
  }</body></html>`;
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', ...SECURITY_HEADERS });
  res.end(html);
}

/**
 * The pages of the Teams sign-in button fallback and of admin consent:
 * `/auth/start?id=…` → the authority (PKCE, claims challenge); `/auth/end` ← the authority: redeems the
 * code and gives Teams a one-time code via teams-js; `/auth/consent` ← admin consent's redirect.
 */
export function registerAuthPages(
  server: restify.Server,
  backend: SignInPagesBackend,
  logger: Logger,
  consent?: ConsentPagesBackend,
): void {
  const teamsJs = fs.readFileSync(require.resolve('@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js'), 'utf8');
  const script = (res: restify.Response, body: string) => {
    res.writeHead(200, {
      'content-type': 'application/javascript; charset=utf-8',
      'cache-control': 'public, max-age=3600',
      'x-content-type-options': 'nosniff',
    });
    res.end(body);
  };
  server.get('/auth/teams-js.js', (_req, res, next) => {
    script(res, teamsJs);
    return next();
  });
  server.get('/auth/end.js', (_req, res, next) => {
    script(res, END_SCRIPT);
    return next();
  });

  server.get('/auth/start', async (req, res) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const id = typeof query.id === 'string' ? query.id : '';
    try {
      const url = await backend.authorizeUrl(id);
      res.writeHead(302, { location: url, ...SECURITY_HEADERS });
      res.end();
    } catch (err) {
      logger.warn({ err: serializeError(err) }, 'sign-in start refused');
      page(
        res,
        400,
        'Sign-in expired',
        'This sign-in link is no longer valid. Go back to Teams and send your command again.',
      );
    }
  });

  server.get('/auth/end', async (req, res) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    const state = typeof query.state === 'string' ? query.state : '';
    const code = typeof query.code === 'string' ? query.code : '';
    if (typeof query.error === 'string' || !code || !state) {
      const reason = typeof query.error === 'string' ? query.error.slice(0, 64) : 'missing code';
      logger.warn({ reason }, 'sign-in returned an error');
      page(
        res,
        400,
        'Sign-in failed',
        'Microsoft Entra ID did not sign you in. Close this window and try again.',
        { error: reason },
        true,
      );
      return;
    }
    try {
      const magicCode = await backend.complete({ state, code });
      page(res, 200, 'Signed in', 'You are signed in. This window closes by itself.', { code: magicCode }, true);
    } catch (err) {
      logger.warn({ err: serializeError(err) }, 'sign-in completion refused');
      page(
        res,
        400,
        'Sign-in failed',
        'This sign-in could not be completed. Close this window and try again.',
        { error: 'not_completed' },
        true,
      );
    }
  });

  if (consent) {
    registerConsentPage(server, consent, logger);
    return;
  }
  server.get('/auth/consent', (req, res, next) => {
    ownTenantConsentPage(res, (req.query ?? {}) as Record<string, unknown>);
    return next();
  });
}

/**
 * The answer to a consent redirect that carries no `state`: an organisation's administrator consented for their own
 * tenant from a "connect tenant" or consent-required link (no onboarding pending). Entra has recorded that consent
 * already; the page only says so, and nothing is recorded here.
 */
function ownTenantConsentPage(res: restify.Response, query: Record<string, unknown>): void {
  if (query.admin_consent === 'True') {
    page(res, 200, 'Consent granted', 'Your organisation is connected. Go back to Teams and send your command again.');
  } else {
    const reason = typeof query.error === 'string' ? query.error.slice(0, 64) : 'unknown';
    page(
      res,
      400,
      'Consent not granted',
      `Admin consent was not granted (${reason}). A Global Administrator must approve the request.`,
    );
  }
}

/**
 * `/auth/consent` ← admin consent's redirect for a customer being onboarded: hands the query to onboarding (which
 * takes the `state` once and checks the tenant) and says what happened. A forged, expired or replayed state gets a
 * 400 page and changes nothing; a redirect without a state is an organisation consenting for itself ("connect
 * tenant") and gets the page it always got. The query (state, tenant, Entra's description) is never logged; every
 * customer-supplied or Entra-supplied word on the page is escaped.
 */
export function registerConsentPage(server: restify.Server, backend: ConsentPagesBackend, logger: Logger): void {
  server.get('/auth/consent', async (req, res) => {
    const query = (req.query ?? {}) as Record<string, unknown>;
    let outcome: ConsentOutcome;
    try {
      outcome = await backend.complete(query);
    } catch (err) {
      logger.error({ err: serializeError(err) }, 'admin consent could not be recorded');
      page(
        res,
        503,
        'Consent not recorded',
        'The bot could not record this consent right now (its storage is unavailable). Ask your provider to send a new consent link.',
      );
      return;
    }
    logger.info(
      { outcome: outcome.kind, ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}) },
      'admin consent redirect',
    );
    switch (outcome.kind) {
      case 'connected':
        page(
          res,
          200,
          `${outcome.customer.name} is connected`,
          `${outcome.customer.name} is connected: go back to Teams, \`tenants\` shows it.`,
        );
        return;
      case 'failed':
        page(
          res,
          400,
          'Consent not granted',
          `${outcome.customer.name} is not connected: admin consent was not granted (${outcome.failure}). ` +
            'A Global Administrator of that organisation must approve the request; ask your provider for a new link.',
        );
        return;
      case 'rejected':
        if (outcome.reason === 'missingState') {
          ownTenantConsentPage(res, query);
          return;
        }
        page(
          res,
          400,
          'Consent link not valid',
          outcome.reason === 'tenantMismatch'
            ? 'This consent link was made for another organisation. Nothing was recorded; ask your provider for a link for yours.'
            : 'This consent link is unknown, expired or already used. Nothing was recorded; ask your provider for a new link.',
        );
        return;
    }
  });
}
