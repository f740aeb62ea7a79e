import { h } from './dom';

/** One view's tab and panel. */
export interface TabSpec {
  key: string;
  label: string;
  /** Called the first time the tab is shown (and builds the view), then on every later showing. */
  onShow: (panel: HTMLElement) => void;
}

/**
 * The views as a Fluent tablist with one panel each (role tabpanel, labelled by its tab); only the selected panel
 * is shown. Answers the tablist and the panels' container.
 */
export function buildConsoleTabs(specs: TabSpec[], label: string): { tablist: HTMLElement; panels: HTMLElement } {
  const panels = h('div', { class: 'panels' });
  const byId = new Map<string, { spec: TabSpec; panel: HTMLElement }>();
  const tablist = h('fluent-tablist', { 'data-testid': 'views', 'aria-label': label });
  for (const spec of specs) {
    const tabId = `tab-${spec.key}`;
    const panel = h('div', {
      role: 'tabpanel',
      id: `panel-${spec.key}`,
      'aria-labelledby': tabId,
      'data-testid': `panel-${spec.key}`,
      tabindex: 0,
      hidden: true,
    });
    tablist.append(h('fluent-tab', { id: tabId, 'aria-controls': panel.id, 'data-testid': tabId }, spec.label));
    panels.append(panel);
    byId.set(tabId, { spec, panel });
  }
  const show = (tabId: string) => {
    for (const [id, { spec, panel }] of byId) {
      panel.hidden = id !== tabId;
      if (id === tabId) spec.onShow(panel);
    }
  };
  tablist.addEventListener('change', () => show((tablist as HTMLElement & { activeid: string }).activeid));
  const first = specs[0];
  if (first) show(`tab-${first.key}`);
  return { tablist, panels };
}
