import { app } from '@microsoft/teams-js';
import { Messages, pickLocale } from './i18n';
import { setPageLanguage, showOutsideTeams, showStartupError } from './pageShell';
import { applyTeamsTheme } from './theme';

/** How long the Teams host gets to answer `app.initialize` before the page explains it is not inside Teams. */
export const INITIALIZE_TIMEOUT_MS = 5000;

/** True when the page is the top window: Teams always frames a tab, so a top-level page is outside Teams. */
export function isFramed(win: Window = window): boolean {
  try {
    return win.self !== win.top;
  } catch {
    // A cross-origin parent makes `top` inaccessible in some browsers: that is a framed page.
    return true;
  }
}

/** `GET /tab/settings.json` (public): which host origins teams-js may talk to besides Teams' own. */
export async function loadTabSettings(): Promise<{ validMessageOrigins: string[] }> {
  const response = await fetch('settings.json', { headers: { Accept: 'application/json' } });
  if (!response.ok) throw new Error(`settings.json answered ${response.status}`);
  const body = (await response.json()) as { validMessageOrigins?: unknown };
  const origins = Array.isArray(body.validMessageOrigins)
    ? body.validMessageOrigins.filter((o): o is string => typeof o === 'string')
    : [];
  return { validMessageOrigins: origins };
}

/** Thrown when the host did not answer `app.initialize` in time (the page is framed by something not Teams). */
export class HostTimeoutError extends Error {
  constructor() {
    super('The Teams host did not answer app.initialize in time');
    this.name = 'HostTimeoutError';
  }
}

/** `app.initialize`, but giving up after `timeoutMs` instead of waiting forever for a host that is not there. */
export async function initializeTeams(validMessageOrigins: string[], timeoutMs = INITIALIZE_TIMEOUT_MS): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new HostTimeoutError()), timeoutMs);
  });
  try {
    await Promise.race([
      validMessageOrigins.length > 0 ? app.initialize(validMessageOrigins) : app.initialize(),
      timeout,
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * What every page of the tab does first: outside Teams (not framed, or a frame that never answers) it explains
 * itself and stops; otherwise teams-js is initialised, the page takes Teams' language and theme (and follows theme
 * changes), and the context comes back. Undefined when the page has already said why it cannot go on.
 */
export async function startInTeams(): Promise<{ context: app.Context; m: Messages } | undefined> {
  const browserMessages = new Messages(pickLocale(navigator.language));
  if (!isFramed()) {
    showOutsideTeams(browserMessages);
    return undefined;
  }
  try {
    const settings = await loadTabSettings();
    await initializeTeams(settings.validMessageOrigins);
  } catch (error) {
    if (error instanceof HostTimeoutError) showOutsideTeams(browserMessages);
    else showStartupError(browserMessages, browserMessages.t('error.start'));
    return undefined;
  }
  const context = await app.getContext();
  const m = new Messages(pickLocale(context.app.locale || navigator.language));
  setPageLanguage(m);
  applyTeamsTheme(context.app.theme);
  app.registerOnThemeChangeHandler((theme) => applyTeamsTheme(theme));
  return { context, m };
}
