// The configurable tab's configuration page: one console per channel, nothing to choose, so Save is valid at once.
import './fluent';
import { app, pages } from '@microsoft/teams-js';
import { h, replaceChildren } from './dom';
import { Messages, pickLocale } from './i18n';
import { mainElement, setPageLanguage, setPageState, showOutsideTeams, showStartupError } from './pageShell';
import { HostTimeoutError, initializeTeams, isFramed, loadTabSettings } from './teamsHost';
import { applyTeamsTheme } from './theme';

/** The channel tab's settings: the console page in its channel view, one entity per channel. */
export function channelTabConfig(origin: string): pages.InstanceConfig {
  return {
    contentUrl: `${origin}/tab/?view=channel`,
    entityId: 'soc-console',
    suggestedDisplayName: 'SOC console',
  };
}

async function start(): Promise<void> {
  const browserMessages = new Messages(pickLocale(navigator.language));
  if (!isFramed()) return showOutsideTeams(browserMessages);
  try {
    const settings = await loadTabSettings();
    await initializeTeams(settings.validMessageOrigins);
  } catch (error) {
    if (error instanceof HostTimeoutError) return showOutsideTeams(browserMessages);
    return showStartupError(browserMessages, browserMessages.t('error.start'));
  }
  const context = await app.getContext();
  const m = new Messages(pickLocale(context.app.locale || navigator.language));
  setPageLanguage(m);
  applyTeamsTheme(context.app.theme);
  app.registerOnThemeChangeHandler((theme) => applyTeamsTheme(theme));
  pages.config.registerOnSaveHandler((saveEvent) => {
    pages.config.setConfig(channelTabConfig(window.location.origin)).then(
      () => saveEvent.notifySuccess(),
      () => saveEvent.notifyFailure(m.t('config.saveFailed')),
    );
  });
  pages.config.setValidityState(true);
  replaceChildren(
    mainElement(),
    h(
      'section',
      { class: 'explain', 'data-testid': 'config' },
      h('h1', null, m.t('config.title')),
      h('p', null, m.t('config.what')),
      h('p', null, m.t('config.save')),
    ),
  );
  setPageState('ready');
  void app.notifySuccess();
}

start().catch(() => {
  const m = new Messages(pickLocale(navigator.language));
  showStartupError(m, m.t('error.start'));
});
