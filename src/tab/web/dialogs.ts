import { h } from './dom';
import type { Messages } from './i18n';

/** What `askForText` shows: a title, a sentence, the field's label, whether it may be empty, the confirm label. */
export interface TextPrompt {
  title: string;
  description: string;
  label: string;
  required: boolean;
  confirm: string;
  testId: string;
}

/**
 * A modal Fluent dialog with one multi-line field (a decision's comment, a release's reason). Resolves with the
 * text on confirm, `undefined` on cancel/Escape; a required field stays open with a message until it is filled.
 */
export function askForText(m: Messages, prompt: TextPrompt): Promise<string | undefined> {
  return new Promise((resolve) => {
    // Named by aria-label: the title lives in light DOM and Fluent's <dialog> in a shadow root, where an
    // aria-labelledby id would not resolve.
    const textarea = h(
      'fluent-textarea',
      { required: prompt.required, resize: 'vertical', 'data-testid': 'dialog-text' },
      h('span', { slot: 'label' }, prompt.label),
    ) as HTMLElement & { value: string };
    const problem = h('p', { class: 'field-error', role: 'alert' });
    const confirm = h(
      'fluent-button',
      { slot: 'action', appearance: 'primary', 'data-testid': 'dialog-confirm' },
      prompt.confirm,
    );
    const cancel = h('fluent-button', { slot: 'action', 'data-testid': 'dialog-cancel' }, m.t('common.cancel'));
    const dialog = h(
      'fluent-dialog',
      { type: 'modal', 'aria-label': prompt.title, 'data-testid': prompt.testId },
      h(
        'fluent-dialog-body',
        null,
        h('h2', { slot: 'title', class: 'dialog-title' }, prompt.title),
        h('p', null, prompt.description),
        textarea,
        problem,
        cancel,
        confirm,
      ),
    ) as HTMLElement & { show(): void; hide(): void };

    let settled = false;
    const finish = (value: string | undefined) => {
      if (settled) return;
      settled = true;
      dialog.hide();
      dialog.remove();
      resolve(value);
    };
    confirm.addEventListener('click', () => {
      const text = (textarea.value ?? '').trim();
      if (prompt.required && !text) {
        problem.textContent = m.t('dialog.required', { field: prompt.label });
        textarea.focus();
        return;
      }
      finish(text);
    });
    cancel.addEventListener('click', () => finish(undefined));
    // Escape or a click outside closes the dialog: that is a cancel.
    dialog.addEventListener('toggle', (event) => {
      if ((event as unknown as CustomEvent<{ newState?: string } | null>).detail?.newState === 'closed')
        finish(undefined);
    });
    document.body.append(dialog);
    dialog.show();
    // Fluent opens the dialog in its next update; then the field takes the focus (no `autofocus`: a cross-origin
    // frame, which a tab always is, refuses it).
    requestAnimationFrame(() => textarea.focus());
  });
}
