import { describe, expect, it } from 'vitest';
import type { ServerEvent } from '../protocol/events.js';
import { createSqliteStore } from '../store/sqlite.js';
import { EventLog } from './event-log.js';
import { systemClock } from './ports.js';

const notice = (sessionId: string, text: string) => ({ type: 'notice' as const, sessionId, level: 'info' as const, text });

function setup() {
  const store = createSqliteStore({ file: ':memory:' });
  const logged: string[] = [];
  const log = new EventLog(store, systemClock, (_level, message) => logged.push(message));
  return { store, log, logged };
}

describe('EventLog', () => {
  it('numbers each session\'s events 1, 2, 3 in the order they were emitted, even all at once', async () => {
    const { log } = setup();
    const stored = await Promise.all([
      ...Array.from({ length: 50 }, (_, i) => log.append(notice('a', `a${i}`))),
      ...Array.from({ length: 30 }, (_, i) => log.append(notice('b', `b${i}`))),
    ]);
    const of = (id: string) => stored.filter((e) => e.sessionId === id) as Array<Extract<ServerEvent, { type: 'notice' }>>;
    expect(of('a').map((e) => e.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
    expect(of('a').map((e) => e.text)).toEqual(Array.from({ length: 50 }, (_, i) => `a${i}`));
    expect(of('b').map((e) => e.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
  });

  it('gives a subscriber every event once, in order, while events keep coming during its replay', async () => {
    const { log } = setup();
    for (let i = 0; i < 1500; i++) log.record(notice('s', `before ${i}`));
    const seen: number[] = [];
    const subscribing = log.subscribe('s', 0, (e) => seen.push(e.seq));
    for (let i = 0; i < 500; i++) log.record(notice('s', `during ${i}`));
    const off = await subscribing;
    await log.append(notice('s', 'after'));
    off();
    expect(seen).toEqual(Array.from({ length: 2001 }, (_, i) => i + 1));
  });

  it('starts a subscriber after the seq it already has', async () => {
    const { log } = setup();
    for (let i = 0; i < 10; i++) await log.append(notice('s', `${i}`));
    const seen: number[] = [];
    const off = await log.subscribe('s', 7, (e) => seen.push(e.seq));
    off();
    expect(seen).toEqual([8, 9, 10]);
  });

  it('keeps publishing to the others when one listener throws, and logs it', async () => {
    const { log, logged } = setup();
    const seen: string[] = [];
    await log.subscribe('s', 0, () => {
      throw new Error('a broken listener');
    });
    log.onAny((e) => seen.push(e.type));
    await log.append(notice('s', 'x'));
    expect(seen).toEqual(['notice']);
    expect(logged.some((m) => m.includes('listener failed'))).toBe(true);
  });

  it('reports a failed write to whoever waits, and logs it for record(): never an unhandled rejection', async () => {
    const { store, log, logged } = setup();
    await store.close();
    await expect(log.append(notice('s', 'lost'))).rejects.toThrow();
    log.record(notice('s', 'also lost'));
    await log.settle();
    expect(logged.some((m) => m.includes('could not log a notice event'))).toBe(true);
  });

  it('runs serial work after the writes queued before it', async () => {
    const { log, store } = setup();
    for (let i = 0; i < 20; i++) log.record(notice('s', `${i}`));
    const last = await log.serial('s', () => store.lastSeq('s'));
    expect(last).toBe(20);
  });
});
