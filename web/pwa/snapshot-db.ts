/**
 * The IndexedDB database behind the offline copy (through `idb`, which turns
 * requests and transactions into promises): a `meta` record (the session
 * list, the selection, which states are kept) and one record per kept
 * session state. What is read back is checked before use: an older format,
 * or anything else found there, is ignored rather than trusted.
 */
import { deleteDB, openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { SessionView } from '../../server/protocol/events.js';
import type { SessionState } from '../state/reducer.js';

const DB_NAME = 'claude-remote';
const DB_VERSION = 1;
const META_KEY = 'snapshot';
/** Bump when SessionState or MetaRecord changes shape: older snapshots are then ignored. */
const FORMAT = 1;

export interface MetaRecord {
  format: number;
  savedAt: number;
  sessions: SessionView[];
  selectedId?: string | undefined;
  /** Ids of the saved states, most recently viewed first. */
  recent: string[];
}

interface SnapshotSchema extends DBSchema {
  meta: { key: string; value: MetaRecord };
  states: { key: string; value: SessionState };
}

type Db = IDBPDatabase<SnapshotSchema>;

/** What one write changes: states to put, states to drop, the new meta record. */
export interface SnapshotWrite {
  put: ReadonlyMap<string, SessionState>;
  drop: Iterable<string>;
  /** Ids to keep: a sweep deletes any other state (another tab's), unless `final`. */
  keep: readonly string[];
  meta: Omit<MetaRecord, 'format' | 'savedAt'>;
  /** The page is going away: the transaction must not wait on a callback of ours. */
  final: boolean;
}

/** One connection, opened on first use; another tab's upgrade or delete makes it step aside. */
export class SnapshotDb {
  #opening: Promise<Db> | undefined;
  /** Deleted (logout): a read or write still under way must not create it again. */
  #destroyed = false;

  open(): Promise<Db> {
    if (this.#destroyed) return Promise.reject(new Error('The offline copy was deleted'));
    this.#opening ??= this.#open();
    const opening = this.#opening;
    opening.catch(() => {
      if (this.#opening === opening) this.#opening = undefined;
    });
    return opening;
  }

  /** The stored snapshot, if it is one of ours in the current format. */
  async read(): Promise<{ meta: MetaRecord; states: Record<string, SessionState> } | undefined> {
    const db = await this.open();
    const tx = db.transaction(['meta', 'states'], 'readonly');
    const meta: unknown = await tx.objectStore('meta').get(META_KEY);
    if (!isMeta(meta)) return undefined;
    const store = tx.objectStore('states');
    const found: unknown[] = await Promise.all(meta.recent.map((id) => store.get(id)));
    const states: Record<string, SessionState> = {};
    meta.recent.forEach((id, i) => {
      const state = found[i];
      if (isState(state, id)) states[id] = state;
    });
    return { meta: { ...meta, sessions: meta.sessions.filter(isSession) }, states };
  }

  async write(change: SnapshotWrite): Promise<void> {
    const db = await this.open();
    const tx = db.transaction(['meta', 'states'], 'readwrite');
    const store = tx.objectStore('states');
    const requests: Array<Promise<unknown>> = [];
    try {
      for (const [id, state] of change.put) requests.push(store.put(state, id));
      for (const id of change.drop) requests.push(store.delete(id));
      // The sweep needs a round trip a page being unloaded does not get.
      if (!change.final) {
        const others = store.getAllKeys().then((keys) => keys.filter((key) => !change.keep.includes(key)));
        requests.push(others.then((keys) => Promise.all(keys.map((key) => store.delete(key)))));
      }
      requests.push(tx.objectStore('meta').put({ ...change.meta, format: FORMAT, savedAt: Date.now() }, META_KEY));
      if (change.final && typeof tx.commit === 'function') tx.commit(); // don't wait for the task to end
    } catch (err) {
      // put() throws at once on a value it cannot clone: write nothing of this snapshot.
      void Promise.allSettled([...requests, tx.done]);
      tx.abort();
      throw err;
    }
    await Promise.all([...requests, tx.done]);
  }

  /** Closes the connection and deletes the database; resolves once it is gone, or could not be opened at all. */
  async destroy(): Promise<void> {
    this.#destroyed = true;
    const opening = this.#opening;
    this.#opening = undefined;
    await opening?.then((db) => db.close()).catch(() => undefined);
    if (typeof indexedDB === 'undefined') return;
    // Another tab holding it open closes on versionchange (blocking, below); then this completes.
    await deleteDB(DB_NAME).catch(() => undefined);
  }

  #open(): Promise<Db> {
    return new Promise<Db>((resolve, reject) => {
      if (typeof indexedDB === 'undefined') throw new Error('IndexedDB is not available');
      let blocked = false;
      const forget = () => {
        this.#opening = undefined;
      };
      openDB<SnapshotSchema>(DB_NAME, DB_VERSION, {
        upgrade(db) {
          if (!db.objectStoreNames.contains('meta')) db.createObjectStore('meta');
          if (!db.objectStoreNames.contains('states')) db.createObjectStore('states');
        },
        // An older version is open in another tab: give up now rather than hang the start-up.
        blocked() {
          blocked = true;
          reject(new Error('IndexedDB open blocked by another tab'));
        },
        // Another tab upgrading or deleting the database: step aside, reopen on the next use.
        blocking(_current, _blocked, event) {
          (event.target as IDBDatabase).close();
          forget();
        },
        terminated: forget,
      }).then((db) => {
        // Opened after all, once the other tab let go: not ours to keep open any more.
        if (blocked) db.close();
        else resolve(db);
      }, reject);
    });
  }
}

function isMeta(value: unknown): value is MetaRecord {
  const m = value as MetaRecord | undefined;
  return (
    typeof m === 'object' &&
    m !== null &&
    m.format === FORMAT &&
    typeof m.savedAt === 'number' &&
    Array.isArray(m.sessions) &&
    Array.isArray(m.recent) &&
    m.recent.every((id) => typeof id === 'string') &&
    (m.selectedId === undefined || typeof m.selectedId === 'string')
  );
}

function isSession(value: unknown): value is SessionView {
  const s = value as SessionView | undefined;
  return typeof s === 'object' && s !== null && typeof s.id === 'string' && typeof s.name === 'string' && typeof s.totals === 'object';
}

function isState(value: unknown, id: string): value is SessionState {
  const s = value as SessionState | undefined;
  return (
    typeof s === 'object' &&
    s !== null &&
    s.sessionId === id &&
    typeof s.lastSeq === 'number' &&
    Array.isArray(s.timeline) &&
    typeof s.runs === 'object' &&
    s.runs !== null &&
    Array.isArray(s.pending)
  );
}
