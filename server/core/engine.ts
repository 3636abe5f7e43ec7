/**
 * The engine: sessions, their prompts and runs, their events and files.
 * Every door (REST, SSE, WebSocket, /chat) calls these methods and nothing
 * else; no HTTP here.
 *
 * It checks what comes in (prompt limits, folders, the owner's policy) and
 * wires the parts that each own one thing: the event log (event-log.ts,
 * raw-log.ts), a session's life (session-life.ts), the dispatcher
 * (dispatcher.ts: queues, runs, warm processes) and the session's files
 * (workspace.ts). What it is built from is in engine-config.ts.
 */
import type { ChatRequest, CreateSessionBody, PermissionAnswer, UpdateSessionBody } from '../protocol/api.js';
import type { ServerEvent, SessionOptions, SessionView } from '../protocol/events.js';
import { Dispatcher, type ProcessInfo, type SubmitResult } from './dispatcher.js';
import { AppError } from './errors.js';
import type { Resolution } from './permissions.js';
import { EventLog, type EventListener, type LogFn, type Unsubscribe } from './event-log.js';
import { listFolders, readStorage, resolveInside, type FolderListing, type StorageItem } from './paths.js';
import { Rules } from './rules.js';
import type { Clock, CliLocation } from './ports.js';
import { RawLog, type RawListener } from './raw-log.js';
import type { RunRecord, SessionRecord, Store } from './store.js';
import { startRetention } from './retention.js';
import { followRun, waitForRun } from './run-watch.js';
import { sessionStats } from './stats.js';
import { historyBefore, openTranscript, type TranscriptWindow } from './transcript-window.js';
import { startOfLocalDay, usageSince, type UsageTotals } from './usage.js';
import type { PoolStats } from './warm-pool.js';
import type { SessionStats } from '../protocol/responses.js';
import type { Attachment, Changes, FileText } from '../protocol/workspace.js';
import { Workspace, type ServedFile } from './workspace.js';
import { SessionLife } from './session-life.js';
import { notFound, requireSession } from './sessions.js';

/** MAX_ATTACHMENT_MB's default (5 MiB). */
const DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;
import type { EngineConfig, EngineDeps } from './engine-config.js';

export type { TranscriptWindow } from './transcript-window.js';
export type { ProcessInfo, SubmitResult } from './dispatcher.js';

export type { EngineConfig, EngineDeps } from './engine-config.js';

export interface SubmitOptions {
  clientRequestId?: string | undefined;
  attachments?: readonly Attachment[] | undefined;
}

export class Engine {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #config: EngineConfig;
  readonly #log: LogFn;
  readonly #events: EventLog;
  readonly #raw: RawLog;
  readonly #dispatcher: Dispatcher;
  readonly #rules: Rules;
  readonly #workspace: Workspace;
  readonly #sessions: SessionLife;
  #closing = false;
  #stopRetention = () => {};

