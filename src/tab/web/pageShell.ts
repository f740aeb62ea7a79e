import { h, replaceChildren } from './dom';
import type { Messages } from './i18n';

/** The page's states, for tests and for CSS: loading until one of the others. */
export type PageState = 'ready' | 'outsideTeams' | 'error';

/** The `<main>` every page renders into (index.html and config.html both have one). */
export function mainElement(): HTMLElement {
  return document.getElementById('app') ?? document.body.appendChild(h('main', { id: 'app' }));
}

/** Marks the page as loaded in a state: `body[data-state]`, and `<main aria-busy>` off. */
export function setPageState(state: PageState): void {
  document.body.dataset.state = state;
  mainElement().removeAttribute('aria-busy');
}

/** Sets `<html lang>` to the language the page speaks. */
export function setPageLanguage(m: Messages): void {
  document.documentElement.lang = m.locale;
}

/**
 * The page outside Teams (opened directly, or framed by something that never answered as a Teams host): what this
 * is and how to open it, in the browser's language — never a blank page.
 */
export function showOutsideTeams(m: Messages): void {
  setPageLanguage(m);
  document.title = m.t('app.title');
  replaceChildren(
    mainElement(),
    h(
      'section',
      { class: 'explain', 'data-testid': 'outside-teams' },
      h('h1', null, m.t('app.title')),
      h('p', null, m.t('outside.what')),
      h('h2', null, m.t('outside.howTitle')),
      h('ul', null, h('li', null, m.t('outside.howTeams')), h('li', null, m.t('outside.howDemo'))),
    ),
  );
  setPageState('outsideTeams');
}

/** A failure before the tab could start (sign-in, settings, the server): said in words, never a blank page. */
export function showStartupError(m: Messages, text: string): void {
  setPageLanguage(m);
  replaceChildren(
    mainElement(),
    h(
      'section',
      { class: 'explain', 'data-testid': 'startup-error' },
      h('h1', null, m.t('app.title')),
      h('p', { role: 'alert' }, text),
      h('p', null, m.t('error.reload')),
    ),
  );
  setPageState('error');
}
