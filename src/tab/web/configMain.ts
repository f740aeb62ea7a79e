// The configurable tab's configuration page: one console per channel, nothing to choose, so Save is valid at once.
import './fluent';
import { app, pages } from '@microsoft/teams-js';
import { h, replaceChildren } from './dom';
import { Messages, pickLocale } from './i18n';
import { mainElement, setPageState, showStartupError } from './pageShell';
import { startInTeams } from './teamsHost';

/** The channel tab's settings: the console page in its channel view, one entity per channel, named in the channel's language. */
export function channelTabConfig(origin: string, name: string): pages.InstanceConfig {
  return {
    contentUrl: `${origin}/tab/?view=channel`,
    entityId: 'soc-console',
    suggestedDisplayName: name,
  };
}

async function start(): Promise<void> {
  const started = await startInTeams();
  if (!started) return;
  const { m } = started;
  pages.config.registerOnSaveHandler((saveEvent) => {
    pages.config.setConfig(channelTabConfig(window.location.origin, m.t('app.title'))).then(
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
