/**
 * The event vocabulary of Claude Remote, shared by the server and the web app.
 *
 * Every state change of a session is one of these events. The store gives each
 * event of a session an increasing `seq` before it is fanned out, so a client
 * that remembers the last `seq` it saw can ask for exactly what it missed.
 *
 * Names and the fields listed in DESIGN.md are a public contract (scripts read
 * them); add variants freely, never rename. No Node imports here: the browser
 * bundle compiles this file too.
 */

export type RunStatus = 'success' | 'error' | 'interrupted' | 'cancelled';

/** Why a run ended in error, when we can tell. */
export type RunErrorKind =
  | 'cli_missing'
  | 'cli_crashed'
  | 'cli_error'
  | 'api_error'
  | 'max_turns'
  | 'timeout'
  | 'server_restart'
  /** The owner's policy or the allowed roots refused the run before it started. */
  | 'refused';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export const ZERO_USAGE: TokenUsage = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

export interface SessionOptions {
  model?: string | undefined;
  systemPrompt?: string | undefined;
  appendSystemPrompt?: string | undefined;
  permissionMode?: PermissionMode | undefined;
  allowedTools?: string[] | undefined;
  disallowedTools?: string[] | undefined;
  addDirs?: string[] | undefined;
  /** MCP configs: each JSON text (`{"mcpServers": ...}`) or a path to one. */
  mcpConfig?: string[] | undefined;
  /** Restricts the built-in tool set (`--tools`). */
  tools?: string[] | undefined;
  /** JSON text of a JSON Schema the final answer must follow (`--json-schema`). */
  jsonSchema?: string | undefined;
  /** JSON text of custom agent definitions (`--agents`). */
  agents?: string | undefined;
}

export const PERMISSION_MODES = [
  'default',
  'acceptEdits',
  'bypassPermissions',
  'plan',
  'dontAsk',
  'auto',
  'manual',
] as const;
export type PermissionMode = (typeof PERMISSION_MODES)[number];

export interface SessionTotals {
  costUsd: number;
  runs: number;
  usage: TokenUsage;
}

export type SessionStatus = 'idle' | 'running';

/** A session as every door shows it. */
export interface SessionView {
  id: string;
  name: string;
  cwd: string;
  /** True when the folder was made by us under DATA_DIR (and may be purged). */
  ownFolder: boolean;
  options: SessionOptions;
  /** The Claude conversation id the next run continues (or starts). */
  claudeSessionId: string;
  status: SessionStatus;
  queueLength: number;
  totals: SessionTotals;
  createdAt: string;
  updatedAt: string;
  lastSeq: number;
}

interface EventBase {
  seq: number;
  sessionId: string;
  /** ISO time the server recorded the event. */
  at: string;
}

interface RunEventBase extends EventBase {
  runId: string;
}

export type ServerEvent =
  | (EventBase & { type: 'session.created'; session: SessionView })
  | (EventBase & { type: 'session.updated'; session: SessionView })
  | (EventBase & { type: 'session.deleted' })
  | (EventBase & { type: 'session.cleared'; claudeSessionId: string })
  | (EventBase & { type: 'queue.changed'; pending: string[] })
  | (RunEventBase & {
      type: 'run.queued';
      prompt: string;
      position: number;
      clientRequestId?: string | undefined;
    })
  | (RunEventBase & { type: 'run.started'; pid: number; claudeSessionId: string; model?: string | undefined })
  | (RunEventBase & { type: 'assistant.delta'; text: string })
  | (RunEventBase & { type: 'assistant.message'; text: string })
  | (RunEventBase & { type: 'thinking'; text: string })
  | (RunEventBase & {
      type: 'tool.started';
      toolUseId: string;
      name: string;
      summary: string;
      input: unknown;
    })
  | (RunEventBase & {
      type: 'tool.finished';
      toolUseId: string;
      ok: boolean;
      output: string;
      truncated?: boolean | undefined;
    })
  | (RunEventBase & { type: 'usage' } & TokenUsage)
  | (RunEventBase & {
      type: 'run.finished';
      status: RunStatus;
      result?: string | undefined;
      costUsd: number;
      usage: TokenUsage;
      durationMs: number;
      numTurns: number;
      errorKind?: RunErrorKind | undefined;
      error?: string | undefined;
    })
  | (RunEventBase & {
      type: 'permission.requested';
      requestId: string;
      toolName: string;
      input: unknown;
    })
  | (EventBase & {
      type: 'permission.resolved';
      runId?: string | undefined;
      requestId: string;
      behavior: 'allow' | 'deny';
      by: string;
    })
  | (EventBase & {
      type: 'notice';
      runId?: string | undefined;
      level: 'info' | 'warn' | 'error';
      text: string;
    });

export type ServerEventType = ServerEvent['type'];

/** An event before the store numbered it. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = DistributiveOmit<ServerEvent, 'seq' | 'at'>;

export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

/** Events that end a run: a stream of one run's events may close after this. */
export function isRunEnd(event: ServerEvent): event is EventOf<'run.finished'> {
  return event.type === 'run.finished';
}
