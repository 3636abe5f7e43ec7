/**
 * Markdown for Claude's answers: marked (GFM, line breaks) to HTML, then
 * DOMPurify to a DocumentFragment, then a few DOM-API touches (code block
 * headers with a Copy button, scrollable tables).
 *
 * Hardening, in layers:
 * - Raw HTML in the markdown is never HTML: marked's `html` renderer escapes
 *   it, so `<b>`, `<img onerror>`, `<script>` show up as the text they are
 *   (the way a terminal would show them, and `Array<string>` stays visible).
 * - Everything marked produced still goes through DOMPurify, with an allow
 *   list of the tags marked emits, no `style`, no `on*`, no data-/aria-
 *   attributes, classes only where we put them, and href/src limited to
 *   http(s), mailto and relative URLs (data: images included: refused).
 * - Links open in a new tab with rel="noopener noreferrer nofollow".
 *
 * While an answer streams, `createMarkdownView` renders only the part after
 * the last finished block (blank line outside a code fence) on each update,
 * appending finished blocks once, and at most once per animation frame.
 */
import '../styles/markdown.css';
import DOMPurify from 'dompurify';
import { Marked, type Tokens } from 'marked';
import { h, makeScrollable } from '../dom.js';

// ---- marked -------------------------------------------------------------------

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

const marked = new Marked({ gfm: true, breaks: true, async: false });
marked.use({
  renderer: {
    // Raw HTML is shown as text; a block of it keeps its line breaks.
    html(token: Tokens.HTML | Tokens.Tag): string {
      const text = escapeHtml(token.block ? token.text.replace(/\n+$/, '') : token.text);
      return token.block ? `<p>${text.replace(/\n/g, '<br>')}</p>\n` : text;
    },
    // GFM task lists: a symbol, not a (forbidden) <input>.
    checkbox({ checked }: Tokens.Checkbox): string {
      return `<span class="md-task">${checked ? '☑' : '☐'}</span> `;
    },
  },
});

// ---- DOMPurify ----------------------------------------------------------------

/**
 * http(s), mailto, or no scheme at all (relative, #fragment, //host). A
 * scheme is a letter then letters, digits, `+`, `.` or `-` up to a colon:
 * anything that reads as one (`web+x1:`, `a1:`) and is not listed is refused.
 */
export const SAFE_URL = /^(?:(?:https?|mailto):|[^a-z]|[a-z][a-z0-9+.-]*(?:[^a-z0-9+.\-:]|$))/i;
// What DOMPurify strips before testing a URL (whitespace and controls), so "java\tscript:" is caught too.
// \p{Cc} (controls) and the spaces DOMPurify strips; a little more than it strips is safe here.
const URL_WHITESPACE = /[\p{Cc} \u00A0\u1680\u180E\u2000-\u2029\u205F\u3000]/gu;

const ALLOWED_TAGS = [
  'a', 'blockquote', 'br', 'code', 'del', 'em', 'h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'hr', 'img', 'li', 'ol', 'p',
  'pre', 's', 'span', 'strong', 'table', 'tbody', 'td', 'th', 'thead', 'tr', 'ul',
];
const FORBID_TAGS = [
  'style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'option', 'iframe', 'frame', 'frameset',
  'object', 'embed', 'svg', 'math', 'link', 'meta', 'base', 'template', 'noscript', 'video', 'audio', 'source',
];
const ALLOWED_ATTR = ['href', 'src', 'alt', 'title', 'class', 'start', 'align'];
/** Classes we set ourselves; any other class is dropped (no borrowing the app's styles to fake its UI). */
const ALLOWED_CLASS: Record<string, RegExp> = {
  CODE: /^language-[\w#+.-]{1,40}$/,
  SPAN: /^md-task$/,
};

const purify = DOMPurify(window);
purify.addHook('uponSanitizeAttribute', (node, data) => {
  const name = data.attrName;
  if (name.startsWith('on') || name === 'style') {
    data.keepAttr = false;
  } else if (name === 'href' || name === 'src') {
    if (!SAFE_URL.test(data.attrValue.replace(URL_WHITESPACE, ''))) data.keepAttr = false;
  } else if (name === 'class') {
    const allowed = ALLOWED_CLASS[node.nodeName];
    if (!allowed || !allowed.test(data.attrValue)) data.keepAttr = false;
  }
});
purify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'A' && node instanceof Element && node.hasAttribute('href')) {
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer nofollow');
  } else if (node.nodeName === 'IMG' && node instanceof Element) {
    node.setAttribute('loading', 'lazy');
  }
});

