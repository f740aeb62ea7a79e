import type { NewSubscriptionBody, SubscriptionsResponse, TabSubscription } from '../../tabApiTypes';
import type { TabContext, TabView } from '../context';
import { h, replaceChildren } from '../dom';
import type { MessageKey } from '../i18n';

/** The severities a subscription may pick, in Defender's spelling (the words shown come from the locale files). */
export const SEVERITIES = ['Informational', 'Low', 'Medium', 'High'] as const;

/** What a subscription may follow. */
export const TOPICS = ['alerts', 'incidents'] as const;

type ValueElement = HTMLElement & { value: string };

/**
 * Subscriptions of the channel the tab is in (channel tab only): the list with Remove, and a form to add one —
 * both only for those allowed to change them; "the bot is not installed here" when the channel's team is unknown.
 */
export class SubscriptionsView implements TabView {
  private readonly list: HTMLElement;
  private readonly formHolder: HTMLElement;
  private readonly notice: HTMLElement;

  constructor(
    private readonly ctx: TabContext & { channelId: string },
    panel: HTMLElement,
  ) {
    this.notice = h('p', { class: 'summary', 'data-testid': 'subscriptions-notice' });
    this.list = h('div', { 'data-testid': 'subscriptions-list' });
    this.formHolder = h('div');
    this.list.addEventListener('click', (event) => {
      const id = (event.target as Element).closest<HTMLElement>('[data-remove]')?.dataset.remove;
      if (id) void this.remove(id);
    });
    replaceChildren(panel, this.notice, this.list, this.formHolder);
  }

  /** Reloads the channel's subscriptions. */
  async refresh(): Promise<void> {
    const channel = encodeURIComponent(this.ctx.channelId);
    const answer = await this.ctx.api.get<SubscriptionsResponse>(`/api/tab/subscriptions?channelId=${channel}`);
    if (answer.modified) this.render(answer.body);
  }

  private render(answer: SubscriptionsResponse): void {
    const { m } = this.ctx;
    if (!answer.known) {
      this.notice.textContent = m.t('subscriptions.notInstalled');
      this.list.replaceChildren();
      this.formHolder.replaceChildren();
      return;
    }
    this.notice.textContent = answer.canEdit ? '' : m.t('subscriptions.readOnly');
    if (answer.subscriptions.length === 0)
      replaceChildren(this.list, h('p', { class: 'summary' }, m.t('subscriptions.empty')));
    else this.renderTable(answer.subscriptions, answer.canEdit);
    if (answer.canEdit) replaceChildren(this.formHolder, this.form());
    else this.formHolder.replaceChildren();
  }

  private renderTable(subscriptions: TabSubscription[], canEdit: boolean): void {
    const { m } = this.ctx;
    const headers: MessageKey[] = [
      'subscriptions.col.follows',
      'subscriptions.col.severities',
      'subscriptions.col.filters',
      'subscriptions.col.created',
    ];
    if (canEdit) headers.push('subscriptions.col.remove');
    const rows = subscriptions.map((s) =>
      h(
        'tr',
        { 'data-testid': 'subscription-row', 'data-subscription-id': s.id },
        h(
          'td',
          null,
          s.follows
            .map((f) => (f === 'incidents' ? m.t('subscriptions.incidents') : m.t('subscriptions.alerts')))
            .join(', '),
        ),
        h('td', null, s.severities.map((v) => severityWord(this.ctx, v)).join(', ')),
        h(
          'td',
          null,
          [
            s.deviceGroup && m.t('subscriptions.deviceGroupIs', { value: s.deviceGroup }),
            s.tag && m.t('subscriptions.tagIs', { value: s.tag }),
            s.category && m.t('subscriptions.categoryIs', { value: s.category }),
          ]
            .filter(Boolean)
            .join(' · ') || '—',
        ),
        h('td', null, m.t('subscriptions.createdBy', { name: s.createdBy, when: m.date(s.createdAt) })),
        canEdit &&
          h(
            'td',
            null,
            h(
              'fluent-button',
              {
                size: 'small',
                'data-remove': s.id,
                'aria-label': m.t('subscriptions.removeLabel', { when: m.date(s.createdAt) }),
              },
              m.t('subscriptions.remove'),
            ),
          ),
      ),
    );
    replaceChildren(
      this.list,
      h(
        'table',
        { class: 'grid' },
        h('caption', { class: 'visually-hidden' }, m.t('subscriptions.caption')),
        h('thead', null, h('tr', null, ...headers.map((key) => h('th', { scope: 'col' }, m.t(key))))),
        h('tbody', null, ...rows),
      ),
    );
  }

