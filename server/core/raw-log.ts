/**
 * The raw CLI stdout lines of each run, kept for the `/chat` gateway and the
 * raw streams, which forward them unmodified. Lines are numbered 1, 2, 3...
 * per run in arrival order and written on their session's chain (see
 * EventLog.serial), batched like events; a subscriber replays the stored ones
 * and then follows live, each line once, then gets the run's end.
 */
import type { RunStatus } from '../protocol/events.js';
import { AppError } from './errors.js';
import type { EventLog, LogFn } from './event-log.js';
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

  constructor(store: Store, events: EventLog, log: LogFn) {
    this.#store = store;
    this.#events = events;
    this.#log = log;
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
        for (const listener of [...(this.#listeners.get(runId) ?? [])]) for (const item of items) listener(item);
      })
      .catch((err: unknown) => this.#log('error', 'could not keep raw CLI lines', { sessionId, runId, err }));
  }

  /** Tells the run's followers it is over, after its last line was kept. */
  end(sessionId: string, runId: string, status: RunStatus): Promise<void> {
    return this.#events.serial(sessionId, async () => {
      this.#writing.delete(runId);
      for (const listener of [...(this.#listeners.get(runId) ?? [])]) listener({ end: true, status });
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
      if (set.size === 0) this.#listeners.delete(runId);
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
