import type { HostPageConfig, TeamsTheme } from './teamsHostTypes';

/** Teams' themes with the names its settings show. */
export const THEME_LABELS: Record<TeamsTheme, string> = {
  default: 'Light (default)',
  dark: 'Dark',
  contrast: 'High contrast',
};

/** Languages the host page offers, as Teams writes them in a tab's context (lower case). */
export const LOCALE_LABELS: Record<string, string> = {
  'en-us': 'English (United States)',
  'pt-br': 'Português (Brasil)',
};

/** Escapes text for HTML element content and double-quoted attributes. */
export function escapeHtml(text: string): string {
  return text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

/** JSON that is safe inside a `<script type="application/json">` block (no `</script>`, no HTML comment). */
export function jsonForScriptBlock(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/**
 * The host page's Content-Security-Policy: its own script and style only, frames only from the tab's origins,
 * no plugins, no forms posting anywhere, and it may not itself be framed.
 */
export function hostPageCsp(tabOrigins: string[]): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "connect-src 'self'",
    "img-src 'self' data:",
    `frame-src ${tabOrigins.join(' ')}`,
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

/** The places a tab can be opened in: the personal tab, and per channel its tab and (with a config page) "add a tab". */
export function placeOptions(config: HostPageConfig): Array<{ value: string; label: string }> {
  const places = [{ value: 'personal', label: 'Personal tab' }];
  for (const channel of config.team.channels) {
    places.push({ value: `channel:${channel.id}`, label: `Channel tab in ${config.team.name} › ${channel.name}` });
  }
  if (config.configUrl) {
    for (const channel of config.team.channels) {
      places.push({
        value: `configure:${channel.id}`,
        label: `Add the tab to ${config.team.name} › ${channel.name} (configuration page)`,
      });
    }
  }
  return places;
}

function options(list: Array<{ value: string; label: string }>): string {
  return list.map((o) => `<option value="${escapeHtml(o.value)}">${escapeHtml(o.label)}</option>`).join('');
}

/** The host page: labelled controls (persona, theme, language, place), the tab's iframe and the config bar. */
export function renderHostPage(config: HostPageConfig): string {
  const personas = config.personas.map((p) => ({
    value: p.aadObjectId,
    label: `${p.displayName} (${p.userPrincipalName})`,
  }));
  const themes = (Object.keys(THEME_LABELS) as TeamsTheme[]).map((t) => ({ value: t, label: THEME_LABELS[t] }));
  const locales = config.locales.map((l) => ({ value: l, label: LOCALE_LABELS[l] ?? l }));
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Teams host (demo) · Defender SOC Bot</title>
<link rel="stylesheet" href="/host.css">
<script src="/host.js" defer></script>
</head>
<body>
<header>
<h1>Teams host (demo)</h1>
<form id="controls" aria-label="Teams host settings">
<div class="field"><label for="persona">Signed in as</label><select id="persona">${options(personas)}</select></div>
<div class="field"><label for="theme">Theme</label><select id="theme">${options(themes)}</select></div>
<div class="field"><label for="locale">Language</label><select id="locale">${options(locales)}</select></div>
<div class="field"><label for="place">Open the tab in</label><select id="place">${options(placeOptions(config))}</select></div>
</form>
<p id="status" role="status" aria-live="polite"></p>
</header>
<main>
<div id="config-bar" hidden>
<p>Configure the tab, then save it to the channel.</p>
<button type="button" id="save" disabled>Save</button>
</div>
<iframe id="tab" title="SOC console tab" sandbox="allow-scripts allow-same-origin allow-forms allow-modals allow-popups allow-popups-to-escape-sandbox allow-downloads"></iframe>
<details id="unanswered">
<summary>Calls this host does not answer (<span id="unanswered-count">0</span>)</summary>
<ul id="unanswered-list"></ul>
</details>
</main>
<script type="application/json" id="host-config">${jsonForScriptBlock(config)}</script>
</body>
</html>
`;
}

/** The host page's stylesheet (served as /host.css: the CSP allows no inline style). */
export const HOST_CSS = `
html, body { height: 100%; margin: 0; }
body { display: flex; flex-direction: column; font: 14px/1.4 "Segoe UI", system-ui, sans-serif; color: #242424; background: #f5f5f5; }
header { display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px; padding: 8px 16px; background: #464775; color: #ffffff; }
header h1 { font-size: 16px; margin: 0; }
#controls { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: center; }
.field { display: flex; gap: 6px; align-items: center; }
select, button { font: inherit; padding: 4px 8px; border-radius: 4px; border: 1px solid #616161; background: #ffffff; color: #242424; }
select:focus-visible, button:focus-visible, summary:focus-visible { outline: 3px solid #ffb900; outline-offset: 2px; }
#status { margin: 0; min-height: 1.4em; }
main { flex: 1; display: flex; flex-direction: column; min-height: 0; }
#tab { flex: 1; width: 100%; border: 0; background: #ffffff; }
#config-bar { display: flex; gap: 16px; align-items: center; padding: 8px 16px; background: #ffffff; border-bottom: 1px solid #d1d1d1; }
#config-bar[hidden] { display: none; }
#config-bar p { margin: 0; }
#save { background: #464775; color: #ffffff; border-color: #464775; }
#save:disabled { background: #e0e0e0; color: #424242; border-color: #bdbdbd; }
#unanswered { padding: 4px 16px; background: #ffffff; border-top: 1px solid #d1d1d1; }
#unanswered ul { margin: 4px 0; font-family: ui-monospace, monospace; }
`;
