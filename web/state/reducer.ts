/**
 * Pure reducers over server events: what one session's transcript looks like
 * after a sequence of events, and what the session list looks like.
 *
 * Every function returns a new object when something changed and the same
 * object when nothing did, so the views can skip unchanged parts by identity.
 * Events at or below `lastSeq` are ignored: replays after a reconnect may
 * overlap what we already have, and this is where duplicates die.
 */
import type { PermissionMode, PermissionPreview, RunErrorKind, RunStatus, ServerEvent, SessionView, TokenUsage } from '../../server/protocol/events.js';
import type { AttachmentInfo } from '../../server/protocol/workspace.js';

export interface ToolCall {
  toolUseId: string;
  name: string;
  summary: string;
  status: 'running' | 'ok' | 'error';
  output: string;
  truncated: boolean;
}

export type RunItem =
  /** Assistant text; `streaming` until the complete message replaced the deltas. */
  | { kind: 'text'; text: string; streaming: boolean }
  | { kind: 'thinking'; text: string }
  | { kind: 'tool'; tool: ToolCall }
  | { kind: 'notice'; level: 'info' | 'warn' | 'error'; text: string }
  | {
      kind: 'permission';
      requestId: string;
      toolName: string;
      input: unknown;
      /** What the CLI says the call is for. */
      description?: string | undefined;
      /** A command, a diff or a plan to show instead of raw input (the server makes it). */
      preview?: PermissionPreview | undefined;
      resolved?: PermissionVerdict | undefined;
    };

/** How a permission request was answered, and by whom (`app`, `api`, `remembered`, `timeout`). */
export interface PermissionVerdict {
  behavior: 'allow' | 'deny';
  by: string;
  scope?: 'once' | 'session' | undefined;
  /** The mode an approved plan continues in. */
  mode?: PermissionMode | undefined;
}

export interface RunOutcome {
  status: RunStatus;
  costUsd: number;
  usage: TokenUsage;
  durationMs: number;
  numTurns: number;
  result?: string | undefined;
  errorKind?: RunErrorKind | undefined;
  error?: string | undefined;
}

export interface RunState {
  runId: string;
  prompt: string;
  /** Files attached to the prompt (saved in the session folder, at each `path`). */
  attachments?: AttachmentInfo[] | undefined;
  clientRequestId?: string | undefined;
  status: 'queued' | 'running' | RunStatus;
  /** Whether the CLI ever started on it (a cancelled queued prompt never did). */
  started: boolean;
  model?: string | undefined;
  items: RunItem[];
  /** Token usage so far (live while running). */
  usage?: TokenUsage | undefined;
  outcome?: RunOutcome | undefined;
  /** The CLI is retrying a failed API call (until the call goes through or the run ends). */
  retrying?: { attempt: number; maxRetries: number; delayMs: number; errorStatus?: number | undefined; at: string } | undefined;
}

export type TimelineEntry =
  | { kind: 'run'; runId: string }
  | { kind: 'notice'; seq: number; level: 'info' | 'warn' | 'error'; text: string }
  | { kind: 'cleared'; seq: number };

export interface SessionState {
  sessionId: string;
  lastSeq: number;
  timeline: TimelineEntry[];
  runs: Readonly<Record<string, RunState>>;
  /** Queued run ids, in order (from queue.changed). */
  pending: string[];
  activeRunId?: string | undefined;
  deleted: boolean;
  /** Older runs exist on the server that this state does not hold yet ("load earlier"). */
  hasEarlier?: boolean | undefined;
  /** The oldest run this state holds: where "load earlier" continues from. */
  firstRunId?: string | undefined;
}

export function initialSessionState(sessionId: string): SessionState {
  return { sessionId, lastSeq: 0, timeline: [], runs: {}, pending: [], deleted: false };
}

/** Records what the server said when the transcript was opened at its last runs. */
export function withWindow(state: SessionState, window: { hasEarlier: boolean; firstRunId?: string | undefined }): SessionState {
  return { ...state, hasEarlier: window.hasEarlier, firstRunId: window.firstRunId ?? state.firstRunId };
}

/**
 * Puts earlier runs (the events of GET .../history) in front of what the
 * state holds. They are reduced on their own, then joined; runs the state
 * already has win, and `lastSeq` stays: these events are older than it.
 */
export function prependHistory(
  state: SessionState,
  events: readonly ServerEvent[],
  window: { hasEarlier: boolean; firstRunId?: string | undefined },
): SessionState {
  let older = initialSessionState(state.sessionId);
  for (const event of events) older = reduceSession(older, event);
  const runs = { ...older.runs, ...state.runs };
  const timeline = [
    ...older.timeline.filter((entry) => entry.kind !== 'run' || !state.runs[entry.runId]),
    ...state.timeline,
  ];
  return { ...state, runs, timeline, hasEarlier: window.hasEarlier, firstRunId: window.firstRunId ?? state.firstRunId };
}

