import type { DecisionResponse, QueueItem, QueueResponse } from '../../tabApiTypes';
import type { TabContext, TabView } from '../context';
import { askForText } from '../dialogs';
import { h, refreshTimes, replaceChildren, timeOf } from '../dom';
import type { MessageKey } from '../i18n';

/** Why the viewer cannot decide an item, in the words of the locale files. */
const whyNot: Record<Exclude<QueueItem['viewer'], 'decide'>, MessageKey> = {
  selfApproval: 'approvals.why.selfApproval',
  alreadyApprovedByYou: 'approvals.why.alreadyApprovedByYou',
  missingRole: 'approvals.why.missingRole',
  refusedByDefenderBefore: 'approvals.why.refusedByDefenderBefore',
};

/**
 * The approvals queue: the tenant's pending requests, oldest first, with Approve / Reject for those the viewer may
 * decide and the reason for the others. Rows are built in one fragment and clicks are delegated to the table, so
 * 500 requests stay quick to render and to use.
 */
export class ApprovalsView implements TabView {
  private etag: string | undefined;
  private readonly body: HTMLTableSectionElement;
  private readonly summary: HTMLElement;
  private readonly table: HTMLTableElement;
  private items = new Map<string, QueueItem>();

  constructor(
    private readonly ctx: TabContext,
    panel: HTMLElement,
    private readonly onChanged: () => void,
  ) {
    const { m } = ctx;
    this.summary = h('p', { class: 'summary', 'data-testid': 'approvals-summary' });
    this.body = h('tbody');
    this.table = h(
      'table',
      { class: 'grid', 'data-testid': 'approvals-table' },
      h('caption', { class: 'visually-hidden' }, m.t('approvals.caption')),
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          ...(
            [
              'approvals.col.request',
              'approvals.col.requester',
              'approvals.col.reason',
              'approvals.col.risk',
              'approvals.col.age',
              'approvals.col.expires',
              'approvals.col.decision',
            ] as const
          ).map((key) => h('th', { scope: 'col' }, m.t(key))),
        ),
      ),
      this.body,
    );
    this.body.addEventListener('click', (event) => this.onClick(event));
    replaceChildren(panel, this.summary, h('div', { class: 'table-scroll' }, this.table));
  }

  /** Reloads the queue; `force` skips the ETag (after a decision, whose answer must show at once). */
  async refresh(force = false): Promise<void> {
    const fetched = await this.ctx.api.get<QueueResponse>('/api/tab/approvals', force ? undefined : this.etag);
    if (!fetched.modified) {
      refreshTimes(this.table, (iso) => this.ctx.m.relative(iso));
      return;
    }
    this.etag = fetched.etag;
    this.render(fetched.body.items);
  }

  /** Shows the items, or why there are none. */
  private render(items: QueueItem[]): void {
    const { m, me } = this.ctx;
    this.items = new Map(items.map((item) => [item.id, item]));
    if (items.length === 0) {
      this.summary.textContent = me.can.decide ? m.t('approvals.empty') : m.t('approvals.noRole');
      this.table.hidden = true;
      this.body.replaceChildren();
      return;
    }
    this.summary.textContent = me.can.decide
      ? m.t('approvals.count', { count: items.length })
      : `${m.t('approvals.count', { count: items.length })} ${m.t('approvals.noRole')}`;
    this.table.hidden = false;
    // A poll may re-render under the keyboard: the focused button gets its focus back in the new row.
    const focused = document.activeElement?.closest<HTMLElement>('[data-decision]');
    const focusedId = focused?.closest<HTMLElement>('tr')?.dataset.approvalId;
    const fragment = document.createDocumentFragment();
    for (const item of items) fragment.appendChild(this.row(item));
    this.body.replaceChildren(fragment);
    if (focused && focusedId !== undefined) {
      const again = [...this.body.querySelectorAll<HTMLElement>(`[data-decision="${focused.dataset.decision}"]`)].find(
        (button) => button.closest<HTMLElement>('tr')?.dataset.approvalId === focusedId,
      );
      again?.focus();
    }
  }

  private row(item: QueueItem): HTMLTableRowElement {
    const { m } = this.ctx;
    const decision =
      item.viewer === 'decide'
        ? h(
            'td',
            { class: 'actions' },
            // Native buttons in Fluent's tokens: a queue of 500 would otherwise upgrade 1,000 custom elements.
            h(
              'button',
              {
                type: 'button',
                class: 'row-action primary',
                'data-decision': 'approve',
                'aria-label': m.t('approvals.approveLabel', { title: item.title, subject: item.subject }),
              },
              m.t('approvals.approve'),
            ),
            h(
              'button',
              {
                type: 'button',
                class: 'row-action',
                'data-decision': 'reject',
                'aria-label': m.t('approvals.rejectLabel', { title: item.title, subject: item.subject }),
              },
              m.t('approvals.reject'),
            ),
          )
        : h('td', { class: 'why-not', 'data-why-not': item.viewer }, m.t(whyNot[item.viewer]));
    return h(
      'tr',
      { 'data-testid': 'approval-row', 'data-approval-id': item.id, 'data-device-id': item.deviceId },
      h(
        'td',
        null,
        h('div', { class: 'strong' }, item.title),
        h('div', null, item.subject),
        item.customerName && h('div', { class: 'muted' }, m.t('approvals.customer', { customer: item.customerName })),
      ),
      h('td', null, item.requester.displayName, h('div', { class: 'muted' }, item.requester.userPrincipalName)),
      h('td', { class: 'reason' }, item.reason),
      h(
        'td',
        null,
        h('div', null, item.riskNote),
        h(
          'fluent-badge',
          { appearance: 'tint', color: item.approvals.length > 0 ? 'brand' : 'informative', size: 'small' },
          m.t('approvals.progress', { count: item.approvals.length, required: item.requiredApprovals }),
        ),
        ...item.approvals.map((a) =>
          h('div', { class: 'muted' }, m.t('approvals.approvedBy', { name: a.by.displayName })),
        ),
      ),
      h('td', null, timeOf(m, item.createdAt)),
      h('td', null, timeOf(m, item.expiresAt)),
      decision,
    );
  }

  private onClick(event: Event): void {
    const button = (event.target as Element).closest<HTMLElement>('[data-decision]');
    const id = button?.closest<HTMLElement>('tr')?.dataset.approvalId;
    const item = id === undefined ? undefined : this.items.get(id);
    if (!button || !item) return;
    void this.decide(item, button.dataset.decision === 'reject' ? 'reject' : 'approve');
  }

  private async decide(item: QueueItem, verb: 'approve' | 'reject'): Promise<void> {
    const { m, api, status } = this.ctx;
    const comment = await askForText(m, {
      title: m.t(verb === 'approve' ? 'decide.approveTitle' : 'decide.rejectTitle', { title: item.title }),
      description: m.t('decide.description', { subject: item.subject, requester: item.requester.displayName }),
      label: m.t(verb === 'approve' ? 'decide.commentOptional' : 'decide.commentRequired'),
      required: verb === 'reject',
      confirm: m.t(verb === 'approve' ? 'approvals.approve' : 'approvals.reject'),
      testId: 'decision-dialog',
    });
    if (comment === undefined) return;
    try {
      const answer = await api.post<DecisionResponse>(`/api/tab/approvals/${encodeURIComponent(item.id)}/${verb}`, {
        comment,
      });
      status.show(answer.outcome === 'refused' ? 'warning' : 'success', answer.message);
    } catch (error) {
      status.showError(error);
    }
    this.onChanged();
  }
}
