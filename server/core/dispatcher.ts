/**
 * The dispatcher: from queued prompts to running turns. It owns the queues
 * (queue.ts), the run of each session that has one going (run.ts) and the
 * warm CLI processes (warm-pool.ts). A run's end comes back to `#startRun`
 * as a value; the dispatcher then announces the session and starts what may
 * start next. The engine calls it for everything about prompts and runs.
 *
 * Several instances on one Redis (ownership.ts): the queue here holds only
 * the sessions this instance owns, read from the store; a queued run starts
 * only if the store still says queued (compare-and-set), and commands about
 * a run go to its owner.
 */
import type { PermissionAnswer } from '../protocol/api.js';
import type { NewEvent, SessionOptions, SessionView } from '../protocol/events.js';
import type { AttachmentInfo } from '../protocol/workspace.js';
import { ZERO_USAGE } from '../protocol/events.js';
import { AppError } from './errors.js';
import type { EventLog, LogFn } from './event-log.js';
import { AnsweredRequests, type Resolution } from './permissions.js';
import type { Clock, CliRunner, Coordinator, RemoteCommand, TextDiffer } from './ports.js';
import { createLocalCoordinator } from './local-coordinator.js';
import { Ownership, type OwnedSide } from './ownership.js';
import { AllowedTools } from './allowed-tools.js';
import { QueuePauses } from './queue-pauses.js';
import { queuedRun, RunQueue } from './queue.js';
import { RunCommands } from './run-commands.js';
import type { RawLog } from './raw-log.js';
import { Run, spawnRequest, type RunConfig, type RunDeps, type RunEnd } from './run.js';
import { sessionView, storedSessionView } from './sessions.js';
import type { RunPatch, RunRecord, SessionRecord, Store } from './store.js';
import { WarmPool, type PoolStats, type WarmConfig } from './warm-pool.js';
import { countProcesses, listProcesses, type ProcessInfo } from './process-list.js';

export interface DispatcherConfig extends RunConfig {
  maxConcurrentRuns: number;
  maxQueueLength: number;
  /** Warm processes (see warm-pool.ts); off when absent. */
  warm?: Omit<WarmConfig, 'killGraceMs'> | undefined;
}

export interface DispatcherDeps {
  store: Store;
  events: EventLog;
  raw: RawLog;
  runner: CliRunner;
  clock: Clock;
  log: LogFn;
  /** The path of the CLI; throws (503) when there is none. */
  requireCli(): Promise<string>;
  /** The session's real folder and checked options; throws when the run may not start. */
  checkRunnable(session: SessionRecord): { cwd: string; options: SessionOptions };
  /** Makes the unified diffs of permission cards. */
  differ: TextDiffer;
  /** Who runs which session (several instances); this instance alone when absent. */
  coordinator?: Coordinator | undefined;
  /** How often a shared instance looks for ownerless work (ms). */
  sweepMs?: number | undefined;
  /** This instance's id, when alone (a coordinator knows its own). */
  instanceId?: string | undefined;
}

export type { SubmitResult } from '../protocol/runs.js';
export type { ProcessInfo } from './process-list.js';
import type { SubmitResult } from '../protocol/runs.js';

export class Dispatcher {
  readonly #deps: DispatcherDeps;
  readonly #config: DispatcherConfig;
  readonly #queue: RunQueue;
  readonly #pool: WarmPool;
  /** The run of each session that has one going. */
  readonly #runs = new Map<string, Run>();
  readonly #allowed: AllowedTools;
  readonly #pauses: QueuePauses;
  readonly #runDeps: RunDeps;
  /** What is done to a session's run on its owner (this instance), whoever asked. */
  readonly #here: RunCommands;
  readonly #ownership: Ownership;
  /** The run each session has taken from its queue and not finished (starting or running). */
  readonly #active = new Map<string, string>();
  /** Shared: how many answers each session's run (on whatever instance) waits for, as last announced. */
  readonly #waitingAnywhere = new Map<string, number>();
  #closing = false;

