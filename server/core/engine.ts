/**
 * The engine: sessions, their durable FIFO queues, the fair scheduler and the
 * event log. Every door (REST, SSE, WebSocket, /chat) calls these methods and
 * nothing else; no HTTP here.
 *
 * Concurrency model: one Node event loop. Per session, events are appended
 * through a promise chain so their `seq` order is the order they happened in,
 * and fanned out only once stored. Runs are driven by `RunExecutor`.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateSessionBody, PermissionAnswer, UpdateSessionBody } from '../protocol/api.js';
import type { NewEvent, ServerEvent, SessionOptions, SessionView } from '../protocol/events.js';
import { ZERO_USAGE } from '../protocol/events.js';
import { MAX_PROMPT_BYTES } from '../protocol/limits.js';
import { createEventBus, type EventBus, type EventListener, type Unsubscribe } from './bus.js';
import { AppError } from './errors.js';
import { listFolders, readStorage, realRoots, recheckFolder, resolveCwd, resolveInside, type FolderListing, type StorageItem } from './paths.js';
import { enforcePolicy, OPEN_POLICY, type OptionsPolicy } from './policy.js';
import { startOfLocalDay, usageSince, type UsageTotals } from './usage.js';
import type { Clock, CliLocator, CliRunner } from './ports.js';
import { RunExecutor, type ActiveRunInfo, type RawListener } from './runs.js';
import { createScheduler, type Scheduler } from './scheduler.js';
import { tailWindow } from './transcript-window.js';
import type { RunRecord, SessionRecord, Store } from './store.js';

export interface EngineConfig {
  dataDir: string;
  allowedRoots: readonly string[];
  maxConcurrentRuns: number;
  maxQueueLength: number;
  /** Environment of every CLI process (the user's own, plus what config adds). */
  cliEnv: Record<string, string>;
  /** Ask over stdin before tools that need approval (sessions in `default` mode). */
  permissionPrompts: boolean;
  permissionTimeoutMs: number;
  /** What clients may ask for (PERMISSION_MODES, MCP_CONFIG); everything when absent. */
  policy?: OptionsPolicy | undefined;
}

export interface EngineDeps {
  store: Store;
  runner: CliRunner;
  locator: CliLocator;
  clock: Clock;
  log?: (level: 'info' | 'warn' | 'error', message: string, extra?: unknown) => void;
}

export interface SubmitResult {
  runId: string;
  /** 1 = next to start; 0 = already started or finished (a duplicate submit). */
  position: number;
  duplicate: boolean;
}

export interface SubmitOptions {
  clientRequestId?: string | undefined;
}

export interface TranscriptWindow {
  /** The first seq the window covers. */
  fromSeq: number;
  /** Whether runs before it exist. */
  hasEarlier: boolean;
  /** Its oldest run: pass it to `history` to load the runs before. */
  firstRunId?: string | undefined;
}

interface PendingEvent {
  event: NewEvent;
  resolve: (event: ServerEvent) => void;
  reject: (err: unknown) => void;
}

/** Per-session state that lives only in memory (the store has the rest). */
interface Runtime {
  pending: string[];
}

export class Engine {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #config: EngineConfig;
  readonly #bus: EventBus;
  readonly #scheduler: Scheduler;
  readonly #runtime = new Map<string, Runtime>();
  readonly #chains = new Map<string, Promise<unknown>>();
  readonly #batches = new Map<string, PendingEvent[]>();
  readonly #roots: string[];
  /** Where own session folders live (real path): they are checked against this, not the roots. */
  readonly #ownRoot: string[];
  readonly #executor: RunExecutor;
  readonly #log: NonNullable<EngineDeps['log']>;
  #closing = false;

