import type { AuditFilter, AuditResponse, TabAuditEntry } from '../../tabApiTypes';
import type { TabContext, TabView } from '../context';
import { h, replaceChildren } from '../dom';
import type { MessageKey } from '../i18n';

type FilterField = keyof AuditFilter;
type ValueElement = HTMLElement & { value: string };

/** The instant of local midnight starting `day` (YYYY-MM-DD) plus `addDays`, as ISO 8601; the text itself if unreadable. */
export function localMidnight(day: string, addDays: number): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!match) return day;
  const date = new Date(Number(match[1]), Number(match[2]) - 1, Number(match[3]) + addDays);
  return Number.isNaN(date.getTime()) ? day : date.toISOString();
}

/** The filter's query string (empty fields left out), shared by the search and the export. */
export function auditQuery(filter: AuditFilter): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filter) as [string, string | undefined][])
    if (value) params.set(name, value);
  const query = params.toString();
  return query ? `?${query}` : '';
}

/**
 * Audit (approvers and admins only): filter the trail by user, device, action and dates, see whether the whole
 * chain verifies, and export the filtered range as JSON Lines (fetched with the bearer, saved from a Blob URL).
 */
export class AuditView implements TabView {
  private readonly fields: Record<FilterField, ValueElement>;
  private readonly chain: HTMLElement;
  private readonly results: HTMLElement;

  constructor(
    private readonly ctx: TabContext,
    panel: HTMLElement,
  ) {
    const { m } = ctx;
    const text = (name: FilterField, key: MessageKey) =>
      h(
        'fluent-text-input',
        { name, 'data-testid': `audit-${name}`, 'control-size': 'small' },
        m.t(key),
      ) as ValueElement;
    const date = (name: FilterField, key: MessageKey) => {
      const input = h('input', { type: 'date', id: `audit-${name}`, name, 'data-testid': `audit-${name}` });
      return { input, field: h('div', { class: 'date-field' }, h('label', { for: `audit-${name}` }, m.t(key)), input) };
    };
    const from = date('from', 'audit.from');
    const to = date('to', 'audit.to');
    this.fields = {
      user: text('user', 'audit.user'),
      device: text('device', 'audit.device'),
      action: text('action', 'audit.action'),
      from: from.input,
      to: to.input,
    };
    const form = h(
      'form',
      { class: 'filters', 'data-testid': 'audit-filters', 'aria-label': m.t('audit.filters') },
      this.fields.user,
      this.fields.device,
      this.fields.action,
      from.field,
      to.field,
      h('fluent-button', { type: 'submit', appearance: 'primary', 'data-testid': 'audit-search' }, m.t('audit.search')),
      h(
        'fluent-button',
        { type: 'button', 'data-testid': 'audit-export', onclick: () => void this.export() },
        m.t('audit.export'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.refresh().catch((error: unknown) => ctx.status.showError(error));
    });
    this.chain = h('div', { 'data-testid': 'audit-chain', class: 'chain' });
    this.results = h('div', { 'data-testid': 'audit-results' });
    replaceChildren(panel, form, this.chain, this.results);
  }

  /** Runs the search with the current filters. */
  async refresh(): Promise<void> {
    const answer = await this.ctx.api.get<AuditResponse>(`/api/tab/audit${auditQuery(this.filter())}`);
    if (answer.modified) this.render(answer.body);
  }

  private filter(): AuditFilter {
    const filter: AuditFilter = {};
    for (const [name, element] of Object.entries(this.fields) as [FilterField, ValueElement][]) {
      const value = (element.value ?? '').trim();
      if (value) filter[name] = value;
    }
    // The date fields are days on the viewer's own calendar: sent as the instants their local midnights are
    // (the "to" day included: up to the next day's midnight).
    if (filter.from) filter.from = localMidnight(filter.from, 0);
    if (filter.to) filter.to = localMidnight(filter.to, 1);
    return filter;
  }

  private render(answer: AuditResponse): void {
    const { m } = this.ctx;
    const chain = answer.chain;
    replaceChildren(
      this.chain,
      chain.ok
        ? h(
            'fluent-badge',
            { appearance: 'filled', color: 'success', 'data-chain': 'ok' },
            m.t('audit.chainOk', { count: chain.entries }),
          )
        : h(
            'fluent-badge',
            { appearance: 'filled', color: 'danger', 'data-chain': 'broken' },
            m.t('audit.chainBroken', { line: chain.line, reason: chain.reason }),
          ),
    );
    if (answer.entries.length === 0) {
      replaceChildren(this.results, h('p', { class: 'summary' }, m.t('audit.empty')));
      return;
    }
    const rows = document.createDocumentFragment();
    for (const entry of answer.entries) rows.appendChild(this.row(entry));
    replaceChildren(
      this.results,
      h(
        'p',
        { class: 'summary' },
        answer.truncated
          ? m.t('audit.truncated', { count: answer.entries.length })
          : m.t('audit.count', { count: answer.entries.length }),
      ),
      h(
        'div',
        { class: 'table-scroll' },
        h(
          'table',
          { class: 'grid' },
          h('caption', { class: 'visually-hidden' }, m.t('audit.caption')),
          h(
            'thead',
            null,
            h(
              'tr',
              null,
              ...(
                [
                  'audit.col.at',
                  'audit.col.type',
                  'audit.col.actor',
                  'audit.col.device',
                  'audit.col.action',
                  'audit.col.approval',
                  'audit.col.detail',
                ] as const
              ).map((key) => h('th', { scope: 'col' }, m.t(key))),
            ),
          ),
          h('tbody', null, rows),
        ),
      ),
    );
  }

  private row(entry: TabAuditEntry): HTMLTableRowElement {
    const { m } = this.ctx;
    return h(
      'tr',
      { 'data-testid': 'audit-row', 'data-seq': entry.seq, 'data-approval-id': entry.approvalId },
      h('td', null, h('time', { datetime: entry.at }, m.date(entry.at))),
      h('td', { class: 'mono' }, entry.type),
      h('td', null, entry.actor),
      h('td', null, entry.device ?? ''),
      h('td', null, entry.action ?? ''),
      h('td', { class: 'mono' }, entry.approvalId ?? ''),
      h('td', null, entry.detail ?? ''),
    );
  }

  private async export(): Promise<void> {
    const { api, status, m } = this.ctx;
    try {
      const blob = await api.download(`/api/tab/audit/export${auditQuery(this.filter())}`);
      const url = URL.createObjectURL(blob);
      const link = h('a', { href: url, download: 'audit.jsonl', hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      status.show('success', m.t('audit.exported'));
    } catch (error) {
      status.showError(error);
    }
  }
}
