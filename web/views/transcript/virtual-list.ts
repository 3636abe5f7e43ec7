/**
 * The transcript's virtual list. `root` (the scroll container) holds a top
 * spacer, the rows near the viewport (one screen above and below), and a
 * bottom spacer; the spacers stand in for the rows that are not there, at
 * their known or estimated heights (heights.ts).
 *
 * Scroll position is anchored by hand (`overflow-anchor: none`): before a
 * change, the row at the top of the viewport and its offset are noted from
 * the model; after rows are mounted and measured, scrollTop is set so that
 * row stays put. When the reader is at the bottom ("stuck"), the view stays
 * at the bottom instead, as output streams in.
 */
import { h } from '../../dom.js';
import type { SessionState, TimelineEntry } from '../../state/reducer.js';
import { estimateEntry } from './estimates.js';
import { RowHeights, rowAt } from './heights.js';
import { RowSet, type EntryView, type Row } from './rows.js';

/** Closer than this to the bottom counts as "at the bottom". */
const STICK_PX = 80;
/** Mount, measure, and place again at most this often in one layout. */
const MAX_LAYOUT_PASSES = 4;
/** The rows' width cap (`.transcript > *` in style.css): estimates use the narrower of it and the list. */
const CONTENT_MAX_PX = 860;

interface Anchor {
  row: Row;
  /** How far the viewport's top is below the row's top. */
  delta: number;
}

export class VirtualList {
  readonly #root: HTMLElement;
  readonly #topSpacer = h('div', { class: 'tv-spacer', 'aria-hidden': 'true' });
  readonly #bottomSpacer = h('div', { class: 'tv-spacer', 'aria-hidden': 'true' });
  readonly #heights = new RowHeights();
  readonly #rows: RowSet;
  #timeline: readonly TimelineEntry[] | undefined;
  #runs: SessionState['runs'] | undefined;
  /** Rows and their tops as of the last layout: what the DOM and scrollTop correspond to. */
  #laidRows: Row[] = [];
  #laidTops: Float64Array = new Float64Array(1);
  #firstMounted = 0;
  #lastMounted = -1;
  #padTop = 0;
  #padBottom = 0;
  #contentWidth = 0;
  #stuck = true;
  #layoutQueued = false;

