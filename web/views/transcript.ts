/**
 * The transcript of one session: each run as the user's prompt, then what
 * Claude streamed (markdown text, collapsed thinking, tool cards, notices,
 * permission requests), then a footer with status, cost, tokens, duration
 * and turns.
 *
 * Rendering is keyed and incremental: a run's view is updated only when the
 * reducer gave the run a new object, and inside it only the items that
 * changed, so streaming touches one text item per frame.
 *
 * The list is virtualised. `root` (the scroll container) holds a top spacer,
 * the rows near the viewport (one screen above and below), and a bottom
 * spacer. Every row (timeline entry) has a height: measured while it is in
 * the DOM, else estimated from its content (then scaled by how far off the
 * first estimates were). Spacers stand in for the rows that are not there.
 * Scroll position is anchored by hand (`overflow-anchor: none`): before a
 * change, the row at the top of the viewport and its offset are noted from
 * the model; after rows are mounted and measured, scrollTop is set so that
 * row stays put. When the reader is at the bottom ("stuck"), the view stays
 * at the bottom instead, as output streams in.
 *
 * A polite live region reads out the running answer a sentence or so at a
 * time, and the rest when it ends.
 */
import '../styles/transcript.css';
import { h, makeScrollable, setText } from '../dom.js';
import { formatCost, formatDuration, formatTokens, oneLine, plural } from '../format.js';
import { createMarkdownView } from '../render/markdown.js';
import type { RunItem, RunState, SessionState, TimelineEntry, ToolCall } from '../state/reducer.js';

export interface TranscriptHandlers {
  onPermission(requestId: string, behavior: 'allow' | 'deny'): void;
}

export interface TranscriptView {
  render(state: SessionState | undefined): void;
  /** Shows the end of the transcript and follows new output again. */
  scrollToBottom(): void;
}

const PERMISSION_INPUT_CHARS = 300;
/** A run's heading ("You", an h3 under the session's h2): Claude's headings nest below it. */
const RUN_HEADING_LEVEL = 3;
/** Closer than this to the bottom counts as "at the bottom" (as main.ts reckons it). */
const STICK_PX = 80;
/** Detached row views kept for scrolling back (open <details> survive); older ones are rebuilt. */
const CACHED_VIEWS = 150;
const MAX_LAYOUT_PASSES = 4;
/** Wait between two live-region announcements. */
const ANNOUNCE_MS = 1500;

interface EntryView {
  el: HTMLElement;
  update(run: RunState | undefined): void;
}

interface Row {
  key: string;
  entry: TimelineEntry;
  index: number;
  /** The run object last seen (runs only). */
  run: RunState | undefined;
  /** Measured height, valid for `run`; undefined when never measured or changed since. */
  height: number | undefined;
  /** Unscaled estimate for the current content and width. */
  estimate: number;
  view: EntryView | undefined;
  /** The wrapper in the list; it has no margins, so its box is the row's whole height. */
  el: HTMLElement | undefined;
  /** The view has not seen `run` yet (it changed while detached). */
  stale: boolean;
  mounted: boolean;
}

interface Anchor {
  row: Row;
  /** How far the viewport's top is below the row's top. */
  delta: number;
}

