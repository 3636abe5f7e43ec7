/**
 * What can be done to a session's live run, queue and process, on the
 * instance that owns the session: interrupt, stop a run that started, answer
 * a permission request, take back an allowed tool, drop the session, replace
 * its process, resume its paused queue. The dispatcher routes each of these
 * to the owner (ownership.ts); a command another instance sent arrives here
 * through `execute`.
 */
import type { PermissionAnswer } from '../protocol/api.js';
import type { SessionView } from '../protocol/events.js';
import type { AllowedTools } from './allowed-tools.js';
import { AppError } from './errors.js';
import type { AnsweredRequests, Resolution } from './permissions.js';
import type { RemoteCommand } from './ports.js';
import type { QueuePauses } from './queue-pauses.js';
import type { RunQueue } from './queue.js';
import type { Run } from './run.js';
import type { SessionRecord, Store } from './store.js';
import type { WarmPool } from './warm-pool.js';

export interface RunCommandsContext {
  store: Store;
  /** The run of each session that has one going here. */
  runs: ReadonlyMap<string, Run>;
  queue: RunQueue;
  pool: WarmPool;
  pauses: QueuePauses;
  allowed: AllowedTools;
  answered: AnsweredRequests;
  /** Publishes the session as it now is. */
  announce(record: SessionRecord): Promise<SessionView>;
  view(record: SessionRecord): Promise<SessionView>;
  prewarm(session: SessionRecord): void;
  /** Starts what may start now. */
  pump(): void;
  /** This instance no longer holds the session (it is deleted). */
  forget(sessionId: string): void;
}

export class RunCommands {
  readonly #ctx: RunCommandsContext;

  constructor(ctx: RunCommandsContext) {
    this.#ctx = ctx;
  }

  /** A command another instance sent to this one, the owner. */
  async execute(command: RemoteCommand): Promise<unknown> {
    switch (command.op) {
      case 'interrupt':
        return this.interrupt(command.sessionId);
      case 'cancel':
        return this.cancelRunning(command.sessionId, command.runId);
      case 'interruptRun':
        return this.interruptRun(command.runId);
      case 'permission':
        return this.answer(command.sessionId, command.requestId, command.answer, command.by);
      case 'permissionTool':
        return this.permissionTool(command.sessionId, command.requestId);
      case 'revoke':
        return this.revoke(command.sessionId, command.toolName);
      case 'drop':
        return this.drop(command.sessionId);
      case 'replace': {
        const session = await this.#ctx.store.getSession(command.sessionId);
        return session ? this.replace(session) : null;
      }
      case 'resume':
        return this.resume(command.sessionId);
    }
  }

  interrupt(sessionId: string): { runId: string } {
    const run = this.#ctx.runs.get(sessionId);
    if (!run) throw new AppError('not_running', 'Nothing is running in this session.');
    run.interrupt();
    return { runId: run.runId };
  }

  /** Cancel of a run that is no longer queued: interrupted when it runs, else a conflict. */
  async cancelRunning(sessionId: string, runId: string): Promise<{ runId: string; status: 'interrupting' }> {
    const running = this.#ctx.runs.get(sessionId);
    if (running?.runId === runId) {
      running.interrupt();
      return { runId, status: 'interrupting' };
    }
    const run = await this.#ctx.store.getRun(runId);
    throw new AppError('conflict', `Run ${runId} already ended (${run?.state ?? 'gone'}).`);
  }

  interruptRun(runId: string): null {
    const active = [...this.#ctx.runs.values()].find((run) => run.runId === runId);
    if (!active) throw new AppError('process_not_found', `Process ${runId} is not running.`);
    active.interrupt();
    return null;
  }

  answer(sessionId: string, requestId: string, answer: PermissionAnswer, by: string): Resolution {
    const run = this.#ctx.runs.get(sessionId);
    if (run?.hasPermissionRequest(requestId)) return run.answerPermission(requestId, answer, by);
    throw this.#ctx.answered.conflict(requestId) ?? new AppError('permission_request_not_found', `No open permission request ${requestId} in this session.`);
  }

  /** The tool an open permission request is about (null: no such request here). */
  permissionTool(sessionId: string, requestId: string): string | null {
    return this.#ctx.runs.get(sessionId)?.permissionTool(requestId) ?? null;
  }

  async revoke(sessionId: string, toolName: string): Promise<SessionView | undefined> {
    const next = await this.#ctx.allowed.revoke(sessionId, toolName);
    return next ? this.#ctx.announce(next) : undefined;
  }

  /** Stops the session's run and drops its queue and process: it is being deleted. */
  async drop(sessionId: string): Promise<null> {
    this.#ctx.queue.drop(sessionId);
    this.#ctx.pauses.clear(sessionId);
    await this.#ctx.runs.get(sessionId)?.stop('deleted');
    await this.#ctx.pool.discard(sessionId);
    this.#ctx.allowed.forget(sessionId);
    this.#ctx.forget(sessionId);
    return null;
  }

  /** The session's process no longer fits (options changed, conversation cleared). */
  async replace(session: SessionRecord): Promise<null> {
    await this.#ctx.pool.discard(session.id);
    this.#ctx.prewarm(session);
    return null;
  }

  /** Lets a paused queue go on; a no-op for one that is not paused. */
  async resume(sessionId: string): Promise<SessionView | undefined> {
    const { session, wasPaused } = await this.#ctx.pauses.lift(sessionId);
    if (!session || !wasPaused) return session ? this.#ctx.view(session) : undefined;
    const view = await this.#ctx.announce(session);
    this.#ctx.pump();
    return view;
  }
}
