/**
 * The engine: sessions, their prompts and runs, their events and files.
 * Every door (REST, SSE, WebSocket, /chat) calls these methods and nothing
 * else; no HTTP here.
 *
 * It checks what comes in (prompt limits, folders, the owner's policy) and
 * wires the parts that each own one thing: the event log (event-log.ts,
 * raw-log.ts) and the dispatcher (dispatcher.ts: queues, runs, warm
 * processes).
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { ChatRequest, CreateSessionBody, PermissionAnswer, UpdateSessionBody } from '../protocol/api.js';
import type { ServerEvent, SessionOptions, SessionView } from '../protocol/events.js';
import { ZERO_USAGE } from '../protocol/events.js';
import { Dispatcher, type ProcessInfo, type SubmitResult } from './dispatcher.js';
import { AppError } from './errors.js';
import type { Resolution } from './permissions.js';
import { EventLog, type EventListener, type LogFn, type Unsubscribe } from './event-log.js';
import { listFolders, readStorage, resolveInside, type FolderListing, type StorageItem } from './paths.js';
import type { OptionsPolicy } from './policy.js';
import { Rules } from './rules.js';
import type { Clock, CliLocation, CliLocator, CliRunner, Coordinator, GitRunner, SharedFeed, TextDiffer } from './ports.js';
import { RawLog, type RawListener } from './raw-log.js';
import { defaultName, pickOptions } from './sessions.js';
import type { RunRecord, SessionRecord, Store } from './store.js';
import { startRetention } from './retention.js';
import { followRun, waitForRun } from './run-watch.js';
import { sessionStats } from './stats.js';
import { historyBefore, openTranscript, type TranscriptWindow } from './transcript-window.js';
import { startOfLocalDay, usageSince, type UsageTotals } from './usage.js';
import type { PoolStats, WarmConfig } from './warm-pool.js';
import type { SessionStats } from '../protocol/responses.js';
import type { Attachment, Changes, FileText } from '../protocol/workspace.js';
import { Workspace, type ServedFile } from './workspace.js';

export type { TranscriptWindow } from './transcript-window.js';
export type { ProcessInfo, SubmitResult } from './dispatcher.js';

export interface EngineConfig {
  dataDir: string;
  /** Folders of sessions created without one (default DATA_DIR/sessions; shared between instances). */
  sessionsDir?: string | undefined;
  /** Where worktrees of sessions made with `worktree: true` go (default DATA_DIR/worktrees). */
  worktreesDir?: string | undefined;
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
  /** Time an interrupted turn, or an ending process, gets before the stop ladder. */
  killGraceMs?: number | undefined;
  /** Warm processes (see warm-pool.ts); off when absent. */
  warm?: Omit<WarmConfig, 'killGraceMs'> | undefined;
  /** Streaming deltas and raw lines of runs finished longer ago are dropped (0 or absent: kept). */
  eventRetentionDays?: number | undefined;
  /** RUN_TIMEOUT_S, RUN_IDLE_TIMEOUT_S, MAX_OUTPUT_BYTES (0: no limit). */
  runTimeoutMs?: number | undefined;
  idleTimeoutMs?: number | undefined;
  maxOutputBytes?: number | undefined;
  /** MAX_ATTACHMENT_MB in bytes: the most one attached file may weigh (default 5 MiB). */
  maxAttachmentBytes?: number | undefined;
}

