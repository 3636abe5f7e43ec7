import { describe, expect, it } from 'vitest';
import { runCost } from './outcome.js';

describe('runCost', () => {
  it('charges a run the growth of the conversation total the CLI reports', () => {
    expect(runCost(0.0102, 0)).toBe(0.0102);
    expect(runCost(0.0206, 0.0102)).toBeCloseTo(0.0104, 9);
  });

  it('charges nothing when the total did not grow (a failed call) or was not reported', () => {
    expect(runCost(0.0206, 0.0206)).toBe(0);
    expect(runCost(undefined, 0.5)).toBe(0);
  });

  it('takes a total lower than before as a fresh count', () => {
    expect(runCost(0.003, 0.02)).toBe(0.003);
  });
});
