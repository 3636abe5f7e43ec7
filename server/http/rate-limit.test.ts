import { describe, expect, it } from 'vitest';
import { createRateLimiter } from './rate-limit.js';

describe('rate limiter', () => {
  it('blocks a key after max failures in the window and lets it in again as they age out', () => {
    let t = 0;
    const limiter = createRateLimiter({ max: 3, windowMs: 1000, now: () => t });
    limiter.fail('a');
    t = 100;
    limiter.fail('a');
    t = 200;
    expect(limiter.blockedFor('a')).toBe(0);
    limiter.fail('a');
    expect(limiter.blockedFor('a')).toBe(800); // until the failure at 0 leaves the window
    expect(limiter.blockedFor('b')).toBe(0);
    t = 1001;
    expect(limiter.blockedFor('a')).toBe(0);
  });
});
