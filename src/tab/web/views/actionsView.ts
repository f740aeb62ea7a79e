import type { ActionsResponse, ContainmentItem, InFlightItem, ReleaseResponse, TabPerson } from '../../tabApiTypes';
import type { TabContext, TabView } from '../context';
import { askForText } from '../dialogs';
import { h, refreshTimes, replaceChildren, timeOf } from '../dom';
import type { MessageKey } from '../i18n';

/** Table header cells from message keys. */
function headerRow(ctx: TabContext, keys: readonly MessageKey[]): HTMLTableSectionElement {
  return h('thead', null, h('tr', null, ...keys.map((key) => h('th', { scope: 'col' }, ctx.m.t(key)))));
}

/**
 * Fills a section with its heading and a table of `rows` under `headers`, or with `empty` in words when there are
 * none (both tables of the view look alike).
 */
function fillSection(
  ctx: TabContext,
  section: HTMLElement,
  heading: { id: string; key: MessageKey },
  emptyKey: MessageKey,
  headers: readonly MessageKey[],
  rows: HTMLTableRowElement[],
): void {
  const title = h('h2', { id: heading.id }, ctx.m.t(heading.key));
  if (rows.length === 0) {
    replaceChildren(section, title, h('p', { class: 'summary' }, ctx.m.t(emptyKey)));
    return;
  }
  const body = h('tbody', null);
  body.append(...rows);
  replaceChildren(
    section,
    title,
    h('div', { class: 'table-scroll' }, h('table', { class: 'grid' }, headerRow(ctx, headers), body)),
  );
}

/** People as one line ("Ana Souza, Bruno Lima"), or a dash when there are none. */
function people(list: TabPerson[]): string {
  return list.length > 0 ? list.map((p) => p.displayName).join(', ') : '—';
}

/**
 * Actions & containment: the actions sent to Defender and not final yet, and the devices the bot contained and has
 * not released — since when, by whom, which approval, overdue — with "Release" through the approval flow.
 */
export class ActionsView implements TabView {
  private etag: string | undefined;
  private readonly inFlightSection: HTMLElement;
  private readonly containedSection: HTMLElement;
  private contained = new Map<string, ContainmentItem>();

  constructor(
    private readonly ctx: TabContext,
    panel: HTMLElement,
    private readonly onChanged: () => void,
  ) {
    this.inFlightSection = h('section', { 'data-testid': 'inflight', 'aria-labelledby': 'inflight-title' });
    this.containedSection = h('section', { 'data-testid': 'contained', 'aria-labelledby': 'contained-title' });
    this.containedSection.addEventListener('click', (event) => this.onClick(event));
    replaceChildren(panel, this.inFlightSection, this.containedSection);
  }

  /** Reloads both tables; `force` skips the ETag (after a release or a decision). */
  async refresh(force = false): Promise<void> {
    const fetched = await this.ctx.api.get<ActionsResponse>('/api/tab/actions', force ? undefined : this.etag);
    if (!fetched.modified) {
      for (const section of [this.inFlightSection, this.containedSection])
        refreshTimes(section, (iso) => this.ctx.m.relative(iso));
      return;
    }
    this.etag = fetched.etag;
    this.renderInFlight(fetched.body.inFlight);
    this.renderContained(fetched.body.contained);
  }

  private renderInFlight(items: InFlightItem[]): void {
    const { m } = this.ctx;
    const rows = items.map((item) =>
      h(
        'tr',
        { 'data-testid': 'inflight-row', 'data-approval-id': item.approvalId, 'data-device-id': item.deviceId },
        h(
          'td',
          null,
          h('div', { class: 'strong' }, item.title),
          item.customerName && h('div', { class: 'muted' }, item.customerName),
        ),
        h('td', null, item.subject),
        h('td', null, h('fluent-badge', { appearance: 'tint', color: 'informative' }, item.defenderStatus)),
        h('td', null, item.requester.displayName),
        h('td', null, people(item.approvers)),
        h('td', null, item.sentAt ? timeOf(m, item.sentAt) : '—'),
      ),
    );
    fillSection(
      this.ctx,
      this.inFlightSection,
      { id: 'inflight-title', key: 'actions.inFlightTitle' },
      'actions.inFlightEmpty',
      [
        'actions.col.action',
        'actions.col.device',
        'actions.col.defenderStatus',
        'actions.col.requester',
        'actions.col.approvers',
        'actions.col.sent',
      ],
      rows,
    );
  }

  private renderContained(items: ContainmentItem[]): void {
    const { m, me } = this.ctx;
    this.contained = new Map(items.map((item) => [containmentKey(item), item]));
    const rows = items.map((item) => {
      let release: HTMLElement | string;
      if (item.release) {
        const key = `actions.releaseState.${item.release.state}`;
        release = m.t('actions.releaseOpen', { state: m.has(key) ? m.t(key) : item.release.state });
      } else if (me.can.requestRelease)
        release = h(
          'fluent-button',
          {
            size: 'small',
            'data-release': containmentKey(item),
            'aria-label': m.t('actions.releaseLabel', { device: item.deviceName }),
          },
          m.t('actions.release'),
        );
      else release = m.t('actions.releaseNone');
      return h(
        'tr',
        { 'data-testid': 'contained-row', 'data-device-id': item.deviceId, 'data-approval-id': item.approvalId },
        h(
          'td',
          null,
          h('div', { class: 'strong' }, item.deviceName),
          item.customerName && h('div', { class: 'muted' }, item.customerName),
        ),
        h('td', null, item.title),
        h(
          'td',
          null,
          timeOf(m, item.since),
          item.overdue && ' ',
          item.overdue &&
            h(
              'fluent-badge',
              { appearance: 'filled', color: 'warning', 'data-testid': 'overdue' },
              m.t('actions.overdue', { hours: me.containmentReminderHours }),
            ),
        ),
        h('td', null, item.requester.displayName),
        h('td', null, people(item.approvers)),
        h('td', { class: 'mono' }, item.approvalId),
        h('td', { class: 'actions' }, release),
      );
    });
    fillSection(
      this.ctx,
      this.containedSection,
      { id: 'contained-title', key: 'actions.containedTitle' },
      'actions.containedEmpty',
      [
        'actions.col.device',
        'actions.col.containment',
        'actions.col.since',
        'actions.col.requester',
        'actions.col.approvers',
        'actions.col.approval',
        'actions.col.release',
      ],
      rows,
    );
  }

  private onClick(event: Event): void {
    const key = (event.target as Element).closest<HTMLElement>('[data-release]')?.dataset.release;
    const item = key === undefined ? undefined : this.contained.get(key);
    if (item) void this.release(item);
  }

  private async release(item: ContainmentItem): Promise<void> {
    const { m, api, status } = this.ctx;
    const reason = await askForText(m, {
      title: m.t('release.title', { device: item.deviceName }),
      description: m.t('release.description', { containment: item.title }),
      label: m.t('release.reason'),
      required: true,
      confirm: m.t('release.confirm'),
      testId: 'release-dialog',
    });
    if (reason === undefined) return;
    try {
      const answer = await api.post<ReleaseResponse>(
        `/api/tab/containments/${encodeURIComponent(item.deviceId)}/release`,
        {
          kind: item.kind,
          reason,
        },
      );
      status.show(answer.outcome === 'refused' ? 'warning' : 'success', answer.message);
    } catch (error) {
      status.showError(error);
    }
    this.onChanged();
  }
}

function containmentKey(item: ContainmentItem): string {
  return `${item.deviceId}|${item.kind}`;
}
