/** A child `h()` accepts: nodes, text (always inserted as text, never parsed as HTML), or nothing. */
export type Child = Node | string | number | null | undefined | false;

/** Attributes `h()` sets: strings/numbers as attributes, `true` as a present boolean attribute, `on*` listeners. */
export type Attrs = Record<string, string | number | boolean | null | undefined | ((event: Event) => void)>;

/**
 * Builds an element without a framework and without innerHTML: every string from outside becomes a text node or an
 * attribute value, so nothing the server or a user typed can become markup.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs?: Attrs | null,
  ...children: Child[]
): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs?: Attrs | null, ...children: Child[]): HTMLElement {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (typeof value === 'function') element.addEventListener(name.slice(2).toLowerCase(), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined) element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

/** Appends children the way `h()` does (text as text nodes, falsy skipped). */
export function append(parent: Node, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === 'object' ? child : document.createTextNode(String(child)));
  }
}

/** Replaces all of an element's children at once (one layout instead of one per child). */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  const fragment = document.createDocumentFragment();
  append(fragment, children);
  parent.replaceChildren(fragment);
}

/**
 * Re-words every `<time datetime>` under `root` with `format` (ages and expiries move on while the data does not:
 * a 304 re-renders nothing, but "expires in 20 minutes" must not stay 20 minutes).
 */
export function refreshTimes(root: ParentNode, format: (iso: string) => string): void {
  for (const time of root.querySelectorAll<HTMLTimeElement>('time[datetime]')) {
    const text = format(time.dateTime);
    if (time.textContent !== text) time.textContent = text;
  }
}

/** An instant as Teams shows it in a list: "3 hours ago", the exact date and time on hover (kept current by `refreshTimes`). */
export function timeOf(m: { date(iso: string): string; relative(iso: string): string }, iso: string): HTMLElement {
  return h('time', { datetime: iso, title: m.date(iso) }, m.relative(iso));
}