export interface EngineDeps {
  store: Store;
  runner: CliRunner;
  locator: CliLocator;
  clock: Clock;
  /** Makes the unified diffs of permission cards (server/process/diff.ts). */
  differ: TextDiffer;
  /** Runs git for worktrees and changes (server/process/git.ts). */
  git: GitRunner;
  log?: LogFn;
  /**
   * Several instances on one Redis: who owns which session, and what the
   * others stored (server/cluster/redis-cluster.ts). Absent: this instance
   * alone owns everything.
   */
  cluster?: (Coordinator & SharedFeed) | undefined;
  /** How often a shared instance looks for work nobody owns (ms, default 1000). */
  sweepMs?: number | undefined;
  /** This server's id (the mark on its CLI processes), recorded with each run it starts. */
  instanceId?: string | undefined;
}

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
      { worktreesDir: this.#rules.worktreesDir, maxAttachmentBytes: config.maxAttachmentBytes ?? 5 * 1024 * 1024 },
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

  async createSession(body: CreateSessionBody, origin: SessionRecord['origin'] = 'api'): Promise<SessionView> {
    const id = randomUUID();
    const ownFolder = body.cwd === undefined;
    const asked = body.cwd !== undefined ? this.#rules.folder(body.cwd) : undefined;
    const options = this.#rules.options(pickOptions(body));
    const name = body.name ?? body.session_name ?? defaultName(asked ?? '', ownFolder);
    // Last of the checks, as it makes something: a worktree (and its branch) in the repository.
    const made = await this.#workspace.newWorktree({ worktree: body.worktree, baseRef: body.baseRef, cwd: asked, sessionId: id, name });
    const cwd = made?.cwd ?? asked ?? join(this.#rules.sessionsDir, id);
    if (ownFolder) mkdirSync(cwd, { recursive: true, mode: 0o700 });
    const now = this.#clock.now().toISOString();
    const record: SessionRecord = {
      id,
      name,
      cwd,
      ownFolder,
      ...(made ? { worktree: made.worktree } : {}),
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
    await this.#store.createSession(record).catch(async (err: unknown) => {
      if (made) await this.#workspace.discardWorktree(made);
      throw err;
    });
    const view = await this.#view(record);
    const stored = await this.#events.append({ type: 'session.created', sessionId: id, session: view });
    this.#dispatcher.prewarm(record);
    // The caller's view counts the event just logged (it may subscribe after it).
    return { ...view, lastSeq: stored.seq };
  }

  /** A session bound to an existing Claude conversation (the /chat gateway's `session_id`). */
  async adoptConversation(claudeSessionId: string, cwd: string | undefined, options: SessionOptions): Promise<SessionView> {
    const existing = (await this.#store.listSessions()).find((s) => s.claudeSessionId === claudeSessionId);
    if (existing) {
      if (cwd !== undefined && existing.cwd !== this.#rules.folder(cwd)) {
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
    return Promise.all((await this.#store.listSessions()).map((r) => this.#view(r)));
  }

  async getSession(id: string): Promise<SessionView> {
    return this.#view(await this.#record(id));
  }

  async updateSession(id: string, body: UpdateSessionBody): Promise<SessionView> {
    const record = await this.#record(id);
    const options = this.#rules.options({ ...record.options, ...pickOptions(body) });
    const next = await this.#store.updateSession(id, {
      options,
      updatedAt: this.#clock.now().toISOString(),
      ...(body.name !== undefined ? { name: body.name } : {}),
    });
    if (!next) throw notFound(id);
    // New options need a new process: the warm one ends (after its turn, if it has one).
    if (JSON.stringify(options) !== JSON.stringify(record.options)) await this.#dispatcher.replaceProcess(next);
    return this.#dispatcher.announce(next);
  }

  /**
   * Stops the session's run, drops its queue and forgets it. Only with
   * `purge`: an own folder is removed, and a worktree (with `git worktree
   * remove`, which git refuses for uncommitted work: then nothing is deleted).
   */
  async deleteSession(id: string, purge = false): Promise<{ deleted: true; purged: boolean; message?: string }> {
    const record = await this.#record(id);
    if (purge) await this.#workspace.checkPurge(record);
    const pending = await this.#dispatcher.dropSession(id);
    for (const runId of pending) await this.#store.updateRun(runId, { state: 'cancelled' });
    await this.#events.append({ type: 'session.deleted', sessionId: id });
    await this.#events.serial(id, () => this.#store.deleteSession(id));
    this.#events.forget(id);
    if (purge && record.worktree) return { deleted: true, ...(await this.#workspace.purgeWorktree(record)) };
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
    await this.#events.append({ type: 'session.cleared', sessionId: id, claudeSessionId });
    await this.#dispatcher.replaceProcess(next);
    return this.#dispatcher.announce(next);
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

  async #record(id: string): Promise<SessionRecord> {
    const record = await this.#store.getSession(id);
    if (!record) throw notFound(id);
    return record;
  }

  #view(record: SessionRecord): Promise<SessionView> {
    return this.#dispatcher.view(record);
  }
}

function notFound(id: string): AppError {
  return new AppError('session_not_found', `No session ${id}.`);
}

export function createEngine(deps: EngineDeps, config: EngineConfig): Engine {
  return new Engine(deps, config);
}
