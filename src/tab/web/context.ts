import type { TabMe } from '../tabApiTypes';
import type { Messages } from './i18n';
import type { StatusBar } from './statusBar';
import type { TabApi } from './tabApi';

/** What every view needs: the API, the language, who the viewer is, the channel (channel tab only), the status line. */
export interface TabContext {
  api: TabApi;
  m: Messages;
  me: TabMe;
  channelId: string | undefined;
  status: StatusBar;
}

/** A view of the tab: built once into its panel, refreshed on demand (polls, decisions, filters). */
export interface TabView {
  /** Loads (or reloads) the view's data; resolves when the view shows it. */
  refresh(): Promise<void>;
}