/** Applies one event of this session; stale (already seen) events change nothing. */
export function reduceSession(state: SessionState, event: ServerEvent): SessionState {
  if (event.sessionId !== state.sessionId || event.seq <= state.lastSeq) return state;
  const next = applyEvent(state, event);
  return { ...next, lastSeq: event.seq };
}

function applyEvent(state: SessionState, event: ServerEvent): SessionState {
  switch (event.type) {
    case 'session.created':
    case 'session.updated':
      // The list keeps session objects (reduceSessionList); the transcript has nothing to show.
      return state;
    case 'usage':
      return updateRun(state, event.runId, (run) => ({ ...run, usage: pickUsage(event) }));
    case 'session.deleted':
      return { ...state, deleted: true, pending: [], activeRunId: undefined };
    case 'session.cleared':
      return { ...state, timeline: [...state.timeline, { kind: 'cleared', seq: event.seq }] };
    case 'queue.changed':
      return { ...state, pending: [...event.pending] };
    case 'run.queued':
      return runQueued(state, event);
    case 'run.started': {
      const next = updateRun(ensureRun(state, event.runId), event.runId, (run) => ({ ...run, status: 'running', started: true, model: event.model }));
      return { ...next, activeRunId: event.runId };
    }
    case 'run.retrying': {
      const { attempt, maxRetries, delayMs, errorStatus, at } = event;
      return updateRun(state, event.runId, (run) => ({ ...run, retrying: { attempt, maxRetries, delayMs, errorStatus, at } }));
    }
    case 'assistant.delta':
      return updateRun(state, event.runId, (run) => appendDelta(run, event.text));
    case 'assistant.message':
      return updateRun(state, event.runId, (run) => completeText(run, event.text));
    case 'thinking':
      return updateRun(state, event.runId, (run) => ({ ...outputResumed(run), items: [...run.items, { kind: 'thinking', text: event.text }] }));
    case 'tool.started':
      return updateRun(state, event.runId, (run) => ({ ...outputResumed(run), items: [...run.items, { kind: 'tool', tool: startedTool(event) }] }));
    case 'tool.finished':
      return updateRun(state, event.runId, (run) => finishTool(run, event));
    case 'run.finished':
      return runFinished(state, event);
    case 'permission.requested': {
      const { requestId, toolName, input, description, preview } = event;
      return updateRun(state, event.runId, (run) => ({
        ...outputResumed(run),
        items: [...run.items, { kind: 'permission', requestId, toolName, input, description, preview }],
      }));
    }
    case 'permission.resolved':
      return permissionResolved(state, event);
    case 'notice':
      return addNotice(state, event);
    default: {
      const never: never = event;
      return never;
    }
  }
}

type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;

function runQueued(state: SessionState, event: EventOf<'run.queued'>): SessionState {
  if (state.runs[event.runId]) return state;
  const run: RunState = {
    runId: event.runId,
    prompt: event.prompt,
    ...(event.attachments?.length ? { attachments: event.attachments } : {}),
    clientRequestId: event.clientRequestId,
    status: 'queued',
    started: false,
    items: [],
  };
  return {
    ...state,
    runs: { ...state.runs, [run.runId]: run },
    timeline: [...state.timeline, { kind: 'run', runId: run.runId }],
  };
}

/** Output flowing again (text, thinking, a tool, a question): the CLI's retry went through. */
function outputResumed(run: RunState): RunState {
  return run.retrying ? { ...run, retrying: undefined } : run;
}

function appendDelta(run: RunState, text: string): RunState {
  run = outputResumed(run);
  const last = run.items[run.items.length - 1];
  if (last?.kind === 'text' && last.streaming) return replaceLast(run, { ...last, text: last.text + text });
  return { ...run, items: [...run.items, { kind: 'text', text, streaming: true }] };
}

/** The complete message replaces the deltas streamed for it. */
function completeText(run: RunState, text: string): RunState {
  run = outputResumed(run);
  const last = run.items[run.items.length - 1];
  const item: RunItem = { kind: 'text', text, streaming: false };
  if (last?.kind === 'text' && last.streaming) return replaceLast(run, item);
  return { ...run, items: [...run.items, item] };
}

function startedTool(event: EventOf<'tool.started'>): ToolCall {
  return { toolUseId: event.toolUseId, name: event.name, summary: event.summary, status: 'running', output: '', truncated: false };
}

function finishTool(run: RunState, event: EventOf<'tool.finished'>): RunState {
  const index = run.items.findIndex((i) => i.kind === 'tool' && i.tool.toolUseId === event.toolUseId);
  const found = run.items[index];
  if (found?.kind !== 'tool') return run;
  const tool: ToolCall = { ...found.tool, status: event.ok ? 'ok' : 'error', output: event.output, truncated: event.truncated === true };
  return replaceAt(run, index, { kind: 'tool', tool });
}

