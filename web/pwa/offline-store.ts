/**
 * The app's own offline data, in IndexedDB: the session list, the selected
 * session, and the reduced state of the sessions viewed most recently. On a
 * start without the server the app shows this until the first welcome; the
 * saved states also carry their lastSeq, so the hello resumes from there.
 *
 * Writes are throttled (at most one a second, always the latest snapshot),
 * and a state is written again only when the reducer made a new object for
 * it, so a stream into one session rewrites that session alone.
 */
import type { SessionView } from '../../server/protocol/events.js';
import type { SessionState } from '../state/reducer.js';

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

/** Sessions whose states are kept: the most recently viewed. */
export const MAX_SAVED_STATES = 10;
/** At most one write per this many ms. */
export const SAVE_INTERVAL_MS = 1000;

const DB_NAME = 'claude-remote';
const DB_VERSION = 1;
const META = 'meta';
const STATES = 'states';
const META_KEY = 'snapshot';
/** Bump when SessionState or this record changes shape: older snapshots are then ignored. */
const FORMAT = 1;

interface MetaRecord {
  format: number;
  savedAt: number;
  sessions: SessionView[];
  selectedId?: string | undefined;
  /** Ids of the saved states, most recently viewed first. */
  recent: string[];
}

// ---- the database --------------------------------------------------------------

let dbPromise: Promise<IDBDatabase> | undefined;

function openDb(): Promise<IDBDatabase> {
  dbPromise ??= new Promise<IDBDatabase>((resolve, reject) => {
    if (typeof indexedDB === 'undefined') {
      reject(new Error('IndexedDB is not available'));
      return;
    }
    const req = indexedDB.open(DB_NAME, DB_VERSION);
    req.onupgradeneeded = () => {
      const db = req.result;
      if (!db.objectStoreNames.contains(META)) db.createObjectStore(META);
      if (!db.objectStoreNames.contains(STATES)) db.createObjectStore(STATES);
    };
    req.onsuccess = () => {
      const db = req.result;
      // Another tab upgrading the schema: step aside, reopen on the next use.
      db.onversionchange = () => {
        db.close();
        dbPromise = undefined;
      };
      db.onclose = () => {
        dbPromise = undefined;
      };
      resolve(db);
    };
    req.onerror = () => reject(req.error ?? new Error('IndexedDB open failed'));
    req.onblocked = () => reject(new Error('IndexedDB open blocked by another tab'));
  });
  const opening = dbPromise;
  opening.catch(() => {
    if (dbPromise === opening) dbPromise = undefined;
  });
  return opening;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

function result<T>(req: IDBRequest<T>): Promise<T> {
  return new Promise((resolve, reject) => {
    req.onsuccess = () => resolve(req.result);
    req.onerror = () => reject(req.error ?? new Error('IndexedDB request failed'));
  });
}

// ---- reading -------------------------------------------------------------------

/** The states as last written (or read), by id: unchanged objects are not written again. */
const written = new Map<string, SessionState>();
/** Ids of the saved states, most recently viewed first. */
let recent: string[] = [];
/** The list and selection as last written: an unchanged snapshot is not written at all. */
let writtenSessions: readonly SessionView[] | undefined;
let writtenSelectedId: string | undefined;

/** The last saved snapshot, or undefined when there is none (or it cannot be read). */
export async function loadSnapshot(): Promise<SavedSnapshot | undefined> {
  try {
    const db = await openDb();
    const tx = db.transaction([META, STATES], 'readonly');
    const meta = (await result(tx.objectStore(META).get(META_KEY))) as MetaRecord | undefined;
    if (!isMeta(meta)) return undefined;
    const states: Record<string, SessionState> = {};
    const store = tx.objectStore(STATES);
    const found = await Promise.all(meta.recent.map((id) => result(store.get(id)) as Promise<unknown>));
    meta.recent.forEach((id, i) => {
      const state = found[i];
      if (isState(state, id)) states[id] = state;
    });
    recent = meta.recent.filter((id) => states[id]);
    for (const [id, state] of Object.entries(states)) written.set(id, state);
    const sessions = meta.sessions.filter(isSession);
    writtenSessions = sessions;
    writtenSelectedId = meta.selectedId;
    return { sessions, selectedId: meta.selectedId, states, savedAt: meta.savedAt };
  } catch {
    return undefined;
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

// ---- writing -------------------------------------------------------------------

let latest: OfflineSnapshot | undefined;
let waiters: Array<{ resolve(): void; reject(err: unknown): void }> = [];
let timer: ReturnType<typeof setTimeout> | undefined;
let writing = false;
let lastWriteAt = -Infinity;
let listening = false;
/** The page is going away: write what is pending without waiting out the interval. */
let urgent = false;

/**
 * Saves the snapshot soon: at most one write a second, always of the latest
 * snapshot handed in. Resolves when a write that includes it has finished.
 */
export function saveSnapshot(snapshot: OfflineSnapshot): Promise<void> {
  if (cleared) return Promise.resolve();
  latest = snapshot;
  if (!listening) {
    listening = true;
    // A phone may discard a hidden page without another event: write what is pending now.
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'hidden') flushNow();
    });
    window.addEventListener('pagehide', flushNow);
  }
  const saved = new Promise<void>((resolve, reject) => waiters.push({ resolve, reject }));
  schedule();
  return saved;
}

