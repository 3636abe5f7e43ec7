import { describe, expect, it } from 'vitest';
import { makeRun } from '../store/store.contract.js';
import type { RunState } from './store.js';
import { tailWindow } from './transcript-window.js';

const runs = (...states: RunState[]) => states.map((state, i) => makeRun('s', { id: `r${i}`, state }));

describe('tailWindow', () => {
  it('shows the last runs', () => {
    const { start, shown } = tailWindow(runs('success', 'success', 'error', 'success'), 2);
    expect(start).toBe(2);
    expect(shown.map((r) => r.id)).toEqual(['r2', 'r3']);
  });

  it('widens to every run not over yet', () => {
    expect(tailWindow(runs('success', 'running', 'queued', 'queued'), 1).start).toBe(1);
    expect(tailWindow(runs('success', 'queued', 'success', 'success'), 2).start).toBe(1);
  });

  it('shows everything when there are fewer runs than asked for, and nothing for none', () => {
    expect(tailWindow(runs('success'), 50)).toMatchObject({ start: 0 });
    expect(tailWindow([], 50)).toEqual({ start: 0, shown: [] });
  });
});