  constructor(deps: EngineDeps, config: EngineConfig) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#config = config;
    this.#log = deps.log ?? (() => {});
    this.#events = new EventLog(deps.store, deps.clock, this.#log, deps.cluster);
    this.#raw = new RawLog(deps.store, this.#events, this.#log, deps.cluster);
    this.#rules = new Rules(config, deps.locator);
    this.#workspace = new Workspace(
      { git: deps.git, rules: this.#rules, log: this.#log },
      { worktreesDir: this.#rules.worktreesDir, maxAttachmentBytes: config.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES },
    );
    this.#dispatcher = new Dispatcher(
      {
        store: deps.store,
        events: this.#events,
        raw: this.#raw,
        runner: deps.runner,
        clock: deps.clock,
        log: this.#log,
        requireCli: () => this.#rules.cli(),
        checkRunnable: (session) => this.#rules.runnable(session),
        differ: deps.differ,
        coordinator: deps.cluster,
        sweepMs: deps.sweepMs,
        instanceId: deps.instanceId,
      },
      {
        maxConcurrentRuns: config.maxConcurrentRuns,
        maxQueueLength: config.maxQueueLength,
        cliEnv: config.cliEnv,
        permissionPrompts: config.permissionPrompts,
        permissionTimeoutMs: config.permissionTimeoutMs,
        killGraceMs: config.killGraceMs ?? 3000,
        warm: config.warm,
        runTimeoutMs: config.runTimeoutMs,
        idleTimeoutMs: config.idleTimeoutMs,
        maxOutputBytes: config.maxOutputBytes,
      },
    );
    this.#sessions = new SessionLife({
      store: deps.store,
      clock: deps.clock,
      events: this.#events,
      rules: this.#rules,
      workspace: this.#workspace,
      dispatcher: this.#dispatcher,
    });
  }

  /** What clients should know before they send (the welcome frame carries it). */
  get limits(): { maxAttachmentBytes: number } {
    return { maxAttachmentBytes: this.#config.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES };
  }

  get allowedRoots(): readonly string[] {
    return this.#rules.roots;
  }

  /** Cleans up after a previous life of this server, then starts what is queued (see Dispatcher.start); prunes old runs. */
  async start(): Promise<void> {
    await this.#dispatcher.start();
    this.#stopRetention = startRetention(this.#store, this.#clock, this.#log, this.#config.eventRetentionDays ?? 0);
  }

  // ---- sessions -----------------------------------------------------------

  createSession(body: CreateSessionBody, origin: SessionRecord['origin'] = 'api'): Promise<SessionView> {
    return this.#sessions.create(body, origin);
  }

  /** A session bound to an existing Claude conversation (the /chat gateway's `session_id`). */
  adoptConversation(claudeSessionId: string, cwd: string | undefined, options: SessionOptions): Promise<SessionView> {
    return this.#sessions.adoptConversation(claudeSessionId, cwd, options);
  }

  async listSessions(): Promise<SessionView[]> {
    return Promise.all((await this.#store.listSessions()).map((r) => this.#view(r)));
  }

  async getSession(id: string): Promise<SessionView> {
    return this.#view(await this.#record(id));
  }

  updateSession(id: string, body: UpdateSessionBody): Promise<SessionView> {
    return this.#sessions.update(id, body);
  }

  /** Stops the session's run, drops its queue and forgets it; `purge` also removes its own folder or worktree. */
  deleteSession(id: string, purge = false): Promise<{ deleted: true; purged: boolean; message?: string }> {
    return this.#sessions.delete(id, purge);
  }

  /** Starts a new Claude conversation in the same session and folder. */
  clearConversation(id: string): Promise<SessionView> {
    return this.#sessions.clear(id);
  }

  // ---- prompts and runs ---------------------------------------------------

  /**
   * The /chat gateway's one call: continue the conversation `claudeSessionId`
   * names (adopting it into a session if we do not know it) or start one in a
   * new session, and queue the prompt. Bad input is refused before anything
   * is made.
   */
  async chat(request: ChatRequest): Promise<SubmitResult> {
    this.#checkPrompt(request.prompt);
    await this.#rules.cli();
    const session =
      request.claudeSessionId !== undefined
        ? await this.adoptConversation(request.claudeSessionId, request.cwd, request.options)
        : await this.createSession({ ...request.options, ...(request.cwd !== undefined ? { cwd: request.cwd } : {}) }, 'chat');
    return this.submit(session.id, request.prompt);
  }

  /** Queues a prompt, with its attachments (see Workspace.withAttachments). */
  async submit(sessionId: string, prompt: string, opts: SubmitOptions = {}): Promise<SubmitResult> {
    this.#checkPrompt(prompt, opts.attachments?.length ?? 0);
    const record = await this.#record(sessionId);
    // The policy may be stricter than when the session was made: say so now, not when it runs.
    this.#rules.stillAllowed(record.options);
    if (!opts.attachments?.length) return this.#dispatcher.submit(sessionId, prompt, opts.clientRequestId);
    return this.#workspace.withAttachments(record, opts.attachments, (infos) => this.#dispatcher.submit(sessionId, prompt, opts.clientRequestId, infos));
  }

  /** Lets a queue paused after a billing or usage-limit failure go on. */
  async resumeQueue(sessionId: string): Promise<SessionView> {
    await this.#record(sessionId);
    const view = await this.#dispatcher.resume(sessionId);
    if (!view) throw notFound(sessionId);
    return view;
  }

  async interrupt(sessionId: string): Promise<{ runId: string }> {
    await this.#record(sessionId);
    return this.#dispatcher.interrupt(sessionId);
  }

  /** Cancels a queued run; a run that already started is interrupted instead. */
  async cancel(sessionId: string, runId: string): Promise<{ runId: string; status: 'cancelled' | 'interrupting' }> {
    await this.#record(sessionId);
    return this.#dispatcher.cancel(sessionId, runId);
  }

  /**
   * The first answer to a permission request wins (a later one is a 409 that
   * says what was decided). Approving a plan (ExitPlanMode) may name the mode
   * the session continues in: the owner's policy must allow it, and the
   * session keeps it for its next runs.
   */
  async answerPermission(sessionId: string, requestId: string, answer: PermissionAnswer, by: string): Promise<Resolution> {
    const record = await this.#record(sessionId);
    if (answer.mode !== undefined && answer.behavior === 'allow') {
      const tool = await this.#dispatcher.permissionTool(sessionId, requestId);
      if (tool !== undefined && tool !== 'ExitPlanMode') throw new AppError('bad_request', 'A mode goes only with approving a plan (ExitPlanMode).');
      this.#rules.mode(answer.mode);
    }
    const resolution = await this.#dispatcher.answerPermission(sessionId, requestId, answer, by);
    if (answer.mode !== undefined && answer.behavior === 'allow' && record.options.permissionMode !== answer.mode) {
      await this.updateSession(sessionId, { permissionMode: answer.mode });
    }
    return resolution;
  }

  /** Whether a permission request still waits for a person (not answered, remembered or timed out). */
  async isPermissionOpen(sessionId: string, requestId: string): Promise<boolean> {
    return (await this.#dispatcher.permissionTool(sessionId, requestId)) !== undefined;
  }

  /** Stops allowing a tool for the rest of the session without asking. */
  async revokeAllowedTool(sessionId: string, toolName: string): Promise<SessionView> {
    await this.#record(sessionId);
    const view = await this.#dispatcher.revokeAllowed(sessionId, toolName);
    if (!view) throw notFound(sessionId);
    return view;
  }

  async queue(sessionId: string): Promise<RunRecord[]> {
    await this.#record(sessionId);
    const runs = await Promise.all((await this.#dispatcher.pending(sessionId)).map((id) => this.#store.getRun(id)));
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

  /** What a session's runs came to: outcomes, error kinds, tool calls, cost and tokens, the last error. */
  async stats(sessionId: string): Promise<SessionStats> {
    return sessionStats(this.#store, await this.#record(sessionId));
  }

  /** Interrupts a run by id, wherever it is (the gateway's DELETE /chat/:id). */
  interruptRun(runId: string): Promise<void> {
    return this.#dispatcher.interruptRun(runId);
  }

  /** Every CLI process: running a turn, or warm and waiting for the next. */
  processes(): Promise<ProcessInfo[]> {
    return this.#dispatcher.processes();
  }

  /** Prompts waiting and runs going, over all sessions (a gauge for the metrics). */
  queueDepths(): { queued: number; running: number } {
    return this.#dispatcher.depths();
  }

  /** The CLI processes alive, by state (a gauge for the metrics: nothing is measured). */
  processCounts(): Record<ProcessInfo['state'], number> {
    return this.#dispatcher.processCounts();
  }

  /** The warm pool's size and memory, for /health. */
  poolStats(): Promise<PoolStats & { maxCount: number; maxBytes: number }> {
    return this.#dispatcher.poolStats();
  }

  // ---- events -------------------------------------------------------------

  async subscribe(sessionId: string, afterSeq: number, listener: EventListener): Promise<Unsubscribe> {
    await this.#record(sessionId);
    return this.#events.subscribe(sessionId, afterSeq, listener);
  }

  /**
   * A session's events from where a client says it is: the SSE header
   * `Last-Event-ID` (a reconnecting browser sends it with the original URL)
   * is newer than the `after` query, then `after`, then the start.
   */
  followEvents(sessionId: string, from: { after?: number | undefined; lastEventId?: number | undefined }, listener: EventListener): Promise<Unsubscribe> {
    return this.subscribe(sessionId, from.lastEventId ?? from.after ?? 0, listener);
  }

  /** One run's events, from its `run.queued` on, until its `run.finished` (then nothing more). */
  async followRun(sessionId: string, runId: string, listener: EventListener): Promise<Unsubscribe> {
    return followRun(this.#events, await this.getRun(sessionId, runId), listener);
  }

  /** Resolves with the run once it has ended, or undefined when `timeoutMs` passes first. */
  async waitForRun(sessionId: string, runId: string, timeoutMs: number): Promise<RunRecord | undefined> {
    await this.getRun(sessionId, runId);
    return waitForRun(this.#store, this.#events, sessionId, runId, timeoutMs);
  }

  /** What /health tells an authenticated client: the CLI found, the warm processes. */
  async health(): Promise<{ claude: CliLocation; warm: PoolStats & { maxCount: number; maxBytes: number } }> {
    const [claude, warm] = await Promise.all([this.#rules.cliLocation(), this.#dispatcher.poolStats()]);
    return { claude, warm };
  }

  /** A session's transcript for display: its last runs, compact, then live (see transcript-window.ts). */
  async openTranscript(sessionId: string, tailRuns: number, listener: EventListener): Promise<TranscriptWindow & { unsubscribe: Unsubscribe }> {
    await this.#record(sessionId);
    return openTranscript(this.#store, this.#events, sessionId, tailRuns, listener);
  }

  /** For "load earlier": the compact events of the `count` runs before run `beforeRunId`. */
  async history(sessionId: string, beforeRunId: string, count: number): Promise<TranscriptWindow & { events: ServerEvent[] }> {
    await this.#record(sessionId);
    return historyBefore(this.#store, sessionId, beforeRunId, count);
  }

  onAnyEvent(listener: EventListener): Unsubscribe {
    return this.#events.onAny(listener);
  }

  /** Raw CLI lines of a run: stored ones after `afterN`, then live ones, then `end`. */
  subscribeRaw(runId: string, afterN: number, listener: RawListener): Promise<Unsubscribe> {
    return this.#raw.subscribe(runId, afterN, listener);
  }

  // ---- folders, usage, storage --------------------------------------------

  /** Sub-folders of a folder inside the allowed roots (the app's folder chooser). */
  listFolders(path: string): Promise<FolderListing> {
    return listFolders(path, this.#rules.roots);
  }

  /** Cost, tokens and runs of the runs that finished since local midnight. */
  usageToday(): Promise<UsageTotals> {
    return usageSince(this.#store, startOfLocalDay(this.#clock.now()));
  }

  /** A file or folder of the session's folder; the folder itself is checked again first. */
  async storage(sessionId: string, relPath: string): Promise<StorageItem> {
    const record = await this.#record(sessionId);
    const folder = this.#rules.sessionFolder(record);
    return readStorage(folder, resolveInside(folder, relPath === '' ? '.' : relPath));
  }

  /** What changed in the session's folder (git): files with counts, and the diff. */
  async changes(sessionId: string): Promise<Changes> {
    return this.#workspace.changes(await this.#record(sessionId));
  }

  /** A text file of the session's folder, to show (415 when it is not text). */
  async fileText(sessionId: string, relPath: string): Promise<FileText> {
    return this.#workspace.fileText(await this.#record(sessionId), relPath);
  }

  /** A file of the session's folder, to serve: images inline, the rest as downloads. */
  async file(sessionId: string, relPath: string, download: boolean): Promise<ServedFile> {
    return this.#workspace.file(await this.#record(sessionId), relPath, download);
  }

  // ---- lifecycle ----------------------------------------------------------

  /** Stops every run and warm process (queued prompts stay queued for the next start) and lets the log settle. */
  async close(): Promise<void> {
    this.#closing = true;
    this.#stopRetention();
    await this.#dispatcher.close();
    await this.#events.settle();
  }

  // ---- internals ----------------------------------------------------------

  #checkPrompt(prompt: string, attachments = 0): void {
    if (this.#closing) throw new AppError('cli_unavailable', 'The server is shutting down.');
    this.#rules.prompt(prompt, attachments);
  }

  #record(id: string): Promise<SessionRecord> {
    return requireSession(this.#store, id);
  }

  #view(record: SessionRecord): Promise<SessionView> {
    return this.#dispatcher.view(record);
  }
}

export function createEngine(deps: EngineDeps, config: EngineConfig): Engine {
  return new Engine(deps, config);
}
