/**
 * Permission prompts of one run. In `default` mode the CLI asks over its
 * stdin protocol before a tool that needs approval (a `can_use_tool` control
 * request); we publish `permission.requested`, and the first answer from any
 * door is written back. No answer within the timeout is a denial. A tool the
 * user allowed "for the session" is allowed again without asking.
 */
import type { PermissionAnswer } from '../protocol/api.js';
import type { NewEvent } from '../protocol/events.js';
import { permissionResponseLine } from './cli/stdin.js';
import type { PermissionRequest } from './cli/stdout.js';
import { AppError } from './errors.js';

/** Answers remembered so a second answer to the same request is a 409, not a 404. */
const ANSWERED_MEMORY = 1000;

/** Request ids already answered, across runs (bounded). */
export class AnsweredRequests {
  readonly #ids = new Set<string>();

  add(requestId: string): void {
    this.#ids.add(requestId);
    if (this.#ids.size > ANSWERED_MEMORY) {
      const oldest = this.#ids.values().next().value;
      if (oldest !== undefined) this.#ids.delete(oldest);
    }
  }

  has(requestId: string): boolean {
    return this.#ids.has(requestId);
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
  /** Tools allowed for the rest of the session. */
  allowedForSession: Set<string>;
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

  /** The CLI asks: answer at once if the session allowed the tool, else wait for a person. */
  onRequest(request: PermissionRequest): void {
    const ctx = this.#ctx;
    if (ctx.allowedForSession.has(request.toolName)) {
      ctx.write(permissionResponseLine(request.requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId }));
      this.#resolved(request.requestId, 'allow', 'remembered');
      return;
    }
    const timer = setTimeout(() => {
      if (!this.#pending.delete(request.requestId)) return;
      const minutes = Math.round(ctx.timeoutMs / 60_000);
      const message = `No one answered this permission request within ${minutes >= 1 ? `${minutes} minute(s)` : `${ctx.timeoutMs} ms`}.`;
      ctx.write(permissionResponseLine(request.requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
      this.#resolved(request.requestId, 'deny', 'timeout');
    }, ctx.timeoutMs);
    timer.unref();
    this.#pending.set(request.requestId, { request, timer });
  }

  /** First answer wins; a second one is a 409. */
  answer(requestId: string, answer: PermissionAnswer, by: string): void {
    const pending = this.#pending.get(requestId);
    if (!pending) {
      if (this.#ctx.answered.has(requestId)) throw new AppError('already_answered', 'This permission request was already answered.');
      throw new AppError('permission_request_not_found', `No open permission request ${requestId} in this session.`);
    }
    clearTimeout(pending.timer);
    this.#pending.delete(requestId);
    const { request } = pending;
    if (answer.behavior === 'allow') {
      if (answer.remember) this.#ctx.allowedForSession.add(request.toolName);
      this.#ctx.write(permissionResponseLine(requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId }));
    } else {
      const message = answer.message ?? 'The user denied this tool call.';
      this.#ctx.write(permissionResponseLine(requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
    }
    this.#resolved(requestId, answer.behavior, by);
  }

  has(requestId: string): boolean {
    return this.#pending.has(requestId);
  }

  /** The turn is over: nothing is waiting any more. */
  clear(): void {
    for (const pending of this.#pending.values()) clearTimeout(pending.timer);
    this.#pending.clear();
  }

  #resolved(requestId: string, behavior: 'allow' | 'deny', by: string): void {
    this.#ctx.answered.add(requestId);
    this.#ctx.record({ type: 'permission.resolved', sessionId: this.#ctx.sessionId, runId: this.#ctx.runId, requestId, behavior, by });
  }
}