export function createTranscriptView(root: HTMLElement, handlers: TranscriptHandlers): TranscriptView {
  root.style.overflowAnchor = 'none';
  const topSpacer = h('div', { class: 'tv-spacer', 'aria-hidden': 'true' });
  const bottomSpacer = h('div', { class: 'tv-spacer', 'aria-hidden': 'true' });
  const announcer = createAnnouncer(root);

  let sessionId: string | undefined;
  let current: SessionState | undefined;
  let timeline: readonly TimelineEntry[] | undefined;
  let runs: SessionState['runs'] | undefined;
  let rows: Row[] = [];
  const byKey = new Map<string, Row>();
  const mounted = new Set<Row>();
  /** Rows with a detached view, oldest first. */
  const cached = new Set<Row>();

  /** Rows and their tops as of the last layout: what the DOM and scrollTop correspond to. */
  let laidRows: Row[] = [];
  let laidTops: Float64Array = new Float64Array(1);
  let padTop = 0;
  let padBottom = 0;
  let contentWidth = 0;
  let stuck = true;
  /** Measured / estimated, learnt from the first rows measured, then kept (so spacers do not creep while scrolling). */
  let scale = 1;
  let scaleSamples = 0;
  let scaleMeasured = 0;
  let scaleEstimated = 0;
  let layoutQueued = false;

  const heightOf = (row: Row) => row.height ?? row.estimate * scale;

  /** Bumped whenever a height, an estimate, the scale or the rows change: tops are recomputed only then. */
  let version = 0;
  let topsFor: { list: Row[]; version: number; tops: Float64Array } | undefined;

  function computeTops(list: Row[]): Float64Array {
    if (topsFor && topsFor.list === list && topsFor.version === version) return topsFor.tops;
    const tops = new Float64Array(list.length + 1);
    for (let i = 0; i < list.length; i++) tops[i + 1] = tops[i]! + heightOf(list[i]!);
    topsFor = { list, version, tops };
    return tops;
  }

  /** The last index i with tops[i] <= y (0 if none). */
  function rowAt(tops: Float64Array, count: number, y: number): number {
    let lo = 0;
    let hi = count - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (tops[mid]! <= y) lo = mid;
      else hi = mid - 1;
    }
    return Math.max(0, lo);
  }

  function captureAnchor(): Anchor | undefined {
    if (laidRows.length === 0) return undefined;
    const y = root.scrollTop - padTop;
    const i = rowAt(laidTops, laidRows.length, y);
    const row = laidRows[i]!;
    return { row, delta: y - laidTops[i]! };
  }

  // ---- rows ------------------------------------------------------------------

  function reset(): void {
    for (const row of mounted) unobserve(row);
    rows = [];
    laidRows = [];
    laidTops = new Float64Array(1);
    byKey.clear();
    mounted.clear();
    cached.clear();
    timeline = undefined;
    runs = undefined;
    current = undefined;
    stuck = true;
    scale = 1;
    scaleSamples = scaleMeasured = scaleEstimated = 0;
    root.replaceChildren();
    announcer.reset();
  }

  function syncRows(next: readonly TimelineEntry[]): void {
    const list: Row[] = new Array(next.length);
    const seen = new Set<Row>();
    next.forEach((entry, index) => {
      const key = entryKey(entry);
      let row = byKey.get(key);
      if (!row) {
        row = { key, entry, index, run: undefined, height: undefined, estimate: 0, view: undefined, el: undefined, stale: true, mounted: false };
        // Runs are estimated by syncRuns, once their state is known.
        if (entry.kind !== 'run') row.estimate = estimateRow(row, contentWidth);
        byKey.set(key, row);
      }
      row.index = index;
      list[index] = row;
      seen.add(row);
    });
    // The timeline only grows, but be safe if it ever does not.
    if (byKey.size !== list.length) {
      for (const [key, row] of byKey) {
        if (seen.has(row)) continue;
        if (row.mounted) unmount(row);
        cached.delete(row);
        byKey.delete(key);
      }
    }
    rows = list;
    version++;
  }

  function syncRuns(state: SessionState): void {
    for (const row of rows) {
      if (row.entry.kind !== 'run') continue;
      const run = state.runs[row.entry.runId];
      if (run === row.run) continue;
      row.run = run;
      row.estimate = estimateRow(row, contentWidth);
      version++;
      if (row.mounted) {
        row.view!.update(run);
        row.stale = false;
      } else {
        row.height = undefined;
        row.stale = true;
      }
    }
  }

  function mount(row: Row): HTMLElement {
    if (!row.view || !row.el) {
      row.view = createEntry(row.entry, handlers);
      row.el = h('div', { class: 'tv-row' }, [row.view.el]);
      row.stale = true;
    }
    if (row.stale) {
      row.view.update(row.run);
      row.stale = false;
    }
    cached.delete(row);
    if (!row.mounted) {
      row.mounted = true;
      mounted.add(row);
      resizeObserver.observe(row.el);
    }
    return row.el;
  }

  function unmount(row: Row): void {
    const el = row.el;
    if (el) {
      // Focus inside a row that goes away would fall to <body>; keep it in the transcript.
      if (el.contains(document.activeElement)) root.focus({ preventScroll: true });
      el.remove();
    }
    unobserve(row);
    row.mounted = false;
    mounted.delete(row);
    cached.add(row);
    if (cached.size > CACHED_VIEWS) {
      const oldest = cached.values().next().value as Row;
      cached.delete(oldest);
      oldest.view = undefined;
      oldest.el = undefined;
    }
  }

  function unobserve(row: Row): void {
    if (row.el) resizeObserver.unobserve(row.el);
  }

  /** Measures the mounted rows; true if any height changed. */
  function measure(): boolean {
    let changed = false;
    for (const row of mounted) {
      const height = row.el!.getBoundingClientRect().height;
      if (row.height !== undefined && Math.abs(row.height - height) < 0.5) continue;
      if (row.height === undefined && scaleSamples < 30 && row.estimate > 0 && height > 0) {
        scaleSamples++;
        scaleMeasured += height;
        scaleEstimated += row.estimate;
      }
      row.height = height;
      changed = true;
    }
    if (changed) version++;
    if (scaleSamples > 0 && scaleSamples < 30) scale = clamp(scaleMeasured / scaleEstimated, 0.5, 2.5);
    return changed;
  }

  // ---- layout ------------------------------------------------------------------

  function measurable(): boolean {
    return root.isConnected && root.clientHeight > 0;
  }

  function readBox(): void {
    const style = getComputedStyle(root);
    padTop = parseFloat(style.paddingTop) || 0;
    padBottom = parseFloat(style.paddingBottom) || 0;
    const width = Math.min(860, root.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0));
    if (width > 0 && Math.abs(width - contentWidth) > 1) {
      contentWidth = width;
      // Rows measured at another width: guess again, mounted ones are re-measured below.
      for (const row of rows) {
        row.estimate = estimateRow(row, contentWidth);
        row.height = undefined;
      }
      version++;
    }
  }

  function layout(anchor: Anchor | undefined): void {
    if (rows.length === 0) return;
    if (topSpacer.parentNode !== root) root.replaceChildren(topSpacer, bottomSpacer);
    const canMeasure = measurable();
    if (canMeasure) readBox();
    const viewHeight = canMeasure ? root.clientHeight : window.innerHeight;
    const overscan = viewHeight;
    let anchorIndex = anchor && byKey.get(anchor.row.key) === anchor.row ? anchor.row.index : -1;
    if (!stuck && anchorIndex < 0) {
      // No anchor (first layout of rows while not at the bottom): keep scrollTop as it is.
      const fallback = captureAnchor();
      anchor = fallback ?? { row: rows[0]!, delta: root.scrollTop - padTop };
      anchorIndex = byKey.get(anchor.row.key) === anchor.row ? anchor.row.index : 0;
    }
    let tops = computeTops(rows);
    for (let pass = 0; pass < MAX_LAYOUT_PASSES; pass++) {
      const total = tops[rows.length]!;
      const viewTop = stuck || !anchor ? total + padBottom - viewHeight : tops[anchorIndex]! + anchor.delta;
      const first = rowAt(tops, rows.length, viewTop - overscan);
      const last = rowAt(tops, rows.length, viewTop + viewHeight + overscan);
      place(first, last, tops);
      if (!canMeasure || !measure()) break;
      tops = computeTops(rows);
      // Heights changed: the spacers above and below only cover unmounted rows, so only the window may move.
    }
    // Spacers for the final heights (mounted rows measured in the last pass do not change them, but be exact).
    setSpacers(tops);
    if (canMeasure) {
      if (stuck) {
        root.scrollTop = root.scrollHeight;
      } else if (anchor) {
        const target = padTop + tops[anchorIndex]! + anchor.delta;
        if (Math.abs(root.scrollTop - target) >= 1) root.scrollTop = target;
      }
    }
    laidRows = rows;
    laidTops = tops;
  }

  let firstMounted = 0;
  let lastMounted = -1;

  function place(first: number, last: number, tops: Float64Array): void {
    for (const row of [...mounted]) if (row.index < first || row.index > last || rows[row.index] !== row) unmount(row);
    let prev: Node = topSpacer;
    for (let i = first; i <= last; i++) {
      const el = mount(rows[i]!);
      if (prev.nextSibling !== el) root.insertBefore(el, prev.nextSibling);
      prev = el;
    }
    firstMounted = first;
    lastMounted = last;
    setSpacers(tops);
  }

  function setSpacers(tops: Float64Array): void {
    const above = tops[firstMounted]!;
    const below = tops[rows.length]! - tops[lastMounted + 1]!;
    topSpacer.style.height = `${above}px`;
    bottomSpacer.style.height = `${Math.max(0, below)}px`;
  }

  function scheduleLayout(): void {
    if (layoutQueued) return;
    layoutQueued = true;
    requestAnimationFrame(() => {
      layoutQueued = false;
      if (rows.length === 0) return;
      layout(stuck ? undefined : captureAnchor());
    });
  }

  /**
   * A row changed size outside render() (streamed markdown flushed, <details>
   * toggled, an image loaded, the width changed): fix the scroll position now,
   * before paint, and let the next frame adjust the window.
   */
  const resizeObserver = new ResizeObserver((entries) => {
    if (rows.length === 0) return;
    const rootResized = entries.some((e) => e.target === root);
    const anchor = stuck ? undefined : captureAnchor();
    if (rootResized && measurable()) readBox();
    if (!measurable()) return;
    const changed = measure();
    if (!changed && !rootResized) return;
    const tops = computeTops(rows);
    setSpacers(tops);
    if (stuck) {
      root.scrollTop = root.scrollHeight;
    } else if (anchor && rows[anchor.row.index] === anchor.row) {
      const target = padTop + tops[anchor.row.index]! + anchor.delta;
      if (Math.abs(root.scrollTop - target) >= 1) root.scrollTop = target;
    }
    laidRows = rows;
    laidTops = tops;
    scheduleLayout();
  });
  resizeObserver.observe(root);

  root.addEventListener(
    'scroll',
    () => {
      if (rows.length === 0) return;
      stuck = root.scrollHeight - root.scrollTop - root.clientHeight < STICK_PX;
      scheduleLayout();
    },
    { passive: true },
  );

  return {
    render(state) {
      if (state?.sessionId !== sessionId) {
        sessionId = state?.sessionId;
        reset();
      }
      if (!state || state === current) return;
      if (state.timeline.length === 0) {
        if (rows.length > 0) reset();
        current = state;
        return;
      }
      const fresh = rows.length === 0;
      // Where the reader is, from the model, before anything moves.
      const anchor = stuck ? undefined : captureAnchor();
      // The width first, so new rows are estimated once, at the right width.
      if (measurable()) readBox();
      if (state.timeline !== timeline) syncRows(state.timeline);
      if (state.runs !== runs || state.timeline !== timeline) syncRuns(state);
      timeline = state.timeline;
      runs = state.runs;
      current = state;
      layout(anchor);
      announcer.update(state, fresh);
    },
    scrollToBottom() {
      stuck = true;
      if (rows.length > 0) layout(undefined);
    },
  };
}

