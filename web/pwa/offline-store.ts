/**
 * The app's own offline data: the session list, the selected session, and the
 * reduced state of the sessions viewed most recently (snapshot-db.ts keeps
 * them in IndexedDB). On a start without the server the app shows this until
 * the first welcome; the saved states also carry their lastSeq, so the hello
 * resumes from there.
 *
 * Writes are throttled (at most one a second, always the latest snapshot),
 * and a state is written again only when the reducer made a new object for
 * it, so a stream into one session rewrites that session alone. Logging out
 * deletes the database: the next person to pick up the phone must not find
 * the transcripts.
 */
import type { SessionView } from '../../server/protocol/events.js';
import type { SessionState } from '../state/reducer.js';
import { SnapshotDb } from './snapshot-db.js';

export interface OfflineSnapshot {
  sessions: readonly SessionView[];
  selectedId?: string | undefined;
  states: Record<string, SessionState>;
}

export interface SavedSnapshot extends OfflineSnapshot {
  sessions: SessionView[];
  /** When it was written (ms since the epoch). */
  savedAt: number;
}

export interface OfflineStore {
  /** The last saved snapshot, or undefined when there is none (or it cannot be read). */
  load(): Promise<SavedSnapshot | undefined>;
  /** Saves the snapshot soon; resolves when a write that includes it has finished. */
  save(snapshot: OfflineSnapshot): Promise<void>;
  /** Forgets everything kept offline and writes nothing more; resolves once the database is gone. */
  clear(): Promise<void>;
}

/** Sessions whose states are kept: the most recently viewed. */
export const MAX_SAVED_STATES = 10;
/** At most one write per this many ms. */
export const SAVE_INTERVAL_MS = 1000;

export function createOfflineStore(): OfflineStore {
  return new ThrottledOfflineStore(new SnapshotDb());
}

class ThrottledOfflineStore implements OfflineStore {
  readonly #db: SnapshotDb;
  /** The states as last written (or read), by id: unchanged objects are not written again. */
  readonly #written = new Map<string, SessionState>();
  /** Ids of the saved states, most recently viewed first. */
  #recent: string[] = [];
  /** The list and selection as last written: an unchanged snapshot is not written at all. */
  #writtenSessions: readonly SessionView[] | undefined;
  #writtenSelectedId: string | undefined;
  #latest: OfflineSnapshot | undefined;
  #waiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #writing = false;
  #lastWriteAt = -Infinity;
  #listening = false;
  /** The page is going away: write what is pending without waiting out the interval. */
  #urgent = false;
  /** Set by clear(): this page writes nothing more (it is leaving for the login page). */
  #cleared = false;

  constructor(db: SnapshotDb) {
    this.#db = db;
  }

  async load(): Promise<SavedSnapshot | undefined> {
    try {
      const stored = await this.#db.read();
      if (!stored) return undefined;
      const { meta, states } = stored;
      this.#recent = meta.recent.filter((id) => states[id]);
      for (const [id, state] of Object.entries(states)) this.#written.set(id, state);
      this.#writtenSessions = meta.sessions;
      this.#writtenSelectedId = meta.selectedId;
      return { sessions: meta.sessions, selectedId: meta.selectedId, states, savedAt: meta.savedAt };
    } catch {
      return undefined;
    }
  }

  save(snapshot: OfflineSnapshot): Promise<void> {
    if (this.#cleared) return Promise.resolve();
    this.#latest = snapshot;
    this.#listenForPageExit();
    const saved = new Promise<void>((resolve, reject) => this.#waiters.push({ resolve, reject }));
    this.#schedule();
    return saved;
  }

  async clear(): Promise<void> {
    this.#cleared = true;
    clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#latest = undefined;
    for (const w of this.#waiters.splice(0)) w.resolve();
    this.#forgetWritten();
    this.#recent = [];
    await this.#db.destroy();
  }

  /** A phone may discard a hidden page without another event: write what is pending then. */
  #listenForPageExit(): void {
    if (this.#listening) return;
    this.#listening = true;
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') this.#flushNow();
    });
    window.addEventListener('pagehide', () => this.#flushNow());
  }

  #schedule(): void {
    if (this.#timer !== undefined || this.#writing || !this.#latest) return;
    const wait = this.#urgent ? 0 : Math.max(0, this.#lastWriteAt + SAVE_INTERVAL_MS - Date.now());
    this.#timer = setTimeout(() => void this.#flush(), wait);
  }

  #flushNow(): void {
    this.#urgent = true;
    if (this.#timer === undefined) return; // nothing pending, or a write is running: it schedules the rest at once
    clearTimeout(this.#timer);
    void this.#flush();
  }

  async #flush(): Promise<void> {
    this.#timer = undefined;
    const snapshot = this.#latest;
    const batch = this.#waiters;
    this.#latest = undefined;
    this.#waiters = [];
    if (!snapshot) return;
    this.#writing = true;
    const final = this.#urgent;
    this.#urgent = false;
    this.#lastWriteAt = Date.now();
    try {
      await this.#write(snapshot, final);
      for (const w of batch) w.resolve();
    } catch (err) {
      // Write everything again next time: we no longer know what the store holds.
      this.#forgetWritten();
      for (const w of batch) w.reject(err);
    } finally {
      this.#writing = false;
      this.#schedule();
    }
  }

  async #write(snapshot: OfflineSnapshot, final: boolean): Promise<void> {
    const { states } = snapshot;
    const keep = this.#statesToKeep(snapshot);
    const unchanged =
      snapshot.sessions === this.#writtenSessions &&
      snapshot.selectedId === this.#writtenSelectedId &&
      keep.length === this.#recent.length &&
      keep.every((id, i) => this.#recent[i] === id && this.#written.get(id) === states[id]);
    if (unchanged) return;

    const put = new Map<string, SessionState>();
    for (const id of keep) if (states[id] && this.#written.get(id) !== states[id]) put.set(id, states[id]);
    // States no longer kept: those we know of at once; snapshot-db sweeps for any other (another tab's).
    const drop = [...new Set([...this.#recent, ...this.#written.keys()])].filter((id) => !keep.includes(id));
    const meta = { sessions: [...snapshot.sessions], selectedId: snapshot.selectedId, recent: keep };
    await this.#db.write({ put, drop, keep, meta, final });

    this.#recent = keep;
    this.#writtenSessions = snapshot.sessions;
    this.#writtenSelectedId = snapshot.selectedId;
    for (const id of [...this.#written.keys()]) if (!keep.includes(id)) this.#written.delete(id);
    for (const [id, state] of put) this.#written.set(id, state);
  }

  /** Most recently viewed first: the selected one, then the earlier order, then any other followed. */
  #statesToKeep(snapshot: OfflineSnapshot): string[] {
    const keep: string[] = [];
    for (const id of [snapshot.selectedId, ...this.#recent, ...Object.keys(snapshot.states)]) {
      if (id === undefined || keep.includes(id) || !snapshot.states[id]) continue;
      keep.push(id);
      if (keep.length === MAX_SAVED_STATES) break;
    }
    return keep;
  }

  #forgetWritten(): void {
    this.#written.clear();
    this.#writtenSessions = undefined;
  }
}
