/**
 * The rows of the virtual list, one per timeline entry, keyed so a run keeps
 * its row (and its view) as the timeline grows. A row's view is made when it
 * is first mounted; unmounted views are kept for scrolling back (open
 * <details> survive) up to CACHED_VIEWS, and older ones are rebuilt on demand.
 */
import { h } from '../../dom.js';
import type { RunState, SessionState, TimelineEntry } from '../../state/reducer.js';

/** Detached row views kept for scrolling back; older ones are rebuilt. */
const CACHED_VIEWS = 150;

/** The view of a timeline entry (entries.ts makes them). */
export interface EntryView {
  el: HTMLElement;
  /** The run's latest state (runs only; other entries never change). */
  update(run: RunState | undefined): void;
}

export interface Row {
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

/** What the rows need from the list: views for entries, size estimates, and the observer that measures them. */
export interface RowDeps {
  root: HTMLElement;
  createView(entry: TimelineEntry): EntryView;
  estimate(row: Row): number;
  observer: ResizeObserver;
}

export class RowSet {
  rows: Row[] = [];
  readonly mounted = new Set<Row>();
  readonly #byKey = new Map<string, Row>();
  /** Rows with a detached view, oldest first. */
  readonly #cached = new Set<Row>();
  readonly #deps: RowDeps;

  constructor(deps: RowDeps) {
    this.#deps = deps;
  }

  /** Whether `row` is still the row of its entry (it may have been dropped since it was noted). */
  isCurrent(row: Row): boolean {
    return this.#byKey.get(row.key) === row;
  }

  /** Rows for the timeline, reusing those of entries already known. */
  sync(next: readonly TimelineEntry[]): void {
    const list: Row[] = new Array(next.length);
    const seen = new Set<Row>();
    next.forEach((entry, index) => {
      const row = this.#byKey.get(entryKey(entry)) ?? this.#add(entry);
      row.index = index;
      list[index] = row;
      seen.add(row);
    });
    // The timeline only grows, but be safe if it ever does not.
    if (this.#byKey.size !== list.length) this.#dropAllBut(seen);
    this.rows = list;
  }

  /** Gives runs their new state: mounted views update now, detached ones when mounted again. True if any changed. */
  syncRuns(runs: SessionState['runs']): boolean {
    let changed = false;
    for (const row of this.rows) {
      if (row.entry.kind !== 'run') continue;
      const run = runs[row.entry.runId];
      if (run === row.run) continue;
      row.run = run;
      row.estimate = this.#deps.estimate(row);
      changed = true;
      if (row.mounted) {
        row.view!.update(run);
        row.stale = false;
      } else {
        row.height = undefined;
        row.stale = true;
      }
    }
    return changed;
  }

  /** The row's element, up to date and observed; the caller puts it in place. */
  mount(row: Row): HTMLElement {
    if (!row.view || !row.el) {
      row.view = this.#deps.createView(row.entry);
      row.el = h('div', { class: 'tv-row' }, [row.view.el]);
      row.stale = true;
    }
    if (row.stale) {
      row.view.update(row.run);
      row.stale = false;
    }
    this.#cached.delete(row);
    if (!row.mounted) {
      row.mounted = true;
      this.mounted.add(row);
      this.#deps.observer.observe(row.el);
    }
    return row.el;
  }

  unmount(row: Row): void {
    const el = row.el;
    if (el) {
      // Focus inside a row that goes away would fall to <body>; keep it in the transcript.
      if (el.contains(document.activeElement)) this.#deps.root.focus({ preventScroll: true });
      el.remove();
      this.#deps.observer.unobserve(el);
    }
    row.mounted = false;
    this.mounted.delete(row);
    this.#cached.add(row);
    if (this.#cached.size > CACHED_VIEWS) {
      const oldest = this.#cached.values().next().value as Row;
      this.#cached.delete(oldest);
      oldest.view = undefined;
      oldest.el = undefined;
    }
  }

  /** Forgets every row (the list empties the DOM itself). */
  clear(): void {
    for (const row of this.mounted) if (row.el) this.#deps.observer.unobserve(row.el);
    this.rows = [];
    this.#byKey.clear();
    this.mounted.clear();
    this.#cached.clear();
  }

  #add(entry: TimelineEntry): Row {
    const key = entryKey(entry);
    const row: Row = { key, entry, index: 0, run: undefined, height: undefined, estimate: 0, view: undefined, el: undefined, stale: true, mounted: false };
    // Runs are estimated by syncRuns, once their state is known.
    if (entry.kind !== 'run') row.estimate = this.#deps.estimate(row);
    this.#byKey.set(key, row);
    return row;
  }

  #dropAllBut(keep: Set<Row>): void {
    for (const [key, row] of this.#byKey) {
      if (keep.has(row)) continue;
      if (row.mounted) this.unmount(row);
      this.#cached.delete(row);
      this.#byKey.delete(key);
    }
  }
}

function entryKey(entry: TimelineEntry): string {
  return entry.kind === 'run' ? `run:${entry.runId}` : `${entry.kind}:${entry.seq}`;
}