function entryKey(entry: TimelineEntry): string {
  return entry.kind === 'run' ? `run:${entry.runId}` : `${entry.kind}:${entry.seq}`;
}

function clamp(n: number, min: number, max: number): number {
  return Math.min(max, Math.max(min, n));
}

// ---- height estimates ------------------------------------------------------------

const CHAR_PX = 8.3;
const LINE_PX = 24.8;

/** Lines `text` takes at `perLine` characters a line. */
function lineCount(text: string, perLine: number): number {
  let lines = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const len = (nl === -1 ? text.length : nl) - start;
    lines += len <= perLine ? 1 : Math.ceil(len / perLine);
    if (nl === -1) return lines;
    start = nl + 1;
  }
}

const BACKTICK = 96;
const TILDE = 126;

/**
 * A rough height for markdown: wrapped lines, paragraph gaps, code block
 * chrome. One pass with indexOf and char codes: it runs for every run when a
 * long session opens.
 */
function markdownHeight(text: string, perLine: number): number {
  let height = 0;
  let start = 0;
  let inCode = false;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const len = end - start;
    const c = text.charCodeAt(start);
    if ((c === BACKTICK || c === TILDE) && text.charCodeAt(start + 1) === c && text.charCodeAt(start + 2) === c) {
      height += inCode ? 12 : 56;
      inCode = !inCode;
    } else if (inCode) {
      height += 20;
    } else if (len === 0) {
      height += 12;
    } else {
      height += LINE_PX * (len <= perLine ? 1 : Math.ceil(len / perLine));
    }
    if (nl === -1) return height;
    start = nl + 1;
  }
}