function runFinished(state: SessionState, event: EventOf<'run.finished'>): SessionState {
  const next = updateRun(ensureRun(state, event.runId), event.runId, (run) => ({
    ...run,
    retrying: undefined,
    status: event.status,
    items: run.items.map((item) => (item.kind === 'text' && item.streaming ? { ...item, streaming: false } : item)),
    outcome: {
      status: event.status,
      costUsd: event.costUsd,
      usage: event.usage,
      durationMs: event.durationMs,
      numTurns: event.numTurns,
      result: event.result,
      errorKind: event.errorKind,
      error: event.error,
    },
  }));
  return next.activeRunId === event.runId ? { ...next, activeRunId: undefined } : next;
}

function permissionResolved(state: SessionState, event: EventOf<'permission.resolved'>): SessionState {
  const runId = event.runId ?? findRunWithPermission(state, event.requestId);
  if (runId === undefined) return state;
  return updateRun(state, runId, (run) => {
    const index = run.items.findIndex((i) => i.kind === 'permission' && i.requestId === event.requestId);
    const found = run.items[index];
    if (found?.kind !== 'permission') return run;
    return replaceAt(run, index, { ...found, resolved: { behavior: event.behavior, by: event.by, scope: event.scope, mode: event.mode } });
  });
}

/** A notice about a run goes in the run; any other between the runs. */
function addNotice(state: SessionState, event: EventOf<'notice'>): SessionState {
  if (event.runId !== undefined && state.runs[event.runId]) {
    return updateRun(state, event.runId, (run) => ({ ...run, items: [...run.items, { kind: 'notice', level: event.level, text: event.text }] }));
  }
  return { ...state, timeline: [...state.timeline, { kind: 'notice', seq: event.seq, level: event.level, text: event.text }] };
}

/** A run we never saw queued (history trimmed, or a server restart): make a placeholder. */
function ensureRun(state: SessionState, runId: string): SessionState {
  if (state.runs[runId]) return state;
  const run: RunState = { runId, prompt: '', status: 'queued', started: false, items: [] };
  return { ...state, runs: { ...state.runs, [runId]: run }, timeline: [...state.timeline, { kind: 'run', runId }] };
}

function updateRun(state: SessionState, runId: string, change: (run: RunState) => RunState): SessionState {
  const run = state.runs[runId];
  if (!run) return state;
  const next = change(run);
  return next === run ? state : { ...state, runs: { ...state.runs, [runId]: next } };
}

function replaceLast(run: RunState, item: RunItem): RunState {
  return replaceAt(run, run.items.length - 1, item);
}

function replaceAt(run: RunState, index: number, item: RunItem): RunState {
  const items = run.items.slice();
  items[index] = item;
  return { ...run, items };
}

function findRunWithPermission(state: SessionState, requestId: string): string | undefined {
  for (const run of Object.values(state.runs)) {
    if (run.items.some((i) => i.kind === 'permission' && i.requestId === requestId)) return run.runId;
  }
  return undefined;
}

function pickUsage(u: TokenUsage): TokenUsage {
  return {
    inputTokens: u.inputTokens,
    outputTokens: u.outputTokens,
    cacheReadTokens: u.cacheReadTokens,
    cacheWriteTokens: u.cacheWriteTokens,
  };
}

// ---- the session list --------------------------------------------------------

/**
 * Keeps the list current from any event, followed or summary: the session
 * objects of created/updated events, plus status and queue length from the
 * run and queue events between them. Events arrive in order after the
 * welcome snapshot, so the latest session object always wins.
 */
export function reduceSessionList(list: readonly SessionView[], event: ServerEvent): readonly SessionView[] {
  const index = list.findIndex((s) => s.id === event.sessionId);
  const patch = (change: Partial<SessionView>): readonly SessionView[] => {
    const current = list[index];
    if (!current) return list;
    const next = list.slice();
    next[index] = { ...current, ...change };
    return next;
  };
  switch (event.type) {
    case 'session.created':
    case 'session.updated':
      return upsertSession(list, event.session);
    case 'session.deleted':
      return index < 0 ? list : list.filter((s) => s.id !== event.sessionId);
    case 'queue.changed':
      return patch({ queueLength: event.pending.length });
    case 'run.started':
      return patch({ status: 'running' });
    // run.finished: not patched here. A cancelled queued prompt also "finishes"
    // while another run goes on; the session.updated sent after a real run
    // ends carries the true status.
    default:
      return list;
  }
}

/** Adds or replaces one session (e.g. the reply of POST /api/sessions). */
export function upsertSession(list: readonly SessionView[], session: SessionView): readonly SessionView[] {
  const index = list.findIndex((s) => s.id === session.id);
  if (index < 0) return [...list, session];
  const next = list.slice();
  next[index] = session;
  return next;
}
