import { describe, expect, it } from 'vitest';
import type { ActiveBlock } from '../../server/protocol/usage.js';
import { compactTokens, minutesLeft, money, shortMinutes } from '../views/usage-format.js';
import { limitWarning, loadLimits, saveLimits } from './usage-limits.js';

const block = { costUsd: 2, totalTokens: 40_000, projection: { costUsd: 6, totalTokens: 120_000 } } as ActiveBlock;
const memory = () => {
  const data = new Map<string, string>();
  return { getItem: (k: string) => data.get(k) ?? null, setItem: (k: string, v: string) => void data.set(k, v) };
};

describe('usage limits', () => {
  it('warn when the projection passes a cost or a token limit, and say when it is already past', () => {
    expect(limitWarning(block, { costUsd: 5 }, money, compactTokens)).toEqual({ already: false, text: 'At this rate the block ends at $6.00, past your $5.00 limit.' });
    expect(limitWarning(block, { costUsd: 1.5 }, money, compactTokens)?.already).toBe(true);
    expect(limitWarning(block, { tokens: 100_000 }, money, compactTokens)?.text).toBe('At this rate the block ends at 120k tokens, past your 100k limit.');
    expect(limitWarning(block, { costUsd: 10, tokens: 200_000 }, money, compactTokens)).toBeUndefined();
    expect(limitWarning(null, { costUsd: 1 }, money, compactTokens)).toBeUndefined();
  });

  it('are kept, and anything that is not a positive number is dropped', () => {
    const storage = memory();
    saveLimits({ costUsd: 5, tokens: -3 }, storage);
    expect(loadLimits(storage)).toEqual({ costUsd: 5, tokens: undefined });
    storage.setItem('claude-remote.usage-limits', 'not json');
    expect(loadLimits(storage)).toEqual({});
  });
});

describe('usage figures', () => {
  it('read short', () => {
    expect([money(0), money(0.0344), money(4.214), money(250.4)]).toEqual(['$0.00', '$0.034', '$4.21', '$250']);
    expect([compactTokens(950), compactTokens(12_345), compactTokens(4_500_000), compactTokens(250_000)]).toEqual(['950', '12.3k', '4.5M', '250k']);
    expect([minutesLeft(45), minutesLeft(125), shortMinutes(125), shortMinutes(7)]).toEqual(['45 min', '2 h 05 min', '2h05', '7m']);
  });
});
