/**
 * Numbers for the benchmarks: percentiles, medians, the figures each section
 * reports and the one table they all end up in.
 *
 * Figures on this machine are noisy (2 cores, other engineers' tests running
 * at the same time), so comparisons are made per round, interleaved, and
 * summarised by the median of the per-round ratios rather than the ratio of
 * two medians: a burst of load then hits both sides of one ratio.
 */

/** Nearest-rank percentile (p in 0..100) of unsorted samples; NaN when empty. */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) return NaN;
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

export const median = (samples: readonly number[]): number => percentile(samples, 50);

export const max = (samples: readonly number[]): number => (samples.length === 0 ? NaN : Math.max(...samples));

export const sum = (samples: readonly number[]): number => samples.reduce((a, b) => a + b, 0);

/** Median of a[i] / b[i]: the ratio of each round, then the middle one. */
export function medianRatio(a: readonly number[], b: readonly number[]): number {
  return median(a.map((x, i) => x / (b[i] as number)));
}

export const ms = (value: number, digits = 1): string => `${value.toFixed(digits)} ms`;
export const ratio = (value: number): string => `${value.toFixed(2)}x`;
export const mib = (bytes: number): string => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
export const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`;

/** p50 / p99 (or other cuts) of latency samples, as one cell. */
export function cuts(samples: readonly number[], ps: readonly number[] = [50, 99], digits = 2): string {
  return ps.map((p) => `p${p} ${percentile(samples, p).toFixed(digits)}`).join(', ') + ' ms';
}

export type SectionName = 'core' | 'cli' | 'relay' | 'scale' | 'cluster' | 'phone';

/** One row of the table. */
export interface Figure {
  section: SectionName;
  name: string;
  value: string;
  /** What we aim for, in words ("≤ 1.05x"); none for figures that only inform. */
  goal?: string | undefined;
  /** Whether the goal was met; undefined without a goal. */
  met?: boolean | undefined;
  /** Said in the table next to the figure (why a goal is missed, what was measured). */
  note?: string | undefined;
}

/** What a section hands back: its rows and paragraphs for under the table. */
export interface SectionResult {
  figures: Figure[];
  notes: string[];
}

/** A row with a goal; the note says "missed" when it is. */
export function goalFigure(
  section: SectionName,
  name: string,
  value: string,
  goal: string,
  met: boolean,
  note?: string,
): Figure {
  return { section, name, value, goal, met, note: met ? note : ['**missed**', note].filter(Boolean).join(': ') };
}

const cell = (text: string | undefined): string => (text ?? '').replace(/\|/g, '\\|').replace(/\n/g, ' ');

export function figuresTable(figures: readonly Figure[]): string {
  const lines = ['| Section | Figure | Result | Goal | Note |', '|---|---|---|---|---|'];
  for (const f of figures) {
    const goal = f.goal === undefined ? '—' : `${f.goal} ${f.met ? '✅' : '❌'}`;
    lines.push(`| ${f.section} | ${cell(f.name)} | ${cell(f.value)} | ${cell(goal)} | ${cell(f.note)} |`);
  }
  return lines.join('\n');
}
