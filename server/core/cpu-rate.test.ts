import { describe, expect, it } from 'vitest';
import { CpuRate } from './cpu-rate.js';

const at = (ms: number) => new Date(Date.UTC(2026, 0, 1) + ms);

describe('the CPU rate of a process tree', () => {
  it('is the CPU time used over the last span of at least a second, not over the whole life', () => {
    expect(new CpuRate(at(0)).sample(at(500), 0.1)).toBeUndefined();
    const rate = new CpuRate(at(0));
    // Since the spawn: 0.5 s of CPU in 2 s.
    expect(rate.sample(at(2000), 0.5)).toBe(25);
    // Busy for the next 10 s: a whole core, whatever the first seconds were.
    expect(rate.sample(at(12_000), 10.5)).toBe(100);
    // Then idle: the rate drops to 0 at once, where a lifetime average would still say 70 %.
    expect(rate.sample(at(22_000), 10.5)).toBe(0);
  });

  it('measures from the newest sample at least a second old, so requests a moment apart still see a rate', () => {
    const rate = new CpuRate(at(0));
    rate.sample(at(5000), 1);
    expect(rate.sample(at(6000), 2)).toBe(100);
    // 100 ms later: measured from 5 s (the newest sample a second old), not from 6 s.
    expect(rate.sample(at(6100), 2.1)).toBe(100);
    expect(rate.sample(at(6200), 2.1)).toBeCloseTo(91.7, 1);
  });

  it('reports several busy cores above 100, and a tree that lost a busy child as idle, never negative', () => {
    const rate = new CpuRate(at(0));
    expect(rate.sample(at(2000), 4)).toBe(200);
    expect(rate.sample(at(4000), 1)).toBe(0);
    expect(rate.sample(at(6000), 2)).toBe(50);
  });

  it('starts over when the clock goes back', () => {
    const rate = new CpuRate(at(10_000));
    expect(rate.sample(at(5000), 1)).toBeUndefined();
    expect(rate.sample(at(7000), 3)).toBe(100);
  });
});
