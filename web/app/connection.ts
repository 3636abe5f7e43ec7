/**
 * The app's side of the WebSocket: the hello resumes every followed session
 * from its last seq, frames go into the app state, and a session followed for
 * the first time is opened at its last runs (compact), not replayed from 0.
 */
import type { ServerEvent } from '../../server/protocol/events.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { RequestError, WsClient, type ConnectionState } from '../net/ws-client.js';
import { withWindow } from '../state/reducer.js';
import { applyEvent, applyWelcome, follow, noteServerStart, TAIL_RUNS, type AppState } from './state.js';

export interface ConnectionDeps {
  state: AppState;
  /** The state changed: render soon. */
  changed(): void;
  /** A welcome replaced the session list (after every (re)connect). */
  onWelcome(): void;
  /** This welcome came from a server that started after the one before: it restarted meanwhile. */
  onServerRestarted(): void;
  /** Every event, followed or summary, after it was applied. */
  onNews(event: ServerEvent): void;
  onStatus(status: ConnectionState): void;
  /** The open session was deleted (the state has closed it already). */
  onSelectedDeleted(): void;
  error(err: unknown): void;
}

export interface Connection {
  readonly client: WsClient;
  /** Follows a session: subscribed now when connected, else resumed by the next hello. */
  follow(id: string): void;
}

export function createConnection(deps: ConnectionDeps): Connection {
  const { state } = deps;
  /** The sessions the last hello asked to resume; others followed since need their own subscribe. */
  let resumedByHello = new Set<string>();

  const client = new WsClient({
    url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`,
    resume: () => {
      // Sessions with nothing seen yet are opened by subscribe() after the
      // welcome (their last runs, compact), not replayed from seq 0.
      const resumable = [...state.followed].filter(([, s]) => s.lastSeq > 0);
      resumedByHello = new Set(resumable.map(([id]) => id));
      return Object.fromEntries(resumable.map(([id, s]) => [id, s.lastSeq]));
    },
    onFrame: clientOnFrame,
    onState: deps.onStatus,
  });

  function clientOnFrame(frame: ServerFrame): void {
    switch (frame.type) {
      case 'welcome': {
        const { selectedGone } = applyWelcome(state, frame.sessions);
        // Picked between the hello and this welcome: the server does not follow them yet.
        for (const id of state.followed.keys()) if (!resumedByHello.has(id)) subscribe(id);
        if (selectedGone) deps.error(new Error('The session you had open no longer exists.'));
        state.limits = frame.limits;
        const restarted = noteServerStart(state, frame.startedAt);
        deps.onWelcome();
        if (restarted) deps.onServerRestarted();
        break;
      }
      case 'event':
      case 'summary':
        if (applyEvent(state, frame.event, frame.type === 'event').selectedDeleted) deps.onSelectedDeleted();
        deps.onNews(frame.event);
        break;
      case 'error':
        deps.error(new RequestError(frame.error.code, frame.error.message));
        break;
      case 'reply':
      case 'pong':
        break; // the client handles these
      default: {
        const never: never = frame;
        void never;
      }
    }
    deps.changed();
  }

  function subscribe(id: string): void {
    const after = state.followed.get(id)?.lastSeq ?? 0;
    // Opening (nothing seen yet): the last runs, compact. Resuming: exactly what was missed.
    const frame = after === 0 ? { type: 'subscribe' as const, sessionId: id, after, tailRuns: TAIL_RUNS } : { type: 'subscribe' as const, sessionId: id, after };
    client.request(frame).then(
      (reply) => {
        const current = state.followed.get(id);
        // Only opening sets the window (what "Load earlier" continues from); a resume keeps it.
        if (after !== 0 || !current || reply?.hasEarlier === undefined) return;
        state.followed.set(id, withWindow(current, { hasEarlier: reply.hasEarlier, firstRunId: reply.firstRunId }));
        deps.changed();
      },
      (err: unknown) => {
        // A dropped connection is fine: the next hello resumes every followed session.
        if (!(err instanceof RequestError && err.code === 'disconnected')) deps.error(err);
      },
    );
  }

  return {
    client,
    follow(id) {
      // Not connected: the next hello resumes it from seq 0.
      if (follow(state, id) && client.state === 'connected') subscribe(id);
    },
  };
}
