/**
 * The heights the virtual list lays out with: a row's measured height while
 * valid, else its estimate times a scale learnt from the first rows measured
 * (then kept, so the spacers do not creep while the reader scrolls), and the
 * rows' tops, recomputed only when something they depend on changed.
 */
import type { Row } from './rows.js';

/** Rows measured to learn the scale; after that it stays. */
const SCALE_SAMPLES = 30;
const MIN_SCALE = 0.5;
const MAX_SCALE = 2.5;
/** A measured height this close to the known one is the same. */
const SAME_PX = 0.5;

export class RowHeights {
  /** Measured / estimated. */
  #scale = 1;
  #samples = 0;
  #measured = 0;
  #estimated = 0;
  /** Bumped whenever a height, an estimate, the scale or the rows change. */
  #version = 0;
  #topsFor: { list: readonly Row[]; version: number; tops: Float64Array } | undefined;

  heightOf(row: Row): number {
    return row.height ?? row.estimate * this.#scale;
  }

  /** Something the tops depend on changed (rows, estimates, heights). */
  changed(): void {
    this.#version++;
  }

  /** tops[i] is where row i starts; tops[list.length] is the total height. */
  tops(list: readonly Row[]): Float64Array {
    const cached = this.#topsFor;
    if (cached && cached.list === list && cached.version === this.#version) return cached.tops;
    const tops = new Float64Array(list.length + 1);
    for (let i = 0; i < list.length; i++) tops[i + 1] = tops[i]! + this.heightOf(list[i]!);
    this.#topsFor = { list, version: this.#version, tops };
    return tops;
  }

  /** Measures the mounted rows' wrappers (their box is the row's whole height); true if any height changed. */
  measure(mounted: Iterable<Row>): boolean {
    let changed = false;
    for (const row of mounted) {
      const height = row.el!.getBoundingClientRect().height;
      if (row.height !== undefined && Math.abs(row.height - height) < SAME_PX) continue;
      if (row.height === undefined && this.#samples < SCALE_SAMPLES && row.estimate > 0 && height > 0) {
        this.#samples++;
        this.#measured += height;
        this.#estimated += row.estimate;
      }
      row.height = height;
      changed = true;
    }
    if (changed) this.#version++;
    if (this.#samples > 0 && this.#samples < SCALE_SAMPLES) {
      this.#scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this.#measured / this.#estimated));
    }
    return changed;
  }

  /** A new session: learn the scale again. */
  resetScale(): void {
    this.#scale = 1;
    this.#samples = this.#measured = this.#estimated = 0;
  }
}

/** The last index i (of `count` rows) with tops[i] <= y, or 0. */
export function rowAt(tops: Float64Array, count: number, y: number): number {
  let lo = 0;
  let hi = count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (tops[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return Math.max(0, lo);
}
