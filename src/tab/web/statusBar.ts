import { h, replaceChildren } from './dom';
import type { Messages } from './i18n';
import { TabApiError, TokenUnavailableError } from './tabApi';

/** The intents Fluent's message bar knows. */
export type StatusIntent = 'success' | 'warning' | 'error' | 'info';

/**
 * The one place the tab tells the viewer what happened (a decision's answer, a failure): a Fluent message bar in
 * an aria-live region, so screen readers announce it.
 */
export class StatusBar {
  readonly element: HTMLElement;

  constructor(private readonly m: Messages) {
    this.element = h('div', { role: 'status', 'aria-live': 'polite', 'data-testid': 'status', class: 'status' });
  }

  /** Shows one message (replacing the previous one) with a dismiss button. */
  show(intent: StatusIntent, text: string): void {
    const dismiss = h(
      'fluent-button',
      { slot: 'dismiss', appearance: 'transparent', size: 'small', 'aria-label': this.m.t('common.dismiss') },
      '×',
    );
    dismiss.addEventListener('click', () => this.clear());
    replaceChildren(this.element, h('fluent-message-bar', { intent, 'data-intent': intent }, text, dismiss));
  }

  /** Removes the message if it reports a failure (a later refresh succeeded: it no longer holds). */
  clearError(): void {
    if (this.element.querySelector('[data-intent="error"]')) this.clear();
  }

  /** Shows a failure: the server's own words when it gave some, else a generic sentence for the status. */
  showError(error: unknown): void {
    this.show('error', describeError(this.m, error));
  }

  /** Removes the message. */
  clear(): void {
    this.element.replaceChildren();
  }
}

/**
 * A failure in words for the viewer, in their language: the page's own words for a code it knows, else the server's
 * message when it sent one; never a stack or a raw exception.
 */
export function describeError(m: Messages, error: unknown): string {
  if (error instanceof TabApiError) {
    const known = `error.code.${error.code}`;
    if (error.code && m.has(known)) return m.t(known);
    if (error.message) return error.message;
    if (error.status === 401) return m.t('error.unauthorized');
    if (error.status === 403) return m.t('error.forbidden');
    return m.t('error.status', { status: error.status });
  }
  if (error instanceof TokenUnavailableError) return m.t('error.token');
  return m.t('error.network');
}
