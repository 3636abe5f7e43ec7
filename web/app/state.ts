/**
 * What the page knows: the session list, the open session, the reduced state
 * of every followed session, and prompts still on their way to the server.
 *
 * One mutable object, changed only by the functions here (which the
 * connection, the user's actions and the offline snapshot call) and read by
 * the render. The session states inside are the pure reducers' objects
 * (state/reducer.ts), so the views can still skip what did not change. No DOM.
 */
import type { ServerEvent, SessionView } from '../../server/protocol/events.js';
import type { ServerLimits } from '../../server/protocol/ws.js';
import { initialSessionState, reduceSession, reduceSessionList, upsertSession, type SessionState } from '../state/reducer.js';

/** Runs shown when a transcript is opened; older ones come with "Load earlier", as many at a time. */
export const TAIL_RUNS = 50;

/** A prompt sent but not yet queued by the server (shown as "sending…"). */
export interface OutgoingPrompt {
  clientRequestId: string;
  sessionId: string;
  prompt: string;
  /** How many files go with it. */
  files?: number | undefined;
}

export interface AppState {
  sessions: readonly SessionView[];
  selectedId: string | undefined;
  /** Sessions whose events we receive, each reduced; kept while the page lives so switching back is instant. */
  readonly followed: Map<string, SessionState>;
  outgoing: readonly OutgoingPrompt[];
  /** The server's limits, as its last welcome said (MAX_ATTACHMENT_MB). */
  limits?: ServerLimits | undefined;
  /** When the server we last heard a welcome from started (its welcome's startedAt). */
  serverStartedAt?: string | undefined;
}

export function createAppState(): AppState {
  return { sessions: [], selectedId: undefined, followed: new Map(), outgoing: [] };
}

/**
 * Records the startedAt of a welcome; true when an earlier welcome of this
 * page came from a server that started at another time, i.e. the server
 * restarted between the two connections (the first welcome is news to no one).
 */
export function noteServerStart(state: AppState, startedAt: string | undefined): boolean {
  if (startedAt === undefined) return false;
  const previous = state.serverStartedAt;
  state.serverStartedAt = startedAt;
  return previous !== undefined && previous !== startedAt;
}

export function selectedSession(state: AppState): SessionView | undefined {
  return state.sessions.find((s) => s.id === state.selectedId);
}

export function selectedSessionState(state: AppState): SessionState | undefined {
  return state.selectedId === undefined ? undefined : state.followed.get(state.selectedId);
}

/** Starts following a session; false when it already was. */
export function follow(state: AppState, id: string): boolean {
  if (state.followed.has(id)) return false;
  state.followed.set(id, initialSessionState(id));
  return true;
}

/**
 * The welcome's list replaces ours: followed sessions that are gone are
 * forgotten. Says whether the open one went with them (it is then closed).
 */
export function applyWelcome(state: AppState, list: SessionView[]): { selectedGone: boolean } {
  state.sessions = list;
  const known = new Set(list.map((s) => s.id));
  for (const id of [...state.followed.keys()]) if (!known.has(id)) state.followed.delete(id);
  const selectedGone = state.selectedId !== undefined && !known.has(state.selectedId);
  if (selectedGone) state.selectedId = undefined;
  return { selectedGone };
}

/**
 * One event from the server: every event keeps the list current; a followed
 * session's events also advance its state. Says whether it deleted the open
 * session (it is then closed).
 */
export function applyEvent(state: AppState, event: ServerEvent, isFollowed: boolean): { selectedDeleted: boolean } {
  state.sessions = reduceSessionList(state.sessions, event);
  if (!isFollowed) return { selectedDeleted: false };
  const current = state.followed.get(event.sessionId);
  if (current) state.followed.set(event.sessionId, reduceSession(current, event));
  if (event.type === 'run.queued' && event.clientRequestId !== undefined) dropOutgoing(state, event.clientRequestId);
  if (event.type !== 'session.deleted') return { selectedDeleted: false };
  state.followed.delete(event.sessionId);
  const selectedDeleted = state.selectedId === event.sessionId;
  if (selectedDeleted) state.selectedId = undefined;
  return { selectedDeleted };
}

/** A session object the server answered with (a REST reply): the list learns it before the event comes. */
export function putSession(state: AppState, session: SessionView): void {
  state.sessions = upsertSession(state.sessions, session);
}

export function addOutgoing(state: AppState, prompt: OutgoingPrompt): void {
  state.outgoing = [...state.outgoing, prompt];
}

/** Forgets a prompt on its way (queued, or failed); the list keeps its identity when it was not there. */
export function dropOutgoing(state: AppState, clientRequestId: string): void {
  if (state.outgoing.some((o) => o.clientRequestId === clientRequestId)) {
    state.outgoing = state.outgoing.filter((o) => o.clientRequestId !== clientRequestId);
  }
}