function itemHeight(item: RunItem, perLine: number): number {
  switch (item.kind) {
    case 'text':
      return markdownHeight(item.text, perLine);
    case 'thinking':
      return 44;
    case 'tool':
      return 46;
    case 'notice':
      return 14 + 21 * lineCount(item.text, perLine);
    case 'permission':
      return item.resolved ? 80 : 110;
    default:
      return 40;
  }
}

function estimateRow(row: Row, width: number): number {
  const perLine = Math.max(16, (width || 360) / CHAR_PX);
  const entry = row.entry;
  switch (entry.kind) {
    case 'cleared':
      return 44;
    case 'notice':
      return 14 + 21 * lineCount(entry.text, perLine) + 10;
    case 'run': {
      const run = row.run;
      if (!run || run.status === 'queued') return 0;
      let height = 28 + 32; // gap after the run, footer
      if (run.prompt !== '') height += 16 + 10 + 23 * lineCount(run.prompt, perLine * 0.8);
      for (const item of run.items) height += 10 + itemHeight(item, perLine);
      if (run.items.length === 0 && run.status === 'running') height += 34;
      return height;
    }
    default:
      return 40;
  }
}

// ---- entries -------------------------------------------------------------------------

function createEntry(entry: TimelineEntry, handlers: TranscriptHandlers): EntryView {
  switch (entry.kind) {
    case 'run':
      return createRunView(handlers);
    case 'notice':
      return { el: h('p', { class: 'notice', 'data-level': entry.level }, [entry.text]), update: () => {} };
    case 'cleared':
      return { el: h('p', { class: 'divider' }, ['New conversation']), update: () => {} };
    default: {
      const never: never = entry;
      return never;
    }
  }
}

