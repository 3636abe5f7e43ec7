/**
 * A tiny element builder. Text always goes in as text nodes (never HTML), so
 * whatever the model or a tool printed cannot inject markup.
 */
type Attrs = Record<string, string | boolean | undefined>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  children: Child[] = [],
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (name === 'class') el.className = value === true ? '' : value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  append(el, children);
  return el;
}

export function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

/** Sets textContent only when it differs: keeps selections and avoids layout work while streaming. */
export function setText(el: Element, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}

/** Replaces an element's children with `children`. */
export function replaceChildren(el: Element, children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`#${id} is missing from index.html`);
  return el as T;
}

/**
 * A box that scrolls (code, wide tables, long tool output) must be reachable
 * from the keyboard to be scrolled without a mouse: it joins the tab order,
 * as GitHub's code blocks do. It gets no role or name: answers repeat code
 * blocks and tables, and named regions would be landmarks with the same
 * names; a name on a <pre> (a generic element) is not allowed. Focused, a
 * screen reader reads what is inside.
 */
export function makeScrollable(el: HTMLElement): void {
  el.tabIndex = 0;
}
