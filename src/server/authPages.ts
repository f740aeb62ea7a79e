import fs from 'node:fs';
import type restify from 'restify';
import type { ConsentOutcome } from '../customers/customerOnboarding';
import type { Logger } from '../logging/logger';
import { serializeError } from '../logging/logger';
import type { MessageKey } from '../i18n/catalogues';
import { negotiateLocale } from '../i18n/locale';
import type { MessageValues } from '../i18n/translator';
import { translatorFor } from '../i18n/translator';

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

/** One page's words: a catalogue key for its title and one for its message, with the values they take. */
interface PageText {
  title: AuthPageKey;
  message: AuthPageKey;
  values?: MessageValues;
}

/** The catalogue keys of these pages (src/i18n/locales/<locale>/common.json, `authPage.*`). */
type AuthPageKey = Extract<MessageKey, `authPage.${string}`>;

/**
 * Writes a page in the browser's language (Accept-Language, negotiated between English and Brazilian Portuguese),
 * `<html lang>` set to it. Every word that came from outside (a customer's name, Entra's error code) is escaped.
 */
function page(
  req: restify.Request,
  res: restify.Response,
  status: number,
  text: PageText,
  data: Record<string, string> = {},
  script = false,
): void {
  const locale = negotiateLocale(req.header('accept-language'));
  const i18n = translatorFor(locale);
  const title = i18n.t(text.title, text.values);
  const message = i18n.t(text.message, text.values);
  const attributes = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${escapeHtml(v)}"`)
    .join('');
  const html = `<!doctype html><html lang="${locale}"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>${
    script ? '<script src="/auth/teams-js.js"></script>' : ''
  }</head><body${attributes}><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>${
    script ? '<script src="/auth/end.js"></script>' : ''
  }</body></html>`;
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'content-language': locale,
    vary: 'accept-language',
    ...SECURITY_HEADERS,
  });
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
      page(req, res, 400, { title: 'authPage.signInExpired.title', message: 'authPage.signInExpired.text' });
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
        req,
        res,
        400,
        { title: 'authPage.signInFailed.title', message: 'authPage.signInFailed.entra' },
        { error: reason },
        true,
      );
      return;
    }
    try {
      const magicCode = await backend.complete({ state, code });
      page(
        req,
        res,
        200,
        { title: 'authPage.signedIn.title', message: 'authPage.signedIn.text' },
        { code: magicCode },
        true,
      );
    } catch (err) {
      logger.warn({ err: serializeError(err) }, 'sign-in completion refused');
      page(
        req,
        res,
        400,
        { title: 'authPage.signInFailed.title', message: 'authPage.signInFailed.notCompleted' },
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
    ownTenantConsentPage(req, res, (req.query ?? {}) as Record<string, unknown>);
    return next();
  });
}

/**
 * The answer to a consent redirect that carries no `state`: an organisation's administrator consented for their own
 * tenant from a "connect tenant" or consent-required link (no onboarding pending). Entra has recorded that consent
 * already; the page only says so, and nothing is recorded here.
 */
function ownTenantConsentPage(req: restify.Request, res: restify.Response, query: Record<string, unknown>): void {
  if (query.admin_consent === 'True') {
    page(req, res, 200, { title: 'authPage.consentGranted.title', message: 'authPage.consentGranted.text' });
  } else {
    const reason = typeof query.error === 'string' ? query.error.slice(0, 64) : 'unknown';
    page(req, res, 400, {
      title: 'authPage.consentNotGranted.title',
      message: 'authPage.consentNotGranted.text',
      values: { reason },
    });
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
      page(req, res, 503, { title: 'authPage.consentNotRecorded.title', message: 'authPage.consentNotRecorded.text' });
      return;
    }
    logger.info(
      { outcome: outcome.kind, ...(outcome.kind === 'rejected' ? { reason: outcome.reason } : {}) },
      'admin consent redirect',
    );
    switch (outcome.kind) {
      case 'connected':
        page(req, res, 200, {
          title: 'authPage.customerConnected.title',
          message: 'authPage.customerConnected.text',
          values: { customer: outcome.customer.name },
        });
        return;
      case 'failed':
        page(req, res, 400, {
          title: 'authPage.consentNotGranted.title',
          message: 'authPage.customerNotConnected.text',
          values: { customer: outcome.customer.name, failure: outcome.failure },
        });
        return;
      case 'rejected':
        if (outcome.reason === 'missingState') {
          ownTenantConsentPage(req, res, query);
          return;
        }
        page(req, res, 400, {
          title: 'authPage.linkNotValid.title',
          message:
            outcome.reason === 'tenantMismatch' ? 'authPage.linkNotValid.otherTenant' : 'authPage.linkNotValid.unknown',
        });
        return;
    }
  });
}
