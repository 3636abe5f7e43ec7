/**
 * The offline snapshot around the live data: at start-up the saved one is
 * shown until the first welcome (its sessions resume from their saved lastSeq),
 * and after every render the current state is handed to the store, which
 * writes it at most once a second (offline-store.ts).
 */
import type { ConnectionState } from '../net/ws-client.js';
import type { AppState } from '../app/state.js';
import type { OfflineStore, SavedSnapshot } from './offline-store.js';

/** The socket waits this long at most for the snapshot, so the hello can resume its sessions. */
const SNAPSHOT_WAIT_MS = 500;

export interface OfflineCopyDeps {
  state: AppState;
  store: OfflineStore;
  /** Opens a session of the snapshot. */
  select(id: string): void;
  changed(): void;
  /** Connects to the server: called once, when the snapshot was read or after SNAPSHOT_WAIT_MS. */
  connect(): void;
  /** The session named in the address, if any. */
  sessionInAddress(): string;
}

export interface OfflineCopy {
  /** Reads the saved snapshot, then connects. */
  start(): void;
  /** Hands the current state to the store (after a render). */
  save(): void;
  onConnectionState(state: ConnectionState): void;
}

export function createOfflineCopy(deps: OfflineCopyDeps): OfflineCopy {
  const { state } = deps;
  /** The first welcome came: the live data replaces the saved snapshot. */
  let live = false;
  /** The saved snapshot was read (or found missing): saving before that would overwrite it. */
  let loaded = false;
  let connecting = false;

  const connectOnce = () => {
    if (connecting) return;
    connecting = true;
    deps.connect();
  };

  const apply = (saved: SavedSnapshot | undefined) => {
    if (!saved || live) return;
    state.sessions = saved.sessions;
    // Picked up by the next hello's resume(), or subscribed from their lastSeq after the welcome.
    for (const [id, s] of Object.entries(saved.states)) if (!state.followed.has(id)) state.followed.set(id, s);
    const id = [deps.sessionInAddress(), saved.selectedId].find((c) => c && state.sessions.some((s) => s.id === c));
    if (!id || state.selectedId) return;
    // Open it in place: the phone's drawer must not visibly slide away on start (pwa.css).
    document.body.classList.add('pwa-restoring');
    deps.select(id);
    requestAnimationFrame(() => requestAnimationFrame(() => document.body.classList.remove('pwa-restoring')));
  };

  return {
    start() {
      setTimeout(connectOnce, SNAPSHOT_WAIT_MS);
      void deps.store
        .load()
        .then(apply)
        .catch((err: unknown) => console.warn('Could not show the offline snapshot:', err))
        .finally(() => {
          loaded = true;
          deps.changed();
          connectOnce();
        });
    },
    save() {
      if (!loaded) return;
      deps.store.save({ sessions: state.sessions, selectedId: state.selectedId, states: Object.fromEntries(state.followed) }).catch(() => undefined);
    },
    onConnectionState(connection) {
      if (connection === 'connected') live = true;
    },
  };
}
