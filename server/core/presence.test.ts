import { describe, expect, it } from 'vitest';
import type { Clock } from './ports.js';
import { Presence, PRESENCE_FRESH_MS } from './presence.js';

function fakeClock(): Clock & { advance(ms: number): void } {
  let now = Date.parse('2026-03-01T12:00:00.000Z');
  return { now: () => new Date(now), advance: (ms) => void (now += ms) };
}

describe('presence', () => {
  it('counts no one until a client says it is visible', () => {
    const presence = new Presence(fakeClock());
    expect(presence.someoneLooking()).toBe(false);
    presence.report({}, false);
    expect(presence.someoneLooking()).toBe(false);
  });

  it('counts a visible client until it says hidden or disconnects', () => {
    const presence = new Presence(fakeClock());
    const phone = {};
    const laptop = {};
    presence.report(phone, true);
    presence.report(laptop, false);
    expect(presence.someoneLooking()).toBe(true);
    presence.report(phone, false);
    expect(presence.someoneLooking()).toBe(false);
    presence.report(laptop, true);
    presence.forget(laptop);
    expect(presence.someoneLooking()).toBe(false);
  });

  it('stops counting a visible report that was not repeated within the minute', () => {
    const clock = fakeClock();
    const presence = new Presence(clock);
    const phone = {};
    presence.report(phone, true);
    clock.advance(PRESENCE_FRESH_MS);
    expect(presence.someoneLooking()).toBe(true);
    clock.advance(1);
    expect(presence.someoneLooking()).toBe(false);
    presence.report(phone, true);
    expect(presence.someoneLooking()).toBe(true);
  });
});
