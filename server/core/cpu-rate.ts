/**
 * How busy a process tree is now: CPU time used per second of wall time, as
 * a percentage of one core (200 = two cores busy), over the last few seconds
 * rather than over its whole life.
 *
 * The tree's cumulative CPU time is sampled whenever someone measures it (a
 * request for the process list, and the warm pool's check every 15 s); the
 * rate is taken over the span since the newest earlier sample that is at
 * least MIN_SPAN_MS old, so two requests a moment apart do not divide noise
 * by nothing. The first sample is the spawn itself (no CPU used yet).
 */

/** Below this span the rate is mostly rounding (CPU time comes in 10 ms ticks). */
export const CPU_MIN_SPAN_MS = 1000;

interface Sample {
  atMs: number;
  cpuSeconds: number;
}

export class CpuRate {
  /** Oldest first: the current baseline, then every newer sample. */
  #samples: Sample[];

  constructor(startedAt: Date) {
    this.#samples = [{ atMs: startedAt.getTime(), cpuSeconds: 0 }];
  }

  /** Records the tree's CPU time at `at`; returns the rate since the baseline, or undefined while the span is too short. */
  sample(at: Date, cpuSeconds: number): number | undefined {
    const atMs = at.getTime();
    const newest = this.#samples[this.#samples.length - 1];
    if (newest && atMs < newest.atMs) {
      // The clock went back: start over from here.
      this.#samples = [{ atMs, cpuSeconds }];
      return undefined;
    }
    let baseIndex = this.#samples.length - 1;
    while (baseIndex >= 0 && atMs - (this.#samples[baseIndex] as Sample).atMs < CPU_MIN_SPAN_MS) baseIndex--;
    this.#samples.push({ atMs, cpuSeconds });
    if (baseIndex < 0) return undefined;
    // Older samples can never be the baseline again: a later one always is.
    this.#samples.splice(0, baseIndex);
    const base = this.#samples[0] as Sample;
    // A tool that exited takes its CPU time with it: the sum can drop; that span reads as idle.
    const used = Math.max(0, cpuSeconds - base.cpuSeconds);
    return Math.round((used / ((atMs - base.atMs) / 1000)) * 1000) / 10;
  }
}