  constructor(root: HTMLElement, createView: (entry: TimelineEntry) => EntryView) {
    this.#root = root;
    root.style.overflowAnchor = 'none';
    const observer = new ResizeObserver((entries) => this.#observerOnResize(entries));
    this.#rows = new RowSet({ root, createView, observer, estimate: (row) => estimateEntry(row.entry, row.run, this.#contentWidth) });
    observer.observe(root);
    root.addEventListener('scroll', () => this.#rootOnScroll(), { passive: true });
  }

  get isEmpty(): boolean {
    return this.#rows.rows.length === 0;
  }

  /** Shows the timeline with the runs' current states, keeping what the reader looks at in place. */
  show(timeline: readonly TimelineEntry[], runs: SessionState['runs']): void {
    // Where the reader is, from the model, before anything moves.
    const anchor = this.#stuck ? undefined : this.#captureAnchor();
    // The width first, so new rows are estimated once, at the right width.
    if (this.#measurable()) this.#readBox();
    const timelineChanged = timeline !== this.#timeline;
    if (timelineChanged) {
      this.#rows.sync(timeline);
      this.#heights.changed();
    }
    if ((runs !== this.#runs || timelineChanged) && this.#rows.syncRuns(runs)) this.#heights.changed();
    this.#timeline = timeline;
    this.#runs = runs;
    this.#layout(anchor);
  }

  /** Shows the end and follows new output again. */
  scrollToBottom(): void {
    this.#stuck = true;
    if (!this.isEmpty) this.#layout(undefined);
  }

  /** Empties the list (another session). */
  reset(): void {
    this.#rows.clear();
    this.#laidRows = [];
    this.#laidTops = new Float64Array(1);
    this.#timeline = undefined;
    this.#runs = undefined;
    this.#stuck = true;
    this.#heights.resetScale();
    this.#root.replaceChildren();
  }

  #captureAnchor(): Anchor | undefined {
    if (this.#laidRows.length === 0) return undefined;
    const y = this.#root.scrollTop - this.#padTop;
    const i = rowAt(this.#laidTops, this.#laidRows.length, y);
    return { row: this.#laidRows[i]!, delta: y - this.#laidTops[i]! };
  }

  #measurable(): boolean {
    return this.#root.isConnected && this.#root.clientHeight > 0;
  }

  #readBox(): void {
    const style = getComputedStyle(this.#root);
    this.#padTop = parseFloat(style.paddingTop) || 0;
    this.#padBottom = parseFloat(style.paddingBottom) || 0;
    const inner = this.#root.clientWidth - (parseFloat(style.paddingLeft) || 0) - (parseFloat(style.paddingRight) || 0);
    const width = Math.min(CONTENT_MAX_PX, inner);
    if (width <= 0 || Math.abs(width - this.#contentWidth) <= 1) return;
    this.#contentWidth = width;
    // Rows measured at another width: guess again, mounted ones are re-measured below.
    for (const row of this.#rows.rows) {
      row.estimate = estimateEntry(row.entry, row.run, width);
      row.height = undefined;
    }
    this.#heights.changed();
  }

  #layout(anchor: Anchor | undefined): void {
    const rows = this.#rows.rows;
    if (rows.length === 0) return;
    const root = this.#root;
    if (this.#topSpacer.parentNode !== root) root.replaceChildren(this.#topSpacer, this.#bottomSpacer);
    const canMeasure = this.#measurable();
    if (canMeasure) this.#readBox();
    const viewHeight = canMeasure ? root.clientHeight : window.innerHeight;
    if (!this.#stuck && !(anchor && this.#rows.isCurrent(anchor.row))) {
      // No anchor (first layout of rows while not at the bottom): keep scrollTop as it is.
      anchor = this.#captureAnchor() ?? { row: rows[0]!, delta: root.scrollTop - this.#padTop };
    }
    const anchorIndex = anchor && this.#rows.isCurrent(anchor.row) ? anchor.row.index : this.#stuck ? -1 : 0;
    let tops = this.#heights.tops(rows);
    for (let pass = 0; pass < MAX_LAYOUT_PASSES; pass++) {
      const total = tops[rows.length]!;
      const viewTop = this.#stuck || !anchor ? total + this.#padBottom - viewHeight : tops[anchorIndex]! + anchor.delta;
      // One screen above and below (the overscan) is mounted too.
      const first = rowAt(tops, rows.length, viewTop - viewHeight);
      const last = rowAt(tops, rows.length, viewTop + viewHeight + viewHeight);
      this.#place(first, last, tops);
      if (!canMeasure || !this.#heights.measure(this.#rows.mounted)) break;
      // Heights changed: the spacers above and below only cover unmounted rows, so only the window may move.
      tops = this.#heights.tops(rows);
    }
    this.#setSpacers(tops);
    if (canMeasure) this.#restoreScroll(tops, anchor, anchorIndex);
    this.#laidRows = rows;
    this.#laidTops = tops;
  }

  /** Bottom when stuck, else the anchor row back where it was. */
  #restoreScroll(tops: Float64Array, anchor: Anchor | undefined, anchorIndex: number): void {
    const root = this.#root;
    if (this.#stuck) {
      root.scrollTop = root.scrollHeight;
    } else if (anchor) {
      const target = this.#padTop + tops[anchorIndex]! + anchor.delta;
      if (Math.abs(root.scrollTop - target) >= 1) root.scrollTop = target;
    }
  }

  #place(first: number, last: number, tops: Float64Array): void {
    const rows = this.#rows.rows;
    for (const row of [...this.#rows.mounted]) if (row.index < first || row.index > last || rows[row.index] !== row) this.#rows.unmount(row);
    let prev: Node = this.#topSpacer;
    for (let i = first; i <= last; i++) {
      const el = this.#rows.mount(rows[i]!);
      if (prev.nextSibling !== el) this.#root.insertBefore(el, prev.nextSibling);
      prev = el;
    }
    this.#firstMounted = first;
    this.#lastMounted = last;
    this.#setSpacers(tops);
  }

  #setSpacers(tops: Float64Array): void {
    const above = tops[this.#firstMounted]!;
    const below = tops[this.#rows.rows.length]! - tops[this.#lastMounted + 1]!;
    this.#topSpacer.style.height = `${above}px`;
    this.#bottomSpacer.style.height = `${Math.max(0, below)}px`;
  }

  #scheduleLayout(): void {
    if (this.#layoutQueued) return;
    this.#layoutQueued = true;
    requestAnimationFrame(() => {
      this.#layoutQueued = false;
      if (this.isEmpty) return;
      this.#layout(this.#stuck ? undefined : this.#captureAnchor());
    });
  }

  /**
   * A row changed size outside show() (streamed markdown flushed, <details>
   * toggled, an image loaded, the width changed): fix the scroll position now,
   * before paint, and let the next frame adjust the window.
   */
  #observerOnResize(entries: ResizeObserverEntry[]): void {
    if (this.isEmpty) return;
    const rootResized = entries.some((e) => e.target === this.#root);
    const anchor = this.#stuck ? undefined : this.#captureAnchor();
    if (rootResized && this.#measurable()) this.#readBox();
    if (!this.#measurable()) return;
    const changed = this.#heights.measure(this.#rows.mounted);
    if (!changed && !rootResized) return;
    const rows = this.#rows.rows;
    const tops = this.#heights.tops(rows);
    this.#setSpacers(tops);
    const current = anchor && rows[anchor.row.index] === anchor.row ? anchor : undefined;
    this.#restoreScroll(tops, current, current?.row.index ?? 0);
    this.#laidRows = rows;
    this.#laidTops = tops;
    this.#scheduleLayout();
  }

  #rootOnScroll(): void {
    if (this.isEmpty) return;
    const root = this.#root;
    this.#stuck = root.scrollHeight - root.scrollTop - root.clientHeight < STICK_PX;
    this.#scheduleLayout();
  }
}
