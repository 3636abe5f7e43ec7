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

export { PERMISSION_MODES, RUN_ERROR_KINDS, RUN_STATUSES, ZERO_USAGE } from './constants.js';
export type { RunErrorKind, RunStatus } from './runs.js';
import type { RunErrorKind, RunStatus } from './runs.js';

export type { PermissionMode, SessionOptions, SessionStatus, SessionTotals, SessionView, TokenUsage } from './session.js';
import type { PermissionMode, SessionView, TokenUsage } from './session.js';
import type { AttachmentInfo } from './workspace.js';

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
      /** Files attached to the prompt (their bytes are in the session folder, at each `path`). */
      attachments?: AttachmentInfo[] | undefined;
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
  /** The CLI retries a failed API call by itself (attempt of maxRetries, after delayMs). */
  | (RunEventBase & {
      type: 'run.retrying';
      attempt: number;
      maxRetries: number;
      delayMs: number;
      errorStatus?: number | undefined;
    })
  | (RunEventBase & {
      type: 'permission.requested';
      requestId: string;
      toolName: string;
      input: unknown;
      /** What the CLI says the call is for (e.g. a Bash command's description). */
      description?: string | undefined;
      preview?: PermissionPreview | undefined;
    })
  | (EventBase & {
      type: 'permission.resolved';
      runId?: string | undefined;
      requestId: string;
      behavior: 'allow' | 'deny';
      by: string;
      /** `session`: the tool is allowed for the rest of the session. */
      scope?: 'once' | 'session' | undefined;
      /** The permission mode the session continues in (an approved plan). */
      mode?: PermissionMode | undefined;
    })
  | (EventBase & {
      type: 'notice';
      runId?: string | undefined;
      level: 'info' | 'warn' | 'error';
      text: string;
    });

export type ServerEventType = ServerEvent['type'];

/**
 * What a permission card shows beside the tool's input: the command of a
 * Bash call, the change an Edit, MultiEdit or Write would make to the file as
 * it is on disk (a unified diff; a new file is all added lines), or the plan
 * of an ExitPlanMode request.
 */
export type PermissionPreview =
  | { kind: 'command'; command: string; description?: string | undefined }
  | {
      kind: 'diff';
      path: string;
      /** The file does not exist yet: every line is added. */
      isNew: boolean;
      /** Unified diff; empty when it could not be made (see `note`). */
      diff: string;
      additions: number;
      deletions: number;
      /** Why the diff is partial or missing: too large, outside the session's folders, unreadable. */
      note?: string | undefined;
    }
  | { kind: 'plan'; plan: string };

/** An event before the store numbered it. */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type NewEvent = DistributiveOmit<ServerEvent, 'seq' | 'at'>;

export type EventOf<T extends ServerEventType> = Extract<ServerEvent, { type: T }>;

/** Events that end a run: a stream of one run's events may close after this. */
export function isRunEnd(event: ServerEvent): event is EventOf<'run.finished'> {
  return event.type === 'run.finished';
}
