import { describe, expect, it } from 'vitest';
import { RUN_ERROR_KINDS } from '../../server/protocol/constants.js';
import { ERROR_KIND_TEXT, errorKindLabel, errorLine, localTime, pausedText, relativeTime, retryingText, retryRemainingMs } from './run-text.js';

const NOW = Date.parse('2026-03-10T12:00:00.000Z');
const at = (offsetMs: number) => new Date(NOW + offsetMs).toISOString();

describe('error kinds as a person reads them', () => {
  it('has a label and a hint for every kind the protocol lists', () => {
    for (const kind of RUN_ERROR_KINDS) {
      expect(ERROR_KIND_TEXT[kind].label.length, kind).toBeGreaterThan(3);
      expect(ERROR_KIND_TEXT[kind].hint.length, kind).toBeGreaterThan(10);
    }
    expect(errorKindLabel('auth')).toBe('Not logged in');
    expect(errorKindLabel('billing')).toBe('Out of credit');
    expect(errorKindLabel('usage_limit')).toBe('Usage limit reached');
  });

  it('shows the server\'s message after the label, and the hint only when the server said nothing', () => {
    expect(errorLine('billing', 'The account\'s credit balance is too low (HTTP 400).')).toEqual({
      label: 'Out of credit',
      text: 'The account\'s credit balance is too low (HTTP 400).',
    });
    expect(errorLine('auth', undefined).text).toMatch(/Log in/);
    expect(errorLine('auth', '   ').text).toMatch(/Log in/);
    expect(errorLine(undefined, 'boom')).toEqual({ label: 'Failed', text: 'boom' });
  });

  it('reads a kind this app does not know yet as its own words', () => {
    expect(errorKindLabel('quota_exceeded')).toBe('quota exceeded');
    expect(errorLine('quota_exceeded', undefined)).toEqual({ label: 'quota exceeded', text: '' });
  });
});

describe('the retry countdown', () => {
  const retrying = { attempt: 2, maxRetries: 10, delayMs: 4000, errorStatus: 529, at: at(0) };

  it('counts down whole seconds from when the retry was announced, then says "now"', () => {
    expect(retryingText(retrying, NOW)).toBe('Retrying in 4 s (attempt 2 of 10, HTTP 529)');
    expect(retryingText(retrying, NOW + 1200)).toBe('Retrying in 3 s (attempt 2 of 10, HTTP 529)');
    expect(retryingText(retrying, NOW + 3999)).toBe('Retrying in 1 s (attempt 2 of 10, HTTP 529)');
    expect(retryingText(retrying, NOW + 4000)).toBe('Retrying now (attempt 2 of 10, HTTP 529)');
    expect(retryingText({ ...retrying, errorStatus: undefined }, NOW + 9000)).toBe('Retrying now (attempt 2 of 10)');
  });

  it('never waits longer than the delay announced, even with a clock behind the server\'s', () => {
    expect(retryRemainingMs(retrying, NOW - 60_000)).toBe(4000);
    expect(retryRemainingMs(retrying, NOW + 60_000)).toBe(0);
    expect(retryRemainingMs({ ...retrying, at: 'not a time' }, NOW)).toBe(4000);
  });
});

describe('times', () => {
  it('says how far a moment is from now', () => {
    expect(relativeTime(at(5 * 60_000), NOW)).toBe('in 5 min');
    expect(relativeTime(at(125 * 60_000), NOW)).toBe('in 2 h 05 min');
    expect(relativeTime(at(-3 * 60_000), NOW)).toBe('3 min ago');
    expect(relativeTime(at(-10_000), NOW)).toBe('just now');
    expect(relativeTime(at(20_000), NOW)).toBe('in less than a minute');
  });

  it('gives the local time of day, with the day when it is not today', () => {
    const today = new Date(NOW);
    today.setHours(14, 5, 0, 0);
    const time = today.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
    expect(localTime(today.toISOString(), today.getTime())).toBe(time);
    const later = new Date(today.getTime() + 3 * 86_400_000);
    expect(localTime(later.toISOString(), today.getTime())).toMatch(new RegExp(`\\S+ ${later.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' })}$`));
    expect(localTime(later.toISOString(), today.getTime())).not.toBe(later.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
  });
});

describe('the paused banner\'s words', () => {
  it('says why, since when, and that a billing pause waits for the user', () => {
    const text = pausedText({ reason: 'billing', since: at(-3 * 60_000), message: 'Credit balance is too low' }, NOW);
    expect(text.title).toBe('Queue paused: out of credit');
    expect(text.when).toMatch(/^Paused since .+ \(3 min ago\)\. It waits until you resume it\.$/);
    expect(text.message).toBe('Credit balance is too low');
  });

  it('says when a usage-limit pause resumes by itself', () => {
    const text = pausedText({ reason: 'usage_limit', since: at(-60_000), until: at(90 * 60_000) }, NOW);
    expect(text.title).toBe('Queue paused: usage limit reached');
    expect(text.when).toMatch(/It resumes by itself at .+ \(in 1 h 30 min\)\.$/);
    expect(text.message).toBeUndefined();
  });
});