const PURIFY_CONFIG = {
  ALLOWED_TAGS,
  ALLOWED_ATTR,
  FORBID_TAGS,
  FORBID_ATTR: ['style'],
  ALLOW_DATA_ATTR: false,
  ALLOW_ARIA_ATTR: false,
  ALLOWED_URI_REGEXP: SAFE_URL,
  RETURN_DOM_FRAGMENT: true as const,
};

/** DOMPurify with this module's policy; exported so tests can check the second layer on its own. */
export function sanitizeHtml(html: string): DocumentFragment {
  return purify.sanitize(html, PURIFY_CONFIG);
}

// ---- rendering ------------------------------------------------------------------

/** Renders markdown to a sanitised fragment ready to append. */
export function renderMarkdown(text: string): DocumentFragment {
  const html = marked.parse(text, { async: false });
  const fragment = sanitizeHtml(html);
  decorate(fragment);
  return fragment;
}

const COPIED_MS = 1600;

function decorate(fragment: DocumentFragment): void {
  for (const code of Array.from(fragment.querySelectorAll('pre > code'))) {
    const pre = code.parentElement!;
    const lang = /^language-(\S+)/.exec(code.className)?.[1] ?? '';
    const copy = h('button', { type: 'button', class: 'md-copy', 'aria-label': 'Copy code' }, ['Copy']);
    copy.addEventListener('click', () => void copyCode(copy, code));
    const block = h('div', { class: 'md-code' }, [
      h('div', { class: 'md-code-head' }, [h('span', { class: 'md-code-lang' }, [lang || 'code']), copy]),
    ]);
    pre.replaceWith(block);
    block.append(pre);
    makeScrollable(pre);
  }
  // An image whose address was refused (javascript:, data:) is just its alt text.
  for (const img of Array.from(fragment.querySelectorAll('img:not([src])'))) {
    img.replaceWith(img.getAttribute('alt') ?? '');
  }
  for (const table of Array.from(fragment.querySelectorAll('table'))) {
    // A <section> with no name is no landmark, and may scroll and take focus without a role (axe).
    const scroller = h('section', { class: 'md-table' });
    makeScrollable(scroller);
    table.replaceWith(scroller);
    scroller.append(table);
  }
}

/**
 * Claude's headings sit inside a run whose own heading has level `parent`:
 * each gets a level (aria-level; the tags stay as marked wrote them) one below
 * the nearest earlier heading that outranks it, so the page's outline never
 * skips a level, whatever levels the answer used.
 */
function nestHeadings(el: HTMLElement, parent: number): void {
  const open: Array<{ source: number; level: number }> = [];
  for (const heading of Array.from(el.querySelectorAll('h1, h2, h3, h4, h5, h6'))) {
    const source = Number(heading.tagName.slice(1));
    while (open.length > 0 && open[open.length - 1]!.source >= source) open.pop();
    const level = Math.min(6, (open[open.length - 1]?.level ?? parent) + 1);
    open.push({ source, level });
    if (heading.getAttribute('aria-level') !== String(level)) heading.setAttribute('aria-level', String(level));
  }
}

async function copyCode(button: HTMLButtonElement, code: Element): Promise<void> {
  // marked ends every code block with one newline of its own.
  const text = (code.textContent ?? '').replace(/\n$/, '');
  let copied = false;
  try {
    await navigator.clipboard.writeText(text);
    copied = true;
  } catch {
    // No clipboard (plain http, or refused): select the code so the reader can copy it.
    const selection = window.getSelection();
    if (selection) {
      const range = document.createRange();
      range.selectNodeContents(code);
      selection.removeAllRanges();
      selection.addRange(range);
    }
  }
  button.textContent = copied ? 'Copied' : 'Selected';
  button.dataset.state = copied ? 'copied' : 'selected';
  clearTimeout(Number(button.dataset.timer));
  button.dataset.timer = String(
    setTimeout(() => {
      button.textContent = 'Copy';
      delete button.dataset.state;
    }, COPIED_MS),
  );
}