  constructor(deps: EngineDeps, config: EngineConfig) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#config = config;
    this.#log = deps.log ?? (() => {});
    this.#bus = createEventBus(deps.store);
    this.#scheduler = createScheduler(config.maxConcurrentRuns);
    this.#roots = realRoots(config.allowedRoots);
    mkdirSync(join(config.dataDir, 'sessions'), { recursive: true, mode: 0o700 });
    this.#ownRoot = realRoots([join(config.dataDir, 'sessions')]);
    this.#executor = new RunExecutor({
      checkRunnable: (session) => this.#checkRunnable(session),
      store: deps.store,
      runner: deps.runner,
      locator: deps.locator,
      clock: deps.clock,
      log: this.#log,
      emit: (event) => this.#emit(event),
      enqueueOnChain: (sessionId, work) => this.#onChain(sessionId, work),
      config,
      announce: async (sessionId) => {
        const record = await this.#store.getSession(sessionId);
        if (record) await this.#announce(record);
      },
      onRunEnded: (sessionId) => this.#runEnded(sessionId),
    });
  }

  get allowedRoots(): readonly string[] {
    return this.#roots;
  }

  /** Loads queues from the store and cleans up after a crash of the previous instance. */
  async start(): Promise<void> {
    await this.#executor.recoverInterrupted();
    for (const session of await this.#store.listSessions()) {
      const queued = await this.#store.listRuns(session.id, 'queued');
      this.#runtime.set(session.id, { pending: queued.map((r) => r.id) });
      if (queued.length > 0) this.#scheduler.markReady(session.id);
    }
    this.#pump();
  }

  // ---- sessions -----------------------------------------------------------

  async createSession(body: CreateSessionBody, origin: SessionRecord['origin'] = 'api'): Promise<SessionView> {
    const id = randomUUID();
    let cwd: string;
    let ownFolder = false;
    if (body.cwd !== undefined) {
      cwd = resolveCwd(body.cwd, this.#roots);
    } else {
      cwd = join(this.#config.dataDir, 'sessions', id);
      mkdirSync(cwd, { recursive: true, mode: 0o700 });
      ownFolder = true;
    }
    const options = this.#checkedOptions(pickOptions(body));
    const now = this.#clock.now().toISOString();
    const record: SessionRecord = {
      id,
      name: body.name ?? body.session_name ?? defaultName(cwd, ownFolder),
      cwd,
      ownFolder,
      options,
      claudeSessionId: randomUUID(),
      claudeStarted: false,
      origin,
      costUsd: 0,
      runs: 0,
      usage: { ...ZERO_USAGE },
      createdAt: now,
      updatedAt: now,
    };
    await this.#store.createSession(record);
    this.#runtime.set(id, { pending: [] });
    const view = await this.#view(record);
    const stored = await this.#emit({ type: 'session.created', sessionId: id, session: view });
    // The caller's view counts the event just logged (it may subscribe after it).
    return { ...view, lastSeq: stored.seq };
  }

  /** A session bound to an existing Claude conversation (the /chat gateway's `session_id`). */
  async adoptConversation(claudeSessionId: string, cwd: string | undefined, options: SessionOptions): Promise<SessionView> {
    const existing = (await this.#store.listSessions()).find((s) => s.claudeSessionId === claudeSessionId);
    if (existing) {
      if (cwd !== undefined && existing.cwd !== resolveCwd(cwd, this.#roots)) {
        throw new AppError('conflict', `Conversation ${claudeSessionId} belongs to another folder (${existing.cwd}).`);
      }
      return this.updateSession(existing.id, options);
    }
    const view = await this.createSession({ ...options, ...(cwd !== undefined ? { cwd } : {}) }, 'chat');
    // The CLI owns the transcript: continue it rather than start a new one.
    await this.#store.updateSession(view.id, { claudeSessionId, claudeStarted: true });
    return this.getSession(view.id);
  }

  async listSessions(): Promise<SessionView[]> {
    const records = await this.#store.listSessions();
    return Promise.all(records.map((r) => this.#view(r)));
  }

  async getSession(id: string): Promise<SessionView> {
    return this.#view(await this.#record(id));
  }

  async updateSession(id: string, body: UpdateSessionBody): Promise<SessionView> {
    const record = await this.#record(id);
    const options = this.#checkedOptions({ ...record.options, ...pickOptions(body) });
    const patch = {
      options,
      updatedAt: this.#clock.now().toISOString(),
      ...(body.name !== undefined ? { name: body.name } : {}),
    };
    const next = await this.#store.updateSession(id, patch);
    if (!next) throw notFound(id);
    return this.#announce(next);
  }

  /** Stops the session's run, drops its queue and forgets it. Own folders are removed only with `purge`. */
  async deleteSession(id: string, purge = false): Promise<{ deleted: true; purged: boolean }> {
    const record = await this.#record(id);
    const runtime = this.#rt(id);
    const pending = runtime.pending.splice(0);
    this.#scheduler.forget(id);
    await this.#executor.stopSession(id, 'deleted');
    for (const runId of pending) await this.#store.updateRun(runId, { state: 'cancelled' });
    await this.#emit({ type: 'session.deleted', sessionId: id });
    await this.#onChain(id, () => this.#store.deleteSession(id));
    this.#runtime.delete(id);
    this.#chains.delete(id);
    const purged = purge && record.ownFolder;
    if (purged) rmSync(record.cwd, { recursive: true, force: true });
    return { deleted: true, purged };
  }

  /** Starts a new Claude conversation in the same session and folder. */
  async clearConversation(id: string): Promise<SessionView> {
    await this.#record(id);
    const claudeSessionId = randomUUID();
    const next = await this.#store.updateSession(id, {
      claudeSessionId,
      claudeStarted: false,
      conversationCostUsd: 0,
      updatedAt: this.#clock.now().toISOString(),
    });
    if (!next) throw notFound(id);
    await this.#emit({ type: 'session.cleared', sessionId: id, claudeSessionId });
    return this.#announce(next);
  }

  // ---- queue and runs -----------------------------------------------------

  /**
   * The /chat gateway's one call: continue the conversation `claudeSessionId`
   * names (adopting it into a session if we do not know it) or start one in a
   * new session, and queue the prompt. Bad input is refused before anything
   * is made.
   */
  async chat(request: { prompt: string; cwd?: string | undefined; claudeSessionId?: string | undefined; options: SessionOptions }): Promise<SubmitResult> {
    this.#checkPrompt(request.prompt);
    await this.#executor.requireCli();
    const session =
      request.claudeSessionId !== undefined
        ? await this.adoptConversation(request.claudeSessionId, request.cwd, request.options)
        : await this.createSession({ ...request.options, ...(request.cwd !== undefined ? { cwd: request.cwd } : {}) }, 'chat');
    return this.submit(session.id, request.prompt);
  }

  #checkPrompt(prompt: string): void {
    if (this.#closing) throw new AppError('cli_unavailable', 'The server is shutting down.');
    if (prompt.trim() === '') throw new AppError('validation_failed', 'The prompt must not be empty.');
    const bytes = Buffer.byteLength(prompt, 'utf8');
    if (bytes > MAX_PROMPT_BYTES) {
      throw new AppError('payload_too_large', `The prompt is ${bytes} bytes; the limit is ${MAX_PROMPT_BYTES}.`);
    }
  }

  async submit(sessionId: string, prompt: string, opts: SubmitOptions = {}): Promise<SubmitResult> {
    this.#checkPrompt(prompt);
    const record = await this.#record(sessionId);
    const runtime = this.#rt(sessionId);
    // The policy may be stricter than when the session was made: say so now, not when it runs.
    enforcePolicy(record.options, this.#policy, this.#roots);
    if (opts.clientRequestId !== undefined) {
      const dup = await this.#duplicate(sessionId, opts.clientRequestId);
      if (dup) return dup;
    }
    await this.#executor.requireCli();
    if (runtime.pending.length >= this.#config.maxQueueLength) {
      throw new AppError('queue_full', `The queue of this session is full (${this.#config.maxQueueLength} prompts).`);
    }
    const run: RunRecord = {
      id: randomUUID(),
      sessionId,
      prompt,
      clientRequestId: opts.clientRequestId,
      state: 'queued',
      enqueuedAt: this.#clock.now().toISOString(),
      costUsd: 0,
      usage: { ...ZERO_USAGE },
      durationMs: 0,
      numTurns: 0,
    };
    const { run: stored, duplicate } = await this.#store.enqueueRun(run);
    // Lost a race with the same id submitted twice at once: the first one counts.
    if (duplicate) return { runId: stored.id, position: this.#position(sessionId, stored.id), duplicate: true };
    runtime.pending.push(run.id);
    const position = runtime.pending.length;
    const queued = await this.#emit({
      type: 'run.queued',
      sessionId,
      runId: run.id,
      prompt,
      position,
      clientRequestId: opts.clientRequestId,
    });
    await this.#store.updateRun(run.id, { queuedSeq: queued.seq });
    await this.#emitQueue(sessionId);
    this.#scheduler.markReady(sessionId);
    this.#pump();
    return { runId: run.id, position, duplicate: false };
  }

  async interrupt(sessionId: string): Promise<{ runId: string }> {
    await this.#record(sessionId);
    const runId = this.#executor.interrupt(sessionId);
    if (!runId) throw new AppError('not_running', 'Nothing is running in this session.');
    return { runId };
  }

  /** Cancels a queued run; a run that already started is interrupted instead. */
  async cancel(sessionId: string, runId: string): Promise<{ runId: string; status: 'cancelled' | 'interrupting' }> {
    await this.#record(sessionId);
    const runtime = this.#rt(sessionId);
    const index = runtime.pending.indexOf(runId);
    if (index >= 0) {
      runtime.pending.splice(index, 1);
      if (runtime.pending.length === 0) this.#scheduler.forget(sessionId);
      await this.#executor.finishCancelled(sessionId, runId);
      await this.#emitQueue(sessionId);
      return { runId, status: 'cancelled' };
    }
    if (this.#executor.activeRunId(sessionId) === runId) {
      this.#executor.interrupt(sessionId);
      return { runId, status: 'interrupting' };
    }
    const run = await this.#store.getRun(runId);
    if (!run || run.sessionId !== sessionId) throw new AppError('run_not_found', `No run ${runId} in this session.`);
    throw new AppError('conflict', `Run ${runId} already ended (${run.state}).`);
  }

  async answerPermission(sessionId: string, requestId: string, answer: PermissionAnswer, by: string): Promise<void> {
    await this.#record(sessionId);
    await this.#executor.answerPermission(sessionId, requestId, answer, by);
  }

  async queue(sessionId: string): Promise<RunRecord[]> {
    await this.#record(sessionId);
    const pending = this.#rt(sessionId).pending;
    const runs = await Promise.all(pending.map((id) => this.#store.getRun(id)));
    return runs.filter((r): r is RunRecord => r !== undefined);
  }

  async getRun(sessionId: string, runId: string): Promise<RunRecord> {
    const run = await this.#store.getRun(runId);
    if (!run || run.sessionId !== sessionId) throw new AppError('run_not_found', `No run ${runId} in this session.`);
    return run;
  }

  async listRuns(sessionId: string): Promise<RunRecord[]> {
    await this.#record(sessionId);
    return this.#store.listRuns(sessionId);
  }

  /** Interrupts a run by id, wherever it is (the gateway's DELETE /chat/:id). */
  async interruptRun(runId: string): Promise<void> {
    const run = await this.#store.getRun(runId);
    if (!run) throw new AppError('process_not_found', `No process ${runId}.`);
    if (run.state === 'queued') {
      await this.cancel(run.sessionId, runId);
      return;
    }
    if (this.#executor.activeRunId(run.sessionId) !== runId) {
      throw new AppError('process_not_found', `Process ${runId} is not running.`);
    }
    this.#executor.interrupt(run.sessionId);
  }

  processes(): Promise<ActiveRunInfo[]> {
    return this.#executor.activeRuns();
  }

  // ---- events -------------------------------------------------------------

  async subscribe(sessionId: string, afterSeq: number, listener: EventListener): Promise<Unsubscribe> {
    await this.#record(sessionId);
    return this.#bus.subscribe(sessionId, afterSeq, listener);
  }

  /**
   * Opens a session's transcript for display: its last `tailRuns` runs (and
   * every run not finished yet) in compact form, without deltas of finished
   * runs, then every live event. Older runs come from `history`.
   */
  async openTranscript(
    sessionId: string,
    tailRuns: number,
    listener: EventListener,
  ): Promise<TranscriptWindow & { unsubscribe: Unsubscribe }> {
    await this.#record(sessionId);
    const runs = await this.#store.listRuns(sessionId);
    const { start, shown } = tailWindow(runs, tailRuns);
    const fromSeq = shown.length > 0 ? Math.min(...shown.map((r) => r.queuedSeq ?? 1)) : (await this.#store.lastSeq(sessionId)) + 1;
    // Older runs may still have events after fromSeq (prompts queued together
    // run later): those belong to "load earlier", not here.
    const older = new Set(runs.slice(0, start).map((r) => r.id));
    const unsubscribe = await this.#bus.subscribe(sessionId, fromSeq - 1, listener, {
      compact: true,
      replayFilter: (e) => !('runId' in e) || e.runId === undefined || !older.has(e.runId),
    });
    return { fromSeq, hasEarlier: start > 0, firstRunId: shown[0]?.id, unsubscribe };
  }

  /** For "load earlier": the compact events of the `count` runs before run `beforeRunId`. */
  async history(sessionId: string, beforeRunId: string, count: number): Promise<TranscriptWindow & { events: ServerEvent[] }> {
    await this.#record(sessionId);
    const runs = await this.#store.listRuns(sessionId);
    const index = runs.findIndex((r) => r.id === beforeRunId);
    if (index < 0) throw new AppError('run_not_found', `No run ${beforeRunId} in this session.`);
    const start = Math.max(0, index - count);
    const page = runs.slice(start, index);
    const events = await this.#store.readRunEvents(sessionId, page.map((r) => r.id));
    return { fromSeq: events[0]?.seq ?? 1, hasEarlier: start > 0, firstRunId: page[0]?.id, events };
  }

  onAnyEvent(listener: EventListener): Unsubscribe {
    return this.#bus.onAny(listener);
  }

  /** Raw CLI lines of a run: stored ones after `afterN`, then live ones, then `end`. */
  subscribeRaw(runId: string, afterN: number, listener: RawListener): Promise<Unsubscribe> {
    return this.#executor.subscribeRaw(runId, afterN, listener);
  }

  // ---- folders and usage --------------------------------------------------

  /** Sub-folders of a folder inside the allowed roots (the app's folder chooser). */
  listFolders(path: string): Promise<FolderListing> {
    return listFolders(path, this.#roots);
  }

  /** Cost, tokens and runs of the runs that finished since local midnight. */
  usageToday(): Promise<UsageTotals> {
    return usageSince(this.#store, startOfLocalDay(this.#clock.now()));
  }

  // ---- storage ------------------------------------------------------------

  /** A file or folder of the session's folder; the folder itself is checked again first. */
  async storage(sessionId: string, relPath: string): Promise<StorageItem> {
    const record = await this.#record(sessionId);
    const folder = recheckFolder(record.cwd, record.ownFolder ? this.#ownRoot : this.#roots);
    return readStorage(folder, resolveInside(folder, relPath === '' ? '.' : relPath));
  }

  // ---- lifecycle ----------------------------------------------------------

  /** Stops every run (queued prompts stay queued for the next start) and waits for the log to settle. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#executor.stopAll();
    await Promise.allSettled([...this.#chains.values()]);
  }

  // ---- internals ----------------------------------------------------------

  #pump(): void {
    if (this.#closing) return;
    for (const sessionId of this.#scheduler.takeStartable()) {
      const runId = this.#rt(sessionId).pending.shift();
      if (runId === undefined) {
        this.#scheduler.finished(sessionId, false);
        continue;
      }
      this.#emitQueue(sessionId).catch((err: unknown) => this.#log('error', 'logging the queue failed', err));
      this.#executor.start(sessionId, runId).catch((err: unknown) => {
        this.#log('error', `run ${runId} failed to start`, err);
      });
    }
  }

  #runEnded(sessionId: string): void {
    const runtime = this.#runtime.get(sessionId);
    this.#scheduler.finished(sessionId, (runtime?.pending.length ?? 0) > 0);
    this.#pump();
  }

  async #duplicate(sessionId: string, clientRequestId: string): Promise<SubmitResult | undefined> {
    const found = await this.#store.findRunByClientRequestId(sessionId, clientRequestId);
    if (!found) return undefined;
    return { runId: found.id, position: this.#position(sessionId, found.id), duplicate: true };
  }

  #position(sessionId: string, runId: string): number {
    return this.#rt(sessionId).pending.indexOf(runId) + 1;
  }

  #emitQueue(sessionId: string): Promise<ServerEvent> {
    return this.#emit({ type: 'queue.changed', sessionId, pending: [...this.#rt(sessionId).pending] });
  }

  /**
   * Stores the event (numbering it), then fans it out; per session in call
   * order. Events emitted while the previous write is in flight are written
   * together in one transaction (group commit): a CLI streaming thousands of
   * deltas costs a few commits, not thousands.
   */
  #emit(event: NewEvent): Promise<ServerEvent> {
    return new Promise((resolve, reject) => {
      const sessionId = event.sessionId;
      let batch = this.#batches.get(sessionId);
      if (!batch) {
        batch = [];
        this.#batches.set(sessionId, batch);
        void this.#onChain(sessionId, () => this.#flush(sessionId)).catch(() => undefined);
      }
      batch.push({ event, resolve, reject });
    });
  }

  async #flush(sessionId: string): Promise<void> {
    const batch = this.#batches.get(sessionId) ?? [];
    this.#batches.delete(sessionId);
    let stored: ServerEvent[];
    try {
      stored = await this.#store.appendEvents(
        batch.map((b) => b.event),
        this.#clock.now().toISOString(),
      );
    } catch (err) {
      for (const b of batch) b.reject(err);
      throw err;
    }
    batch.forEach((b, i) => {
      const event = stored[i] as ServerEvent;
      this.#bus.publish(event);
      b.resolve(event);
    });
  }

  #onChain<T>(sessionId: string, work: () => Promise<T>): Promise<T> {
    const prev = this.#chains.get(sessionId) ?? Promise.resolve();
    const next = prev.then(work, work);
    // Keep the chain alive past failures; callers see their own error.
    this.#chains.set(
      sessionId,
      next.catch(() => undefined),
    );
    return next;
  }

  async #announce(record: SessionRecord): Promise<SessionView> {
    const view = await this.#view(record);
    const stored = await this.#emit({ type: 'session.updated', sessionId: record.id, session: view });
    return { ...view, lastSeq: stored.seq };
  }

  async #record(id: string): Promise<SessionRecord> {
    const record = await this.#store.getSession(id);
    if (!record) throw notFound(id);
    return record;
  }

  #rt(sessionId: string): Runtime {
    let runtime = this.#runtime.get(sessionId);
    if (!runtime) this.#runtime.set(sessionId, (runtime = { pending: [] }));
    return runtime;
  }

  async #view(record: SessionRecord): Promise<SessionView> {
    return {
      id: record.id,
      name: record.name,
      cwd: record.cwd,
      ownFolder: record.ownFolder,
      options: record.options,
      claudeSessionId: record.claudeSessionId,
      status: this.#executor.activeRunId(record.id) ? 'running' : 'idle',
      queueLength: this.#runtime.get(record.id)?.pending.length ?? 0,
      totals: { costUsd: record.costUsd, runs: record.runs, usage: record.usage },
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      lastSeq: await this.#store.lastSeq(record.id),
    };
  }

  get #policy(): OptionsPolicy {
    return this.#config.policy ?? OPEN_POLICY;
  }

  #checkedOptions(options: SessionOptions): SessionOptions {
    // Extra folders give the CLI's tools access too: same rule as the cwd.
    const addDirs = options.addDirs?.map((dir) => resolveCwd(dir, this.#roots));
    return enforcePolicy({ ...options, ...(addDirs ? { addDirs } : {}) }, this.#policy, this.#roots);
  }

  /**
   * Just before a run starts: its folders must still be where they may be,
   * and its options within the policy (both may have changed since they were
   * set). Returns the real folder and the options to run with.
   */
  #checkRunnable(session: SessionRecord): { cwd: string; options: SessionOptions } {
    const cwd = recheckFolder(session.cwd, session.ownFolder ? this.#ownRoot : this.#roots);
    const options = enforcePolicy(session.options, this.#policy, this.#roots);
    const addDirs = options.addDirs?.map((dir) => recheckFolder(dir, this.#roots));
    return { cwd, options: { ...options, ...(addDirs ? { addDirs } : {}) } };
  }
}

function pickOptions(body: SessionOptions): SessionOptions {
  const keys = [
    'model',
    'systemPrompt',
    'appendSystemPrompt',
    'permissionMode',
    'allowedTools',
    'disallowedTools',
    'addDirs',
    'mcpConfig',
    'tools',
    'jsonSchema',
    'agents',
  ] as const satisfies readonly (keyof SessionOptions)[];
  const out: Record<string, unknown> = {};
  for (const key of keys) if (body[key] !== undefined) out[key] = body[key];
  return out as SessionOptions;
}

function defaultName(cwd: string, ownFolder: boolean): string {
  if (ownFolder) return 'New session';
  const parts = cwd.split(/[\\/]/).filter((p) => p !== '');
  return parts[parts.length - 1] ?? cwd;
}

function notFound(id: string): AppError {
  return new AppError('session_not_found', `No session ${id}.`);
}

export function createEngine(deps: EngineDeps, config: EngineConfig): Engine {
  return new Engine(deps, config);
}