interface ItemView {
  el: HTMLElement;
  item: RunItem;
  update(item: RunItem): void;
}

function createRunView(handlers: TranscriptHandlers): EntryView {
  const promptText = h('div', { class: 'prompt-text' });
  const promptBox = h('div', { class: 'prompt' }, [h('h3', { class: 'who' }, ['You']), promptText]);
  const items = h('div', { class: 'items' });
  const waiting = h('p', { class: 'waiting' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Waiting for Claude…']);
  const footer = h('footer', { class: 'run-footer' });
  const el = h('article', { class: 'run' }, [promptBox, items, waiting, footer]);
  const itemViews: ItemView[] = [];
  let last: RunState | undefined;

  const update = (run: RunState | undefined) => {
    if (!run || run === last) return;
    const prev = last;
    last = run;
    el.dataset.runId = run.runId;
    // Queued prompts are listed by the queue panel until they start.
    el.hidden = run.status === 'queued';
    el.dataset.status = run.status;
    setText(promptText, run.prompt);
    // A run known only from its later events (history trimmed) has no prompt to show.
    promptBox.hidden = run.prompt === '';
    run.items.forEach((item, i) => {
      const existing = itemViews[i];
      if (existing && existing.item === item) return;
      if (existing && existing.item.kind === item.kind) {
        existing.update(item);
        existing.item = item;
        return;
      }
      const fresh = createItem(item, handlers);
      if (existing) existing.el.replaceWith(fresh.el);
      else items.append(fresh.el);
      itemViews[i] = fresh;
    });
    waiting.hidden = !(run.status === 'running' && run.items.length === 0);
    // Not on every delta: rebuilding would restart the spinner's animation.
    const footerChanged =
      !prev || prev.status !== run.status || prev.usage !== run.usage || prev.outcome !== run.outcome || prev.started !== run.started;
    if (footerChanged) renderFooter(footer, run);
  };
  return { el, update };
}

function createItem(item: RunItem, handlers: TranscriptHandlers): ItemView {
  switch (item.kind) {
    case 'text': {
      const md = createMarkdownView('assistant md', { headingsBelow: RUN_HEADING_LEVEL });
      const view: ItemView = { el: md.el, item, update: (next) => next.kind === 'text' && md.update(next.text, next.streaming) };
      view.update(item);
      return view;
    }
    case 'thinking':
      return createThinking(item);
    case 'tool':
      return createTool(item);
    case 'notice': {
      const el = h('p', { class: 'notice' });
      const update = (next: RunItem) => {
        if (next.kind !== 'notice') return;
        el.dataset.level = next.level;
        setText(el, next.text);
      };
      update(item);
      return { el, item, update };
    }
    case 'permission': {
      const el = h('div', { class: 'permission', role: 'group' });
      const update = (next: RunItem) => next.kind === 'permission' && renderPermission(el, next, handlers);
      update(item);
      return { el, item, update };
    }
    default: {
      const never: never = item;
      return never;
    }
  }
}

/** Collapsed until opened. */
function createThinking(item: Extract<RunItem, { kind: 'thinking' }>): ItemView {
  const text = h('div', { class: 'thinking-text' });
  const el = h('details', { class: 'thinking' }, [h('summary', {}, ['Thinking']), text]);
  const update = (next: RunItem) => next.kind === 'thinking' && setText(text, next.text);
  update(item);
  return { el, item, update };
}

/** A card: name, one-line summary and status in the summary row; the output (plain text) when opened. */
function createTool(item: Extract<RunItem, { kind: 'tool' }>): ItemView {
  const name = h('span', { class: 'tool-name' });
  const summary = h('code', { class: 'tool-summary' });
  const status = h('span', { class: 'tool-status' });
  const output = h('pre', { class: 'tool-output' });
  const el = h('details', { class: 'tool' }, [h('summary', { class: 'tool-head' }, [name, summary, status]), output]);
  let prev: ToolCall | undefined;
  const update = (next: RunItem) => {
    if (next.kind !== 'tool') return;
    const tool = next.tool;
    el.dataset.status = tool.status;
    makeScrollable(output, `${tool.name} output`);
    setText(name, tool.name);
    setText(summary, tool.summary);
    summary.hidden = tool.summary === '';
    if (prev?.status !== tool.status) {
      if (tool.status === 'running') status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…');
      else status.replaceChildren(tool.status === 'ok' ? 'ok' : 'error');
    }
    if (tool.status === 'running') setText(output, 'Still running…');
    else {
      const text = tool.output === '' ? '(no output)' : tool.output;
      setText(output, tool.truncated ? `${text}\n[output truncated]` : text);
    }
    prev = tool;
  };
  update(item);
  return { el, item, update };
}

function renderPermission(el: HTMLElement, item: Extract<RunItem, { kind: 'permission' }>, handlers: TranscriptHandlers): void {
  el.setAttribute('aria-label', `Permission for ${item.toolName}`);
  const input = oneLine(safeJson(item.input), PERMISSION_INPUT_CHARS);
  const what = h('p', {}, ['Claude wants to use ', h('strong', {}, [item.toolName]), input ? ': ' : '', input ? h('code', {}, [input]) : null]);
  if (item.resolved) {
    const verdict = item.resolved.behavior === 'allow' ? 'Allowed' : 'Denied';
    el.replaceChildren(what, h('p', { class: 'verdict' }, [`${verdict} (${item.resolved.by})`]));
    return;
  }
  const allow = h('button', { type: 'button', class: 'primary' }, ['Allow']);
  const deny = h('button', { type: 'button' }, ['Deny']);
  const answer = (behavior: 'allow' | 'deny') => {
    allow.disabled = true;
    deny.disabled = true;
    handlers.onPermission(item.requestId, behavior);
  };
  allow.addEventListener('click', () => answer('allow'));
  deny.addEventListener('click', () => answer('deny'));
  el.replaceChildren(what, h('div', { class: 'row' }, [allow, deny]));
}

function tokenParts(usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }): HTMLElement[] {
  const parts = [h('span', {}, [`${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out tokens`])];
  if (usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0) {
    parts.push(
      h('span', { title: 'Prompt cache: tokens read / written' }, [
        `cache ${formatTokens(usage.cacheReadTokens)} read / ${formatTokens(usage.cacheWriteTokens)} written`,
      ]),
    );
  }
  return parts;
}

function renderFooter(footer: HTMLElement, run: RunState): void {
  const outcome = run.outcome;
  if (run.status === 'queued') {
    footer.replaceChildren();
    return;
  }
  if (!outcome) {
    const usage = run.usage;
    const badge = h('span', { class: 'badge', 'data-status': 'running' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…']);
    footer.replaceChildren(badge, ...(usage ? tokenParts(usage) : []));
    return;
  }
  if (!run.started) {
    footer.replaceChildren(h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]), h('span', {}, ['never started']));
    return;
  }
  const parts = [
    h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]),
    h('span', { title: 'Cost' }, [formatCost(outcome.costUsd)]),
    ...tokenParts(outcome.usage),
    h('span', { title: 'Duration' }, [formatDuration(outcome.durationMs)]),
    h('span', {}, [plural(outcome.numTurns, 'turn')]),
  ];
  // An interrupted or cancelled run says so in its badge; only failures need
  // their text, and not twice when the CLI already printed it as the answer.
  const lastText = [...run.items].reverse().find((i) => i.kind === 'text');
  const showError = outcome.status === 'error' && outcome.error && outcome.error.trim() !== lastText?.text.trim();
  const error = showError ? h('p', { class: 'run-error' }, [outcome.error ?? '']) : null;
  footer.replaceChildren(...parts, ...(error ? [error] : []));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}

