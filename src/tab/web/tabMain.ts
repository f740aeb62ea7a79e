// The console tab's page (personal and channel tab alike): start, sign in through Teams, show the views.
import './fluent';
import { app, authentication } from '@microsoft/teams-js';
import type { TabMe } from '../tabApiTypes';
import { buildConsoleTabs, type TabSpec } from './consoleTabs';
import type { TabContext } from './context';
import { h, replaceChildren } from './dom';
import { Messages, pickLocale } from './i18n';
import { mainElement, setPageState, showStartupError } from './pageShell';
import { pollWhileVisible } from './poller';
import { StatusBar, describeError } from './statusBar';
import { TabApi } from './tabApi';
import { startInTeams } from './teamsHost';
import { ActionsView } from './views/actionsView';
import { ApprovalsView } from './views/approvalsView';
import { AuditView } from './views/auditView';
import { SubscriptionsView } from './views/subscriptionsView';

/** Performance marks the bench reads: the first queue request sent, and the queue rendered and clickable. */
export const QUEUE_REQUESTED_MARK = 'soc-console:queue-requested';
export const QUEUE_USABLE_MARK = 'soc-console:queue-usable';

async function start(): Promise<void> {
  const started = await startInTeams();
  if (!started) return;
  const { context, m } = started;
  document.title = m.t('app.title');

  const api = new TabApi(() => authentication.getAuthToken(), m.locale);
  let me: TabMe;
  try {
    const answer = await api.get<TabMe>('/api/tab/me');
    if (!answer.modified) throw new Error('/api/tab/me answered 304 to a request without an ETag');
    me = answer.body;
  } catch (error) {
    // Tell the host as well, so Teams shows its own failure state instead of a spinner.
    void app.notifyFailure({ reason: app.FailedReason.AuthFailed, message: 'sign-in failed' });
    return showStartupError(m, `${m.t('error.signIn')} ${describeError(m, error)}`);
  }
  await showConsole({ api, m, me, channelId: context.channel?.id, status: new StatusBar(m) });
}

async function showConsole(ctx: TabContext): Promise<void> {
  const { m, me } = ctx;
  let approvals: ApprovalsView | undefined;
  let actions: ActionsView | undefined;
  let audit: AuditView | undefined;
  let subscriptions: SubscriptionsView | undefined;
  const report = (error: unknown) => ctx.status.showError(error);
  const refreshBoth = (force: boolean) => {
    // A failure is shown until a later refresh of the same views succeeds.
    void Promise.all([approvals?.refresh(force), actions?.refresh(force)]).then(() => ctx.status.clearError(), report);
  };

  const specs: TabSpec[] = [
    {
      key: 'approvals',
      label: m.t('view.approvals'),
      onShow: (panel) => {
        approvals ??= new ApprovalsView(ctx, panel, () => refreshBoth(true));
      },
    },
    {
      key: 'actions',
      label: m.t('view.actions'),
      onShow: (panel) => {
        if (actions) return;
        actions = new ActionsView(ctx, panel, () => refreshBoth(true));
        void actions.refresh().catch(report);
      },
    },
  ];
  if (me.can.readAudit)
    specs.push({
      key: 'audit',
      label: m.t('view.audit'),
      onShow: (panel) => {
        if (audit) return;
        audit = new AuditView(ctx, panel);
        void audit.refresh().catch(report);
      },
    });
  const channelId = ctx.channelId;
  if (channelId !== undefined)
    specs.push({
      key: 'subscriptions',
      label: m.t('view.subscriptions'),
      onShow: (panel) => {
        if (subscriptions) return;
        subscriptions = new SubscriptionsView({ ...ctx, channelId }, panel);
        void subscriptions.refresh().catch(report);
      },
    });

  const { tablist, panels } = buildConsoleTabs(specs, m.t('view.tablist'));
  replaceChildren(
    mainElement(),
    h(
      'header',
      { class: 'console-header' },
      h('h1', null, m.t('app.title')),
      h(
        'p',
        { class: 'muted', 'data-testid': 'viewer' },
        m.t('app.signedInAs', { name: me.user.displayName, tenant: me.tenant.name ?? me.tenant.id }),
      ),
    ),
    ctx.status.element,
    tablist,
    panels,
  );
  performance.mark(QUEUE_REQUESTED_MARK);
  try {
    await approvals?.refresh();
  } catch (error) {
    report(error);
  }
  pollWhileVisible(() => refreshBoth(false));
  setPageState('ready');
  performance.mark(QUEUE_USABLE_MARK);
  void app.notifySuccess();
}

start().catch(() => {
  const m = new Messages(pickLocale(navigator.language));
  showStartupError(m, m.t('error.start'));
});