/** Set by clearSnapshot: this page writes nothing more (it is leaving for the login page). */
let cleared = false;

/**
 * Forgets everything kept offline (logout, or a login that ended elsewhere):
 * the next person to pick up the phone must not find the transcripts.
 * Resolves once the database is gone, or could not be opened at all.
 */
export async function clearSnapshot(): Promise<void> {
  cleared = true;
  clearTimeout(timer);
  timer = undefined;
  latest = undefined;
  for (const w of waiters.splice(0)) w.resolve();
  written.clear();
  recent = [];
  writtenSessions = undefined;
  const open = dbPromise;
  dbPromise = undefined;
  await open?.then((db) => db.close()).catch(() => undefined);
  if (typeof indexedDB === 'undefined') return;
  await new Promise<void>((resolve) => {
    const req = indexedDB.deleteDatabase(DB_NAME);
    req.onsuccess = () => resolve();
    req.onerror = () => resolve();
    // Another tab holds it open: it closes on versionchange, then this completes.
    req.onblocked = () => undefined;
  });
}

function schedule(): void {
  if (timer !== undefined || writing || !latest) return;
  const wait = urgent ? 0 : Math.max(0, lastWriteAt + SAVE_INTERVAL_MS - Date.now());
  timer = setTimeout(() => void flush(), wait);
}

function flushNow(): void {
  urgent = true;
  if (timer === undefined) return; // nothing pending, or a write is running: it schedules the rest at once
  clearTimeout(timer);
  void flush();
}

async function flush(): Promise<void> {
  timer = undefined;
  const snapshot = latest;
  const batch = waiters;
  latest = undefined;
  waiters = [];
  if (!snapshot) return;
  writing = true;
  const final = urgent;
  urgent = false;
  lastWriteAt = Date.now();
  try {
    await write(snapshot, final);
    for (const w of batch) w.resolve();
  } catch (err) {
    // Write everything again next time: we no longer know what the store holds.
    written.clear();
    writtenSessions = undefined;
    for (const w of batch) w.reject(err);
  } finally {
    writing = false;
    schedule();
  }
}

/** `final`: the page is going away, so the transaction must not wait on a callback of ours. */
async function write(snapshot: OfflineSnapshot, final: boolean): Promise<void> {
  const { states } = snapshot;
  // Most recently viewed first: the selected one, then the earlier order, then any other followed.
  const order = [snapshot.selectedId, ...recent, ...Object.keys(states)];
  const keep: string[] = [];
  for (const id of order) {
    if (id === undefined || keep.includes(id) || !states[id]) continue;
    keep.push(id);
    if (keep.length === MAX_SAVED_STATES) break;
  }

  const unchanged =
    snapshot.sessions === writtenSessions &&
    snapshot.selectedId === writtenSelectedId &&
    keep.length === recent.length &&
    keep.every((id, i) => recent[i] === id && written.get(id) === states[id]);
  if (unchanged) return;

  const db = await openDb();
  const tx = db.transaction([META, STATES], 'readwrite');
  const finished = done(tx);
  const changed = new Map<string, SessionState>();
  try {
    const store = tx.objectStore(STATES);
    for (const id of keep) {
      const state = states[id];
      if (!state || written.get(id) === state) continue;
      store.put(state, id);
      changed.set(id, state);
    }
    // States no longer kept: those we know of at once, then a sweep for any other (another
    // tab's), which needs a round trip a page being unloaded does not get.
    for (const id of new Set([...recent, ...written.keys()])) if (!keep.includes(id)) store.delete(id);
    if (!final) {
      const keys = store.getAllKeys();
      keys.onsuccess = () => {
        for (const key of keys.result) if (typeof key !== 'string' || !keep.includes(key)) store.delete(key);
      };
    }
    const meta: MetaRecord = {
      format: FORMAT,
      savedAt: Date.now(),
      sessions: [...snapshot.sessions],
      selectedId: snapshot.selectedId,
      recent: keep,
    };
    tx.objectStore(META).put(meta, META_KEY);
    if (final && typeof tx.commit === 'function') tx.commit(); // don't wait for the task to end
  } catch (err) {
    // put() throws at once on a value it cannot clone: write nothing of this snapshot.
    finished.catch(() => undefined);
    tx.abort();
    throw err;
  }
  await finished;

  recent = keep;
  writtenSessions = snapshot.sessions;
  writtenSelectedId = snapshot.selectedId;
  for (const id of [...written.keys()]) if (!keep.includes(id)) written.delete(id);
  for (const [id, state] of changed) written.set(id, state);
}