  constructor(deps: DispatcherDeps, config: DispatcherConfig) {
    this.#deps = deps;
    this.#config = config;
    this.#queue = new RunQueue(config.maxConcurrentRuns);
    this.#allowed = new AllowedTools({ store: deps.store, log: deps.log, reannounce: (sessionId) => this.#reannounce(sessionId) });
    this.#pauses = new QueuePauses({ ...deps, queue: this.#queue, resume: (sessionId) => this.resume(sessionId) });
    this.#pool = new WarmPool(deps.runner, deps.clock, deps.log, {
      ...(config.warm ?? { idleMs: 0, maxCount: 0, maxBytes: 0, prewarm: false }),
      killGraceMs: config.killGraceMs,
    });
    this.#runDeps = {
      ...deps,
      pool: this.#pool,
      config,
      answered: new AnsweredRequests(),
      allowedForSession: (sessionId) => this.#allowed.of(sessionId),
      onAllowedForSession: (sessionId) => this.#allowed.keep(sessionId),
    };
    this.#here = new RunCommands({
      ...deps,
      runs: this.#runs,
      queue: this.#queue,
      pool: this.#pool,
      pauses: this.#pauses,
      allowed: this.#allowed,
      answered: this.#runDeps.answered,
      announce: (record) => this.announce(record),
      view: (record) => this.view(record),
      prewarm: (session) => this.prewarm(session),
      pump: () => this.#pump(),
      forget: (sessionId) => this.#ownership.forget(sessionId),
    });
    const coordinator = deps.coordinator ?? createLocalCoordinator(deps.instanceId ?? 'local');
    this.#ownership = new Ownership({ coordinator, store: deps.store, events: deps.events, log: deps.log, sweepMs: deps.sweepMs ?? 1000 }, this.#ownedSide());
    deps.events.onAny((event) => {
      if (event.type === 'session.updated') this.#waitingAnywhere.set(event.sessionId, event.session.waitingForAnswers ?? 0);
      if (event.type === 'session.deleted') this.#waitingAnywhere.delete(event.sessionId);
      // A run that waits for a person (or stops waiting) changes how its session shows in every list.
      if (event.type !== 'permission.requested' && event.type !== 'permission.resolved') return;
      if (this.#runs.has(event.sessionId) || !this.#ownership.shared) void this.#reannounce(event.sessionId);
    });
  }

  get #shared(): boolean {
    return this.#ownership.shared;
  }

  /** What Ownership needs of the sessions this instance owns. */
  #ownedSide(): OwnedSide {
    return {
      freeSlots: () => (this.#closing ? 0 : this.#config.maxConcurrentRuns - this.#queue.runningCount),
      holds: (sessionId) =>
        this.#active.has(sessionId) || this.#queue.pending(sessionId).length > 0 || this.#pool.processOf(sessionId) !== undefined,
      adopt: (session) => this.#adopt(session),
      sync: (sessionId) => this.#sync(sessionId),
      abandon: async (sessionId) => {
        this.#queue.drop(sessionId);
        this.#pauses.clear(sessionId);
        await this.#runs.get(sessionId)?.stop('shutdown');
        await this.#pool.discard(sessionId);
      },
      execute: (command) => this.#here.execute(command),
    };
  }

  /**
   * Shared: this instance took a session. A run the store still calls
   * running was its dead owner's (never re-run); the pause and the allowed
   * tools come from the session record.
   */
  async #adopt(session: SessionRecord): Promise<void> {
    for (const run of await this.#deps.store.listRuns(session.id, 'running')) {
      if (this.#active.get(session.id) !== run.id) await this.#recordAbandoned(run, (id, patch) => this.#deps.store.updateRunIf(id, 'running', patch));
    }
    if (session.paused) this.#pauses.hold(session.id, session.paused.until);
    this.#allowed.load(session);
  }

  /** Shared: the queue here becomes the store's queued runs of the session (the one starting aside). */
  async #sync(sessionId: string): Promise<void> {
    const queued = await this.#deps.store.listRuns(sessionId, 'queued');
    const active = this.#active.get(sessionId);
    const before = this.#queue.pending(sessionId).join();
    this.#queue.replace(sessionId, queued.map((run) => run.id).filter((id) => id !== active));
    if (this.#queue.pending(sessionId).join() !== before) await this.#deps.events.append(this.#queueEvent(sessionId));
    this.#pump();
  }

  /** Stops allowing a tool for the session without asking. */
  revokeAllowed(sessionId: string, toolName: string): Promise<SessionView | undefined> {
    return this.#ownership.route(sessionId, { op: 'revoke', sessionId, toolName }, () => this.#here.revoke(sessionId, toolName));
  }

  async #reannounce(sessionId: string): Promise<void> {
    try {
      const record = await this.#deps.store.getSession(sessionId);
      if (record) await this.announce(record);
    } catch (err) {
      this.#deps.log('error', 'announcing the session failed', { sessionId, err });
    }
  }

  /**
   * Cleans up after a previous life of this server that was killed: runs it
   * had going are recorded as `server_restart` (never run again: their tools
   * may already have acted) and every CLI process it left is killed, warm
   * ones too. Then loads the queues and starts what may start.
   */
  async start(): Promise<void> {
    const { store } = this.#deps;
    const me = this.#ownership.instanceId;
    // Shared: only this instance's own runs; another's are its owner's, or
    // whoever takes the session after its lease expired (see #adopt).
    const orphaned = (await store.runsInState('running')).filter((run) => !this.#shared || run.instanceId === me);
    await this.#deps.runner.killOrphans(orphaned.flatMap((r) => (r.pid !== undefined && r.pid > 0 ? [r.pid] : [])));
    for (const run of orphaned) await this.#recordAbandoned(run, (id, patch) => store.updateRunIf(id, 'running', patch));
    if (this.#shared) {
      this.#ownership.start();
      return;
    }
    for (const session of await store.listSessions()) {
      if (session.paused) this.#pauses.hold(session.id, session.paused.until);
      if (session.allowedForSession?.length) this.#allowed.load(session);
      for (const run of await store.listRuns(session.id, 'queued')) this.#queue.push(session.id, run.id);
    }
    this.#pump();
  }

  /** A run whose server died under it: recorded as `server_restart` (once, whoever notices). */
  async #recordAbandoned(run: RunRecord, update: (id: string, patch: RunPatch) => Promise<RunRecord | undefined>): Promise<void> {
    const error = 'The server stopped while this run was going. It was not restarted, because its tools may already have acted.';
    const changed = await update(run.id, { state: 'error', errorKind: 'server_restart', error, finishedAt: this.#deps.clock.now().toISOString() });
    if (!changed) return;
    const usage = { ...ZERO_USAGE };
    await this.#deps.events.append({ type: 'run.finished', sessionId: run.sessionId, runId: run.id, status: 'error', costUsd: 0, usage, durationMs: 0, numTurns: 0, errorKind: 'server_restart', error });
  }

  /** Lets a paused queue go on (POST .../resume, or its reset time came); a no-op for one that is not paused. */
  resume(sessionId: string): Promise<SessionView | undefined> {
    return this.#ownership.route(sessionId, { op: 'resume', sessionId }, () => this.#here.resume(sessionId));
  }

  /** The runs waiting in a session, oldest first (shared: as the store has them). */
  async pending(sessionId: string): Promise<readonly string[]> {
    if (!this.#shared) return this.#queue.pending(sessionId);
    return (await this.#deps.store.listRuns(sessionId, 'queued')).map((run) => run.id);
  }

  /** 1 = next to start; 0 = not waiting. */
  async #position(sessionId: string, runId: string): Promise<number> {
    return (await this.pending(sessionId)).indexOf(runId) + 1;
  }

  /** Queues a prompt (already checked by the engine); the same client request id twice gives the first run. */
  async submit(sessionId: string, prompt: string, clientRequestId: string | undefined, attachments?: AttachmentInfo[]): Promise<SubmitResult> {
    const { store, events, clock } = this.#deps;
    if (clientRequestId !== undefined) {
      const found = await store.findRunByClientRequestId(sessionId, clientRequestId);
      if (found) return { runId: found.id, position: await this.#position(sessionId, found.id), duplicate: true };
    }
    await this.#deps.requireCli();
    if ((await this.pending(sessionId)).length >= this.#config.maxQueueLength) {
      throw new AppError('queue_full', `The queue of this session is full (${this.#config.maxQueueLength} prompts).`);
    }
    const run = { ...queuedRun(sessionId, prompt, clientRequestId, clock.now()), ...(attachments?.length ? { attachments } : {}) };
    const shown = attachments?.length ? { attachments } : {};
    const { run: stored, duplicate } = await store.enqueueRun(run);
    // Lost a race with the same id submitted twice at once: the first one counts.
    if (duplicate) return { runId: stored.id, position: await this.#position(sessionId, stored.id), duplicate: true };
    if (this.#shared) {
      // The owner (or an instance that takes the session) hears of it from the event and reads the store's queue.
      const position = await this.#position(sessionId, run.id);
      const queued = await events.append({ type: 'run.queued', sessionId, runId: run.id, prompt, position, clientRequestId, ...shown });
      await store.updateRun(run.id, { queuedSeq: queued.seq });
      return { runId: run.id, position, duplicate: false };
    }
    const position = this.#queue.push(sessionId, run.id);
    const queued = await events.append({ type: 'run.queued', sessionId, runId: run.id, prompt, position, clientRequestId, ...shown });
    await store.updateRun(run.id, { queuedSeq: queued.seq });
    await events.append(this.#queueEvent(sessionId));
    this.#pump();
    return { runId: run.id, position, duplicate: false };
  }

  interrupt(sessionId: string): Promise<{ runId: string }> {
    return this.#ownership.route(sessionId, { op: 'interrupt', sessionId }, () => this.#here.interrupt(sessionId));
  }

  /** Cancels a queued run (from any instance: the store decides); a run that already started is interrupted instead. */
  async cancel(sessionId: string, runId: string): Promise<{ runId: string; status: 'cancelled' | 'interrupting' }> {
    const { store, events, clock } = this.#deps;
    const run = await store.getRun(runId);
    if (!run || run.sessionId !== sessionId) throw new AppError('run_not_found', `No run ${runId} in this session.`);
    if (run.state === 'queued' && (await store.updateRunIf(runId, 'queued', { state: 'cancelled', finishedAt: clock.now().toISOString() }))) {
      const wasHere = this.#queue.remove(sessionId, runId);
      const usage = { ...ZERO_USAGE };
      await events.append({ type: 'run.finished', sessionId, runId, status: 'cancelled', costUsd: 0, usage, durationMs: 0, numTurns: 0 });
      await this.#deps.raw.end(sessionId, runId, 'cancelled');
      if (wasHere || !this.#shared) await events.append(this.#queueEvent(sessionId));
      return { runId, status: 'cancelled' };
    }
    return this.#ownership.route(sessionId, { op: 'cancel', sessionId, runId }, () => this.#here.cancelRunning(sessionId, runId));
  }

  /** Interrupts a run by id, wherever it is (the gateway's DELETE /chat/:id). */
  async interruptRun(runId: string): Promise<void> {
    const run = await this.#deps.store.getRun(runId);
    if (!run) throw new AppError('process_not_found', `No process ${runId}.`);
    if (run.state === 'queued') {
      await this.cancel(run.sessionId, runId);
      return;
    }
    await this.#ownership.route(run.sessionId, { op: 'interruptRun', runId }, () => this.#here.interruptRun(runId));
  }

  answerPermission(sessionId: string, requestId: string, answer: PermissionAnswer, by: string): Promise<Resolution> {
    const command: RemoteCommand = { op: 'permission', sessionId, requestId, answer, by };
    return this.#ownership.route(sessionId, command, () => this.#here.answer(sessionId, requestId, answer, by));
  }

  /** The tool an open permission request of the session is about. */
  async permissionTool(sessionId: string, requestId: string): Promise<string | undefined> {
    const command: RemoteCommand = { op: 'permissionTool', sessionId, requestId };
    const tool = await this.#ownership.route(sessionId, command, () => this.#here.permissionTool(sessionId, requestId));
    return tool ?? undefined;
  }

  /** Stops a session's run and drops its queue and process (the session is being deleted); returns the runs that were waiting. */
  async dropSession(sessionId: string): Promise<string[]> {
    const pending = [...(await this.pending(sessionId))];
    await this.#ownership.route(sessionId, { op: 'drop', sessionId }, () => this.#here.drop(sessionId));
    return pending;
  }

  /** The session's process no longer fits (options changed, conversation cleared): it ends after its turn. */
  async replaceProcess(session: SessionRecord): Promise<void> {
    await this.#ownership.route(session.id, { op: 'replace', sessionId: session.id }, () => this.#here.replace(session));
  }

  /** Starts the session's CLI ahead of its next prompt, when warm processes are on (shared: on the session's owner only). */
  prewarm(session: SessionRecord): void {
    if (this.#closing || session.origin !== 'api' || this.#runs.has(session.id) || !this.#ownership.owns(session.id)) return;
    void (async () => {
      const path = await this.#deps.requireCli();
      const cli = { path, env: this.#config.cliEnv, permissionPrompts: this.#config.permissionPrompts };
      const request = spawnRequest(session, this.#deps.checkRunnable(session), session.claudeStarted, cli);
      if (!this.#closing && !this.#runs.has(session.id)) this.#pool.prewarm(request);
    })().catch(() => undefined);
  }

  /** Every CLI process: running a turn, or warm and waiting for the next. */
  processes(): Promise<ProcessInfo[]> {
    return listProcesses(this.#pool, [...this.#runs.values()], this.#deps.clock);
  }

  /** Prompts waiting and runs going, over all sessions. */
  depths(): { queued: number; running: number } {
    return { queued: this.#queue.queuedCount, running: this.#queue.runningCount };
  }

  /** The CLI processes alive, by state; unlike processes(), measures nothing. */
  processCounts(): Record<ProcessInfo['state'], number> {
    return countProcesses(this.#pool);
  }

  /** The warm pool's size and memory, for /health. */
  async poolStats(): Promise<PoolStats & { maxCount: number; maxBytes: number }> {
    const warm = this.#config.warm;
    return { ...(await this.#pool.stats()), maxCount: warm?.maxCount ?? 0, maxBytes: warm?.maxBytes ?? 0 };
  }

  /** Stops every run and warm process; queued prompts stay queued for the next start. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#pauses.clearAll();
    await Promise.all([...this.#runs.values()].map((run) => run.stop('shutdown')));
    await this.#pool.close();
    await this.#ownership.close();
  }

  #pump(): void {
    if (this.#closing) return;
    for (const { sessionId, runId } of this.#queue.take()) {
      this.#active.set(sessionId, runId);
      this.#deps.events.record(this.#queueEvent(sessionId));
      void this.#startRun(sessionId, runId);
    }
  }

  /** Runs one queued prompt to its end, then lets the next start. Never rejects. */
  async #startRun(sessionId: string, runId: string): Promise<void> {
    const { store, log } = this.#deps;
    try {
      // Only a run still queued starts (it may have been cancelled, from any instance, meanwhile).
      const record = await store.updateRunIf(runId, 'queued', { state: 'running', instanceId: this.#ownership.instanceId });
      const session = await store.getSession(sessionId);
      if (!record || !session) return;
      const run = new Run(this.#runDeps, session, record);
      this.#runs.set(sessionId, run);
      let end: RunEnd;
      try {
        end = await run.execute();
      } finally {
        if (this.#runs.get(sessionId) === run) this.#runs.delete(sessionId);
      }
      await this.#pauses.after(session, end);
      const now = await store.getSession(sessionId);
      if (now) await this.announce(now);
    } catch (err) {
      log('error', 'a run could not be run', { sessionId, runId, err });
    } finally {
      this.#active.delete(sessionId);
      this.#queue.finished(sessionId);
      this.#pump();
    }
  }

  /** Publishes the session as it now is (a run started or ended, options or totals changed). */
  async announce(record: SessionRecord): Promise<SessionView> {
    const view = await this.view(record);
    const stored = await this.#deps.events.append({ type: 'session.updated', sessionId: record.id, session: view });
    return { ...view, lastSeq: stored.seq };
  }

  async view(record: SessionRecord): Promise<SessionView> {
    const here = this.#runs.get(record.id);
    if (!this.#shared || here || this.#ownership.owns(record.id)) {
      return sessionView(record, {
        running: here !== undefined,
        waitingForAnswers: here?.waitingForAnswers ?? 0,
        queueLength: this.#queue.pending(record.id).length,
        lastSeq: await this.#deps.store.lastSeq(record.id),
      });
    }
    return storedSessionView(record, this.#deps.store, this.#waitingAnywhere.get(record.id) ?? 0);
  }

  #queueEvent(sessionId: string): NewEvent {
    return { type: 'queue.changed', sessionId, pending: [...this.#queue.pending(sessionId)] };
  }
}
