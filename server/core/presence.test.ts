import { describe, expect, it } from 'vitest';
import type { Clock } from './ports.js';
import { Presence, PRESENCE_FRESH_MS, type PresenceChannel } from './presence.js';

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

/** Instances on one channel, as the Redis cluster joins them: each hears the others, never itself. */
function channels(): (id: string) => PresenceChannel & { said: number[] } {
  const listeners = new Map<string, (from: string, forMs: number) => void>();
  return (id) => {
    const said: number[] = [];
    return {
      said,
      async publishPresence(forMs) {
        said.push(forMs);
        for (const [other, listener] of listeners) if (other !== id) listener(id, forMs);
      },
      onPresence(listener) {
        listeners.set(id, listener);
      },
    };
  };
}

describe('presence across instances', () => {
  it('counts a client of another instance for as long as its report counts there, by this clock', async () => {
    const [clockA, clockB] = [fakeClock(), fakeClock()];
    const channel = channels();
    const a = new Presence(clockA, PRESENCE_FRESH_MS, channel('a'));
    const b = new Presence(clockB, PRESENCE_FRESH_MS, channel('b'));
    const phone = {};
    await a.report(phone, true);
    expect(b.someoneLooking()).toBe(true);
    clockA.advance(20_000);
    clockB.advance(PRESENCE_FRESH_MS);
    expect(b.someoneLooking()).toBe(true);
    clockB.advance(1);
    expect(b.someoneLooking()).toBe(false); // what a said ran out, though a's clock is behind
    expect(a.someoneLooking()).toBe(true);
  });

  it('tells the others when its last visible client says hidden or leaves, and only its freshest report\'s remaining time', async () => {
    const clock = fakeClock();
    const channel = channels();
    const toOthers = channel('a');
    const a = new Presence(clock, PRESENCE_FRESH_MS, toOthers);
    const b = new Presence(fakeClock(), PRESENCE_FRESH_MS, channel('b'));
    const [phone, laptop] = [{}, {}];
    await a.report(phone, true);
    clock.advance(50_000);
    await a.report(laptop, false);
    // The phone's report has 10 s left: that is what b hears, not a fresh minute.
    expect(toOthers.said).toEqual([PRESENCE_FRESH_MS, PRESENCE_FRESH_MS - 50_000]);
    await a.report(laptop, true);
    await a.report(phone, false);
    expect(b.someoneLooking()).toBe(true);
    a.forget(laptop);
    expect(b.someoneLooking()).toBe(false);
    expect(a.someoneLooking()).toBe(false);
  });
});