  private form(): HTMLFormElement {
    const { m } = this.ctx;
    const checkbox = (group: string, value: string, label: string, checked: boolean) => {
      const id = `sub-${group}-${value}`;
      return h(
        'span',
        { class: 'check' },
        h('input', { type: 'checkbox', id, name: group, value, checked }),
        h('label', { for: id }, label),
      );
    };
    const text = (name: string, key: MessageKey) =>
      h(
        'fluent-text-input',
        { name, 'data-testid': `subscription-${name}`, 'control-size': 'small' },
        m.t(key),
      ) as ValueElement;
    const deviceGroup = text('deviceGroup', 'subscriptions.deviceGroup');
    const tag = text('tag', 'subscriptions.tag');
    const category = text('category', 'subscriptions.category');
    const problem = h('p', { class: 'field-error', role: 'alert' });
    const form = h(
      'form',
      { class: 'subscription-form', 'data-testid': 'subscription-form', 'aria-labelledby': 'subscription-form-title' },
      h('h2', { id: 'subscription-form-title' }, m.t('subscriptions.addTitle')),
      h(
        'fieldset',
        null,
        h('legend', null, m.t('subscriptions.follows')),
        ...TOPICS.map((t) => checkbox('follows', t, m.t(`subscriptions.${t}`), t === 'alerts')),
      ),
      h(
        'fieldset',
        null,
        h('legend', null, m.t('subscriptions.severities')),
        ...SEVERITIES.map((s) => checkbox('severities', s, severityWord(this.ctx, s), s === 'High')),
      ),
      h('div', { class: 'filters' }, deviceGroup, tag, category),
      problem,
      h(
        'fluent-button',
        { type: 'submit', appearance: 'primary', 'data-testid': 'subscription-add' },
        m.t('subscriptions.add'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const checked = (group: string) =>
        [...form.querySelectorAll<HTMLInputElement>(`input[name="${group}"]:checked`)].map((input) => input.value);
      const body: NewSubscriptionBody = {
        channelId: this.ctx.channelId,
        follows: checked('follows'),
        severities: checked('severities'),
      };
      if (body.follows.length === 0 || body.severities.length === 0) {
        problem.textContent = m.t('subscriptions.pickOne');
        return;
      }
      problem.textContent = '';
      for (const [name, element] of [
        ['deviceGroup', deviceGroup],
        ['tag', tag],
        ['category', category],
      ] as const) {
        const value = (element.value ?? '').trim();
        if (value) body[name] = value;
      }
      void this.add(body);
    });
    return form;
  }

  private async add(body: NewSubscriptionBody): Promise<void> {
    try {
      await this.ctx.api.post<unknown>('/api/tab/subscriptions', body);
      this.ctx.status.show('success', this.ctx.m.t('subscriptions.added'));
    } catch (error) {
      this.ctx.status.showError(error);
    }
    await this.refresh().catch((error: unknown) => this.ctx.status.showError(error));
  }

  private async remove(id: string): Promise<void> {
    const channel = encodeURIComponent(this.ctx.channelId);
    try {
      await this.ctx.api.delete(`/api/tab/subscriptions/${encodeURIComponent(id)}?channelId=${channel}`);
      this.ctx.status.show('success', this.ctx.m.t('subscriptions.removed'));
    } catch (error) {
      this.ctx.status.showError(error);
    }
    await this.refresh().catch((error: unknown) => this.ctx.status.showError(error));
  }
}

function severityWord(ctx: TabContext, severity: string): string {
  switch (severity) {
    case 'Informational':
      return ctx.m.t('severity.informational');
    case 'Low':
      return ctx.m.t('severity.low');
    case 'Medium':
      return ctx.m.t('severity.medium');
    case 'High':
      return ctx.m.t('severity.high');
    default:
      return severity;
  }
}
