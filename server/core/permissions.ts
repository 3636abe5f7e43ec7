/**
 * Permission prompts of one run. In `default` mode the CLI asks over its
 * stdin protocol before a tool that needs approval (a `can_use_tool` control
 * request); we publish `permission.requested` with a preview a person can
 * judge (permission-preview.ts), and the first answer from any door is
 * written back; later ones get a 409 that says what was decided. No answer
 * within the timeout is a denial. A tool allowed "for the session" is allowed
 * again without asking until the user revokes it.
 */
import type { PermissionAnswer } from '../protocol/api.js';
import type { NewEvent, PermissionPreview } from '../protocol/events.js';
import { permissionResponseLine } from './cli/stdin.js';
import type { PermissionRequest } from './cli/stdout.js';
import { AppError } from './errors.js';

/** Answers remembered so a second answer to the same request is a 409, not a 404. */
const ANSWERED_MEMORY = 1000;

export interface Resolution {
  behavior: 'allow' | 'deny';
  by: string;
  scope?: 'once' | 'session' | undefined;
}

/** Requests already answered, across runs (bounded), with what was decided. */
export class AnsweredRequests {
  readonly #answers = new Map<string, Resolution>();

  add(requestId: string, resolution: Resolution): void {
    this.#answers.set(requestId, resolution);
    if (this.#answers.size > ANSWERED_MEMORY) {
      const oldest = this.#answers.keys().next().value;
      if (oldest !== undefined) this.#answers.delete(oldest);
    }
  }

  get(requestId: string): Resolution | undefined {
    return this.#answers.get(requestId);
  }

  /** The 409 for a second answer: it carries the first one's decision. */
  conflict(requestId: string): AppError | undefined {
    const first = this.#answers.get(requestId);
    if (!first) return undefined;
    return new AppError('already_answered', `This permission request was already answered: ${first.behavior} (by ${first.by}).`, { details: first });
  }
}

export interface PermissionContext {
  sessionId: string;
  runId: string;
  timeoutMs: number;
  /** Writes a line to the CLI process the request came from. */
  write(line: string): void;
  record(event: NewEvent): void;
  answered: AnsweredRequests;
  /** Tools allowed for the rest of the session; `onAllowedForSession` keeps the change. */
  allowedForSession: Set<string>;
  onAllowedForSession(toolName: string): void;
  preview(request: PermissionRequest): PermissionPreview | undefined;
}

interface Pending {
  request: PermissionRequest;
  timer: NodeJS.Timeout;
}

export class RunPermissions {
  readonly #ctx: PermissionContext;
  readonly #pending = new Map<string, Pending>();

  constructor(ctx: PermissionContext) {
    this.#ctx = ctx;
  }

  /** How many answers the run waits for. */
  get waiting(): number {
    return this.#pending.size;
  }

  /** The CLI asks: answer at once if the session allowed the tool, else wait for a person. */
  onRequest(request: PermissionRequest): void {
    const ctx = this.#ctx;
    let preview: PermissionPreview | undefined;
    try {
      preview = ctx.preview(request);
    } catch {
      preview = undefined;
    }
    ctx.record({
      type: 'permission.requested',
      sessionId: ctx.sessionId,
      runId: ctx.runId,
      requestId: request.requestId,
      toolName: request.toolName,
      input: request.input,
      description: request.description,
      preview,
    });
    if (ctx.allowedForSession.has(request.toolName)) {
      ctx.write(permissionResponseLine(request.requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId }));
      this.#resolved(request.requestId, { behavior: 'allow', by: 'remembered', scope: 'session' });
      return;
    }
    const timer = setTimeout(() => {
      if (!this.#pending.delete(request.requestId)) return;
      const minutes = Math.round(ctx.timeoutMs / 60_000);
      const message = `No one answered this permission request within ${minutes >= 1 ? `${minutes} minute(s)` : `${ctx.timeoutMs} ms`}.`;
      ctx.write(permissionResponseLine(request.requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
      this.#resolved(request.requestId, { behavior: 'deny', by: 'timeout' });
    }, ctx.timeoutMs);
    timer.unref();
    this.#pending.set(request.requestId, { request, timer });
  }

  /** The tool a pending request is about (to check the answer before it is given). */
  toolOf(requestId: string): string | undefined {
    return this.#pending.get(requestId)?.request.toolName;
  }

  /** First answer wins; a second one is a 409 that says what the first decided. */
  answer(requestId: string, answer: PermissionAnswer, by: string): Resolution {
    const pending = this.#pending.get(requestId);
    if (!pending) {
      throw this.#ctx.answered.conflict(requestId) ?? new AppError('permission_request_not_found', `No open permission request ${requestId} in this session.`);
    }
    clearTimeout(pending.timer);
    this.#pending.delete(requestId);
    const { request } = pending;
    if (answer.behavior === 'allow') {
      if (answer.scope === 'session') {
        this.#ctx.allowedForSession.add(request.toolName);
        this.#ctx.onAllowedForSession(request.toolName);
      }
      this.#ctx.write(permissionResponseLine(requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId, mode: answer.mode }));
    } else {
      const message = answer.message ?? 'The user denied this tool call.';
      this.#ctx.write(permissionResponseLine(requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
    }
    const resolution: Resolution = { behavior: answer.behavior, by, scope: answer.behavior === 'allow' ? answer.scope : undefined };
    this.#resolved(requestId, resolution, answer.behavior === 'allow' ? answer.mode : undefined);
    return resolution;
  }

  has(requestId: string): boolean {
    return this.#pending.has(requestId);
  }

  /** The turn is over: nothing is waiting any more. */
  clear(): void {
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #resolved(requestId: string, resolution: Resolution, mode?: PermissionAnswer['mode']): void {
    this.#ctx.answered.add(requestId, resolution);
    this.#ctx.record({ type: 'permission.resolved', sessionId: this.#ctx.sessionId, runId: this.#ctx.runId, requestId, ...resolution, mode });
  }
}