// ---- streaming --------------------------------------------------------------------

export interface MarkdownView {
  el: HTMLElement;
  /** Shows `text`; while `streaming`, renders only what changed, at most once per frame. */
  update(text: string, streaming: boolean): void;
}

/** Where the finished blocks end: after the last blank line outside a code fence, scanning from `from` (itself a block start). */
export function stableBoundary(text: string, from: number): number {
  let boundary = from;
  let fence: string | undefined;
  let pos = from;
  for (;;) {
    const nl = text.indexOf('\n', pos);
    if (nl === -1) return boundary; // the last line may still grow
    const line = text.slice(pos, nl);
    const marker = /^ {0,3}(`{3,}|~{3,})/.exec(line)?.[1];
    if (fence !== undefined) {
      if (marker && marker[0] === fence[0] && marker.length >= fence.length && line.trim() === marker) fence = undefined;
    } else if (marker) {
      fence = marker;
    } else if (line.trim() === '') {
      boundary = nl + 1;
    }
    pos = nl + 1;
  }
}

let frame = 0;
let frameTick = false;
/** A number that changes once per animation frame (while anyone asks). */
function currentFrame(): number {
  if (!frameTick) {
    frameTick = true;
    requestAnimationFrame(() => {
      frameTick = false;
      frame++;
    });
  }
  return frame;
}

export interface MarkdownViewOptions {
  /** The level of the heading the text sits under: its own headings are nested below it. */
  headingsBelow?: number;
}

export function createMarkdownView(className: string, options: MarkdownViewOptions = {}): MarkdownView {
  const el = h('div', { class: className });
  /** Source of the blocks already rendered for good (streaming only). */
  let stable = '';
  /** The nodes of the still-growing last part. */
  let tail: ChildNode[] = [];
  let shown: { text: string; streaming: boolean } | undefined;
  let pending: { text: string; streaming: boolean } | undefined;
  let renderedFrame = -1;
  let deferred = false;

  const full = (text: string) => {
    stable = '';
    tail = [];
    el.replaceChildren(renderMarkdown(text));
  };

  const stream = (text: string) => {
    if (!text.startsWith(stable) || el.childNodes.length === 0) {
      stable = '';
      tail = [];
      el.replaceChildren();
    }
    for (const node of tail) node.remove();
    const boundary = stableBoundary(text, stable.length);
    if (boundary > stable.length) {
      el.append(renderMarkdown(text.slice(stable.length, boundary)));
      stable = text.slice(0, boundary);
    }
    const rest = renderMarkdown(text.slice(boundary));
    tail = Array.from(rest.childNodes);
    el.append(rest);
  };

  const apply = (next: { text: string; streaming: boolean }) => {
    if (shown && shown.text === next.text && shown.streaming === next.streaming) return;
    shown = next;
    el.classList.toggle('streaming', next.streaming);
    // The finished answer is rendered once more in one piece: blocks split while streaming (a loose list) join up.
    if (next.streaming) stream(next.text);
    else full(next.text);
    if (options.headingsBelow !== undefined) nestHeadings(el, options.headingsBelow);
  };

  return {
    el,
    update(text, streaming) {
      const next = { text, streaming };
      const now = currentFrame();
      if (!streaming || renderedFrame !== now) {
        pending = undefined;
        renderedFrame = now;
        apply(next);
        return;
      }
      // A second update in one frame: keep the newest for the next frame.
      pending = next;
      if (deferred) return;
      deferred = true;
      requestAnimationFrame(() => {
        deferred = false;
        // Not counted as this frame's render: the regular once-a-frame caller still gets through.
        if (pending) apply(pending);
        pending = undefined;
      });
    },
  };
}
