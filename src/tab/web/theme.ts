import { teamsDarkTheme, teamsHighContrastTheme, teamsLightTheme } from '@fluentui/tokens';
import { setTheme } from '@fluentui/web-components/theme/set-theme.js';

/** The Teams theme names the host sends ('default' | 'dark' | 'contrast'; anything else is treated as 'default'). */
export type TeamsThemeName = 'default' | 'dark' | 'contrast';

/** Normalises what the host says ('glass' and unknown names become 'default'). */
export function teamsThemeName(raw: string | undefined): TeamsThemeName {
  return raw === 'dark' || raw === 'contrast' ? raw : 'default';
}

/**
 * Applies a Teams theme: Fluent's tokens as CSS variables on the document (a constructed style sheet in
 * `adoptedStyleSheets`, which CSP's style-src does not govern) and `body[data-theme]` for tests and CSS.
 */
export function applyTeamsTheme(raw: string | undefined): TeamsThemeName {
  const name = teamsThemeName(raw);
  setTheme(name === 'dark' ? teamsDarkTheme : name === 'contrast' ? teamsHighContrastTheme : teamsLightTheme);
  document.body.dataset.theme = name;
  return name;
}
