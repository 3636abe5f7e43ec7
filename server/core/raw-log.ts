/**
 * The raw CLI stdout lines of each run, kept for the `/chat` gateway and the
 * raw streams, which forward them unmodified. Lines are numbered 1, 2, 3...
 * per run in arrival order and written on their session's chain (see
 * EventLog.serial), batched like events; a subscriber replays the stored ones
 * and then follows live, each line once, then gets the run's end.
 *
 * Several instances (a SharedFeed): the instance running the run tells the
 * others each batch it stored; their followers get the run's end from its
 * `run.finished` event, after whatever the feed missed is read from the store.
 */
import type { RunStatus } from '../protocol/events.js';
import { AppError } from './errors.js';
import type { EventLog, LogFn } from './event-log.js';
import type { SharedFeed } from './ports.js';
import type { RawLine, Store } from './store.js';

export type RawItem = RawLine | { end: true; status: RunStatus };
export type RawListener = (item: RawItem) => void;

interface Writing {
  count: number;
  pending: RawLine[];
}

export class RawLog {
  readonly #store: Store;
  readonly #events: EventLog;
  readonly #log: LogFn;
  readonly #writing = new Map<string, Writing>();
  readonly #listeners = new Map<string, Set<RawListener>>();
  readonly #feed: SharedFeed | undefined;
  /** Shared: the highest line number heard of each followed run. */
  readonly #heard = new Map<string, number>();

  constructor(store: Store, events: EventLog, log: LogFn, feed?: SharedFeed) {
    this.#store = store;
    this.#events = events;
    this.#log = log;
    this.#feed = feed;
    feed?.onRaw((_sessionId, runId, lines) => this.#deliver(runId, lines));
    if (feed) {
      events.onAny((event) => {
        if (event.type !== 'run.finished' || !this.#listeners.has(event.runId) || this.#writing.has(event.runId)) return;
        this.#catchUpAndEnd(event.runId, event.status).catch((err: unknown) =>
          this.#log('error', 'could not end a raw stream', { sessionId: event.sessionId, runId: event.runId, err }),
        );
      });
    }
  }

  #deliver(runId: string, items: readonly RawItem[]): void {
    const listeners = this.#listeners.get(runId);
    if (!listeners) return;
    for (const item of items) if (!('end' in item)) this.#heard.set(runId, Math.max(this.#heard.get(runId) ?? 0, item.n));
    for (const listener of [...listeners]) for (const item of items) listener(item);
  }

  /** A run of another instance ended: what the feed missed, then the end. */
  async #catchUpAndEnd(runId: string, status: RunStatus): Promise<void> {
    const missed = await this.#store.readRawLines(runId, this.#heard.get(runId) ?? 0);
    this.#deliver(runId, [...missed, { end: true, status }]);
  }

  /** Keeps one line of a running run. Never throws; a failed write is logged. */
  append(sessionId: string, runId: string, line: string): void {
    let writing = this.#writing.get(runId);
    if (!writing) this.#writing.set(runId, (writing = { count: 0, pending: [] }));
    // The store numbers a run's lines in append order, and appends of one
    // session are serialised on its chain, so this count matches.
    writing.pending.push({ n: ++writing.count, line });
    if (writing.pending.length > 1) return;
    const batch = writing;
    this.#events
      .serial(sessionId, async () => {
        const items = batch.pending.splice(0);
        await this.#store.appendRawLines(runId, items.map((i) => i.line));
        this.#deliver(runId, items);
        this.#feed?.publishRaw(sessionId, runId, items);
      })
      .catch((err: unknown) => this.#log('error', 'could not keep raw CLI lines', { sessionId, runId, err }));
  }

  /** Tells the run's followers it is over, after its last line was kept. */
  end(sessionId: string, runId: string, status: RunStatus): Promise<void> {
    return this.#events.serial(sessionId, async () => {
      this.#writing.delete(runId);
      this.#deliver(runId, [{ end: true, status }]);
    });
  }

  /** Stored lines after `afterN`, then live ones, then the end. */
  async subscribe(runId: string, afterN: number, listener: RawListener): Promise<() => void> {
    const run = await this.#store.getRun(runId);
    if (!run) throw new AppError('run_not_found', `No run ${runId}.`);
    let last = afterN;
    let held: RawItem[] | undefined = [];
    let ended = false;
    const deliver = (item: RawItem) => {
      if (ended) return;
      if ('end' in item) {
        ended = true;
        listener(item);
        return;
      }
      if (item.n <= last) return;
      last = item.n;
      listener(item);
    };
    const live: RawListener = (item) => (held ? held.push(item) : deliver(item));
    let set = this.#listeners.get(runId);
    if (!set) this.#listeners.set(runId, (set = new Set()));
    set.add(live);
    const off = () => {
      set.delete(live);
      if (set.size > 0) return;
      this.#listeners.delete(runId);
      this.#heard.delete(runId);
    };
    // Read on the session's chain so no line is stored between this read and
    // the switch to live delivery without being seen by one or the other.
    await this.#events.serial(run.sessionId, async () => {
      for (const line of await this.#store.readRawLines(runId, last)) deliver(line);
      const now = await this.#store.getRun(runId);
      const pending = held ?? [];
      held = undefined;
      for (const item of pending) deliver(item);
      if (now && isFinal(now.state) && !ended) deliver({ end: true, status: now.state as RunStatus });
    });
    return off;
  }
}

function isFinal(state: string): boolean {
  return state !== 'queued' && state !== 'running';
}