// ---- the live region ---------------------------------------------------------------

/**
 * Reads out the running run's answer: finished sentences as they complete
 * (batched, at most one announcement per ANNOUNCE_MS), and the rest of a text
 * when it is complete. History shown on opening a session is not read.
 */
function createAnnouncer(root: HTMLElement) {
  // The region sits in a closed shadow root of a visually hidden host: assistive
  // technology reads it (the accessibility tree is built from the flat tree), but
  // its copy of the answer stays out of the page's own text, so it does not turn up
  // twice in find-in-page, in text queries (tests' getByText) or in copied text.
  const host = h('div', { class: 'visually-hidden', 'data-transcript-announcer': '' });
  const region = h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' });
  host.attachShadow({ mode: 'closed' }).append(region);
  let follow: { runId: string; index: number; offset: number } | undefined;
  let queued = '';
  let lastAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const place = () => {
    if (host.isConnected) return;
    // Beside the transcript, not in it: the list empties and refills, the region must stay.
    if (root.parentNode) root.after(host);
  };

  const flush = () => {
    timer = undefined;
    const text = queued.trim();
    queued = '';
    if (text === '') return;
    lastAt = performance.now();
    region.textContent = text;
  };

  const say = (markdown: string) => {
    const text = speakable(markdown);
    if (text === '') return;
    queued += (queued ? ' ' : '') + text;
    const wait = ANNOUNCE_MS - (performance.now() - lastAt);
    if (wait <= 0) flush();
    else timer ??= setTimeout(flush, wait);
  };

  return {
    reset() {
      follow = undefined;
      queued = '';
      clearTimeout(timer);
      timer = undefined;
      region.textContent = '';
    },
    update(state: SessionState, opening: boolean) {
      place();
      if (!follow || !state.runs[follow.runId]) {
        const runId = state.activeRunId;
        const run = runId === undefined ? undefined : state.runs[runId];
        if (!run) {
          follow = undefined;
          return;
        }
        follow = { runId: run.runId, index: 0, offset: 0 };
        if (opening) {
          // Already under way when the session opened: only what comes next.
          const lastItem = run.items[run.items.length - 1];
          if (lastItem?.kind === 'text' && lastItem.streaming) follow = { runId: run.runId, index: run.items.length - 1, offset: sentenceEnd(lastItem.text) };
          else follow.index = run.items.length;
        }
      }
      const run = state.runs[follow.runId]!;
      while (follow.index < run.items.length) {
        const item = run.items[follow.index]!;
        if (item.kind === 'text') {
          if (item.streaming) {
            const end = sentenceEnd(item.text);
            if (end > follow.offset) say(item.text.slice(follow.offset, end));
            follow.offset = Math.max(follow.offset, end);
            break;
          }
          if (item.text.length > follow.offset) say(item.text.slice(follow.offset));
        }
        follow.index++;
        follow.offset = 0;
      }
      if (run.status !== 'running' && run.status !== 'queued') {
        follow = undefined;
        if (timer !== undefined) {
          clearTimeout(timer);
          flush();
        }
      }
    },
  };
}

/** The end of the last finished sentence (or line) in `text`. */
function sentenceEnd(text: string): number {
  const re = /[.!?…:;](?=\s)|\n/g;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + 1;
  return end;
}

/** Markdown as it should sound: no fences, markers or URLs. */
function speakable(markdown: string): string {
  return markdown
    .replace(/^ {0,3}(```|~~~).*$/gm, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^ {0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*_~`|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
