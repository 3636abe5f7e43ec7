/**
 * RunExecutor: the life of one run, from spawn to `run.finished`.
 *
 * A run is one turn of the CLI in print mode: spawn with --session-id (new
 * conversation) or --resume, write the prompt as a stream-json user message,
 * turn each stdout line into events, close stdin when the `result` line
 * arrives so the CLI exits, and record the outcome. A failed run is data
 * (`status: "error"`), never an exception.
 */
import type { PermissionAnswer } from '../protocol/api.js';
import type { NewEvent, RunErrorKind, RunStatus, ServerEvent, SessionOptions, TokenUsage } from '../protocol/events.js';
import { buildCliArgs, permissionResponseLine, userMessageLine } from './cli-args.js';
import { AppError } from './errors.js';
import { RunNormaliser, excerpt, sumUsage, type PermissionRequest } from './normalise.js';
import type { CliLocator, CliProcess, CliRunner, Clock, ExitInfo } from './ports.js';
import type { RawLine, RunRecord, SessionRecord, Store } from './store.js';
import type { EngineConfig } from './engine.js';

export type RawItem = RawLine | { end: true; status: RunStatus };
export type RawListener = (item: RawItem) => void;

export interface ActiveRunInfo {
  runId: string;
  sessionId: string;
  pid: number;
  cwd: string;
  model?: string | undefined;
  claudeSessionId: string;
  startedAt: string;
  cpuSeconds?: number | undefined;
  rssBytes?: number | undefined;
}

type StopReason = 'interrupted' | 'deleted' | 'shutdown';

interface PendingPermission {
  request: PermissionRequest;
  timer: NodeJS.Timeout;
}

interface ActiveRun {
  runId: string;
  sessionId: string;
  session: SessionRecord;
  process?: CliProcess | undefined;
  normaliser: RunNormaliser;
  startedAt: Date;
  resume: boolean;
  retried: boolean;
  stopReason?: StopReason | undefined;
  /** Why the run was refused before it started (policy, allowed roots). */
  refused?: string | undefined;
  /** The real folder and checked options it runs with. */
  cwd: string;
  options: SessionOptions;
  permissions: Map<string, PendingPermission>;
  alwaysAllow: Set<string>;
  rawCount: number;
  rawPending: RawLine[];
  done: Promise<void>;
  markDone: () => void;
}

export interface ExecutorDeps {
  store: Store;
  runner: CliRunner;
  locator: CliLocator;
  clock: Clock;
  config: EngineConfig;
  log: (level: 'info' | 'warn' | 'error', message: string, extra?: unknown) => void;
  emit(event: NewEvent): Promise<ServerEvent>;
  enqueueOnChain<T>(sessionId: string, work: () => Promise<T>): Promise<T>;
  /** Checks the session's folders and options again; throws an AppError when the run may not start. */
  checkRunnable(session: SessionRecord): { cwd: string; options: SessionOptions };
  /** Publishes the session's current view (after totals or status changed). */
  announce(sessionId: string): Promise<void>;
  onRunEnded(sessionId: string): void;
}

/** Answers remembered so a second answer to the same request is a 409, not a 404. */
const ANSWERED_MEMORY = 1000;

export class RunExecutor {
  readonly #deps: ExecutorDeps;
  readonly #active = new Map<string, ActiveRun>();
  readonly #rawListeners = new Map<string, Set<RawListener>>();
  readonly #answered = new Set<string>();

  constructor(deps: ExecutorDeps) {
    this.#deps = deps;
  }

  activeRunId(sessionId: string): string | undefined {
    return this.#active.get(sessionId)?.runId;
  }

  /** Throws 503 with install instructions when no CLI can be found. */
  async requireCli(): Promise<string> {
    const location = await this.#deps.locator.locate();
    if (!location.found || !location.path) {
      throw new AppError('cli_unavailable', `The claude CLI was not found. ${location.hint ?? ''}`.trim());
    }
    return location.path;
  }

  async start(sessionId: string, runId: string): Promise<void> {
    const { store } = this.#deps;
    const [run, session] = await Promise.all([store.getRun(runId), store.getSession(sessionId)]);
    if (!run || !session) {
      this.#deps.onRunEnded(sessionId);
      return;
    }
    let markDone = () => {};
    const done = new Promise<void>((resolve) => (markDone = resolve));
    const active: ActiveRun = {
      runId,
      sessionId,
      session,
      cwd: session.cwd,
      options: session.options,
      normaliser: new RunNormaliser(runId),
      startedAt: this.#deps.clock.now(),
      resume: session.claudeStarted,
      retried: false,
      permissions: new Map(),
      alwaysAllow: new Set(),
      rawCount: 0,
      rawPending: [],
      done,
      markDone,
    };
    this.#active.set(sessionId, active);
    let cliPath: string;
    try {
      cliPath = await this.requireCli();
    } catch (err) {
      await this.#finish(active, { code: null, signal: null, stderrTail: '', spawnError: (err as Error).message });
      return;
    }
    try {
      ({ cwd: active.cwd, options: active.options } = this.#deps.checkRunnable(session));
    } catch (err) {
      active.refused = err instanceof Error ? err.message : String(err);
      this.#deps.log('warn', `run ${runId} refused: ${active.refused}`);
    }
    if (active.stopReason || active.refused) {
      await this.#finish(active, { code: null, signal: null, stderrTail: '' });
      return;
    }
    this.#spawn(active, cliPath, run);
    const pid = active.process?.pid ?? -1;
    await store.updateRun(runId, {
      state: 'running',
      startedAt: active.startedAt.toISOString(),
      pid,
      claudeSessionId: session.claudeSessionId,
      model: session.options.model,
    });
    await this.#deps.emit({
      type: 'run.started',
      sessionId,
      runId,
      pid,
      claudeSessionId: session.claudeSessionId,
      model: session.options.model,
    });
  }

  #spawn(active: ActiveRun, cliPath: string, run: RunRecord): void {
    const { session, options } = active;
    const mode = options.permissionMode;
    const args = buildCliArgs({
      options,
      claudeSessionId: session.claudeSessionId,
      resume: active.resume,
      permissionPrompts:
        this.#deps.config.permissionPrompts && session.origin === 'api' && (mode === undefined || mode === 'default'),
    });
    const process = this.#deps.runner.spawn(
      { command: cliPath, args, cwd: active.cwd, env: this.#deps.config.cliEnv, tag: active.runId },
      {
        onLine: (line) => this.#onLine(active, process, line),
        onExit: (info) => this.#background(this.#onExit(active, cliPath, run, info), `run ${active.runId}: recording its end`),
      },
    );
    active.process = process;
    process.write(userMessageLine(run.prompt));
  }

  #onLine(active: ActiveRun, process: CliProcess, line: string): void {
    // Whatever the CLI prints, a mistake in reading it costs this line, not the server.
    try {
      this.#readLine(active, process, line);
    } catch (err) {
      this.#deps.log('error', `run ${active.runId}: a CLI line could not be handled`, err);
    }
  }

  #readLine(active: ActiveRun, process: CliProcess, line: string): void {
    if (active.process !== process) return;
    const { sessionId, runId } = active;
    // The store numbers a run's lines 1, 2, 3... in append order, and appends
    // of one session are serialised on its chain, so this count matches.
    // Lines that arrive while a write is in flight go in the next one together.
    active.rawPending.push({ n: ++active.rawCount, line });
    if (active.rawPending.length === 1) {
      const stored = this.#deps.enqueueOnChain(sessionId, async () => {
        const items = active.rawPending.splice(0);
        await this.#deps.store.appendRawLines(runId, items.map((i) => i.line));
        for (const listener of [...(this.#rawListeners.get(runId) ?? [])]) for (const item of items) listener(item);
      });
      this.#background(stored, `run ${runId}: storing raw lines`);
    }
    const hadOutcome = active.normaliser.outcome !== undefined;
    const { events, permission } = active.normaliser.line(line);
    for (const event of events) this.#background(this.#deps.emit({ ...event, sessionId } as NewEvent), `run ${runId}: logging an event`);
    if (permission) this.#onPermission(active, process, permission);
    // The result line ends the turn: closing stdin lets the CLI exit on its own.
    if (!hadOutcome && active.normaliser.outcome) process.endInput();
  }

  async #onExit(active: ActiveRun, cliPath: string, run: RunRecord, info: ExitInfo): Promise<void> {
    const retry = !active.retried && !active.stopReason ? this.#retryReason(active, info) : undefined;
    if (retry !== undefined) {
      // The CLI and our record disagree on whether the transcript exists
      // (e.g. a run killed just after the CLI created it). Flip and retry once.
      active.retried = true;
      active.resume = retry;
      active.normaliser = new RunNormaliser(active.runId);
      await this.#deps.store.updateSession(active.sessionId, { claudeStarted: retry });
      this.#deps.log('warn', `run ${active.runId}: retrying with ${retry ? '--resume' : '--session-id'}`);
      this.#spawn(active, cliPath, run);
      return;
    }
    await this.#finish(active, info);
  }

  #retryReason(active: ActiveRun, info: ExitInfo): boolean | undefined {
    if (!active.resume && /is already in use/i.test(info.stderrTail)) return true;
    if (active.resume && /No conversation found/i.test(info.stderrTail)) return false;
    return undefined;
  }

  async #finish(active: ActiveRun, info: ExitInfo): Promise<void> {
    const { store, clock } = this.#deps;
    for (const pending of active.permissions.values()) clearTimeout(pending.timer);
    active.permissions.clear();
    const verdict = judge(active, info);
    const finishedAt = clock.now();
    const durationMs = Math.max(0, finishedAt.getTime() - active.startedAt.getTime());
    // Text that streamed but never arrived as a complete message (the CLI was
    // killed or crashed mid-answer) becomes one, so a compact transcript,
    // which leaves deltas out, still shows it.
    const unfinished = active.normaliser.unfinishedText;
    if (unfinished !== '') {
      await this.#deps.emit({ type: 'assistant.message', sessionId: active.sessionId, runId: active.runId, text: unfinished });
    }
    const outcome = active.normaliser.outcome;
    const usage = active.normaliser.usage;
    const session = await store.getSession(active.sessionId);
    const sameConversation = session?.claudeSessionId === active.session.claudeSessionId;
    const previousTotal = sameConversation ? (session?.conversationCostUsd ?? 0) : 0;
    const reportedTotal = outcome?.costUsd;
    const costUsd = runCost(reportedTotal, previousTotal);
    const numTurns = outcome?.numTurns ?? 0;
    const result = outcome?.result ?? (active.normaliser.lastText || undefined);
    await store.updateRun(active.runId, {
      state: verdict.status,
      finishedAt: finishedAt.toISOString(),
      costUsd,
      usage,
      durationMs,
      numTurns,
      result,
      error: verdict.error,
      errorKind: verdict.errorKind,
    });
    if (session) {
      await store.updateSession(active.sessionId, {
        costUsd: session.costUsd + costUsd,
        ...(sameConversation && reportedTotal !== undefined ? { conversationCostUsd: reportedTotal } : {}),
        runs: session.runs + 1,
        usage: sumUsage([session.usage, usage]),
        // Once the CLI said hello for this conversation, its transcript exists.
        claudeStarted:
          session.claudeSessionId === active.session.claudeSessionId
            ? session.claudeStarted || active.normaliser.claudeSessionId !== undefined
            : session.claudeStarted,
        updatedAt: finishedAt.toISOString(),
      });
    }
    await this.#deps.emit({
      type: 'run.finished',
      sessionId: active.sessionId,
      runId: active.runId,
      status: verdict.status,
      result,
      costUsd,
      usage,
      durationMs,
      numTurns,
      errorKind: verdict.errorKind,
      error: verdict.error,
    });
    this.#active.delete(active.sessionId);
    if (session) await this.#deps.announce(active.sessionId);
    await this.#deps.enqueueOnChain(active.sessionId, async () => this.#endRaw(active.runId, verdict.status));
    active.markDone();
    this.#deps.onRunEnded(active.sessionId);
  }

  /** Work nobody awaits still gets a handler: a failure is logged, never an unhandled rejection. */
  #background(work: Promise<unknown>, what: string): void {
    work.catch((err: unknown) => this.#deps.log('error', `${what} failed`, err));
  }

  // ---- stopping -----------------------------------------------------------

  interrupt(sessionId: string): string | undefined {
    const active = this.#active.get(sessionId);
    if (!active) return undefined;
    if (!active.stopReason) {
      active.stopReason = 'interrupted';
      void active.process?.stop();
    }
    return active.runId;
  }

  async stopSession(sessionId: string, reason: StopReason): Promise<void> {
    const active = this.#active.get(sessionId);
    if (!active) return;
    active.stopReason ??= reason;
    await active.process?.stop();
    await active.done;
  }

  async stopAll(): Promise<void> {
    await Promise.all([...this.#active.keys()].map((id) => this.stopSession(id, 'shutdown')));
  }

  async finishCancelled(sessionId: string, runId: string): Promise<void> {
    const now = this.#deps.clock.now().toISOString();
    await this.#deps.store.updateRun(runId, { state: 'cancelled', finishedAt: now });
    await this.#deps.emit({
      type: 'run.finished',
      sessionId,
      runId,
      status: 'cancelled',
      costUsd: 0,
      usage: zeroUsage(),
      durationMs: 0,
      numTurns: 0,
    });
    await this.#deps.enqueueOnChain(sessionId, async () => this.#endRaw(runId, 'cancelled'));
  }

  /**
   * Runs the store says were running belong to a server that died (kill -9,
   * power loss). Their CLI may still be alive in its own process group: kill
   * it, and record the run as failed. It is not run again: its tools may
   * already have changed files.
   */
  async recoverInterrupted(): Promise<void> {
    const { store, runner } = this.#deps;
    for (const run of await store.runsInState('running')) {
      await runner.killOrphan(run.pid, run.id);
      const error = 'The server stopped while this run was going. It was not restarted, because its tools may already have acted.';
      await store.updateRun(run.id, { state: 'error', errorKind: 'server_restart', error, finishedAt: this.#deps.clock.now().toISOString() });
      await this.#deps.emit({
        type: 'run.finished',
        sessionId: run.sessionId,
        runId: run.id,
        status: 'error',
        costUsd: 0,
        usage: zeroUsage(),
        durationMs: 0,
        numTurns: 0,
        errorKind: 'server_restart',
        error,
      });
    }
  }

  // ---- permissions --------------------------------------------------------

  #onPermission(active: ActiveRun, process: CliProcess, request: PermissionRequest): void {
    if (active.alwaysAllow.has(request.toolName)) {
      process.write(permissionResponseLine(request.requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId }));
      this.#background(this.#resolved(active, request.requestId, 'allow', 'remembered'), 'logging a permission answer');
      return;
    }
    const timeoutMs = this.#deps.config.permissionTimeoutMs;
    const timer = setTimeout(() => {
      if (!active.permissions.delete(request.requestId)) return;
      const minutes = Math.round(timeoutMs / 60_000);
      const message = `No one answered this permission request within ${minutes >= 1 ? `${minutes} minute(s)` : `${timeoutMs} ms`}.`;
      process.write(permissionResponseLine(request.requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
      this.#background(this.#resolved(active, request.requestId, 'deny', 'timeout'), 'logging a permission timeout');
    }, timeoutMs);
    timer.unref();
    active.permissions.set(request.requestId, { request, timer });
  }

  async answerPermission(sessionId: string, requestId: string, answer: PermissionAnswer, by: string): Promise<void> {
    const active = this.#active.get(sessionId);
    const pending = active?.permissions.get(requestId);
    if (!active || !pending || !active.process) {
      if (this.#answered.has(requestId)) throw new AppError('already_answered', 'This permission request was already answered.');
      throw new AppError('permission_request_not_found', `No open permission request ${requestId} in this session.`);
    }
    clearTimeout(pending.timer);
    active.permissions.delete(requestId);
    const { request } = pending;
    if (answer.behavior === 'allow') {
      if (answer.remember) active.alwaysAllow.add(request.toolName);
      active.process.write(permissionResponseLine(requestId, { behavior: 'allow', input: request.input, toolUseId: request.toolUseId }));
    } else {
      const message = answer.message ?? 'The user denied this tool call.';
      active.process.write(permissionResponseLine(requestId, { behavior: 'deny', message, toolUseId: request.toolUseId }));
    }
    await this.#resolved(active, requestId, answer.behavior, by);
  }

  async #resolved(active: ActiveRun, requestId: string, behavior: 'allow' | 'deny', by: string): Promise<void> {
    this.#answered.add(requestId);
    if (this.#answered.size > ANSWERED_MEMORY) {
      const oldest = this.#answered.values().next().value;
      if (oldest !== undefined) this.#answered.delete(oldest);
    }
    await this.#deps.emit({ type: 'permission.resolved', sessionId: active.sessionId, runId: active.runId, requestId, behavior, by });
  }

  // ---- processes and raw lines --------------------------------------------

  async activeRuns(): Promise<ActiveRunInfo[]> {
    const runs = [...this.#active.values()].filter((a) => a.process && a.process.pid > 0);
    return Promise.all(
      runs.map(async (a) => {
        const stats = await a.process?.stats();
        return {
          runId: a.runId,
          sessionId: a.sessionId,
          pid: a.process?.pid ?? -1,
          cwd: a.session.cwd,
          model: a.normaliser.model ?? a.session.options.model,
          claudeSessionId: a.session.claudeSessionId,
          startedAt: a.startedAt.toISOString(),
          cpuSeconds: stats?.cpuSeconds,
          rssBytes: stats?.rssBytes,
        };
      }),
    );
  }

  async subscribeRaw(runId: string, afterN: number, listener: RawListener): Promise<() => void> {
    const run = await this.#deps.store.getRun(runId);
    if (!run) throw new AppError('run_not_found', `No run ${runId}.`);
    let last = afterN;
    let held: RawItem[] | undefined = [];
    let ended = false;
    const deliver = (item: RawItem) => {
      if (ended) return;
      if ('end' in item) {
        ended = true;
        listener(item);
        return;
      }
      if (item.n <= last) return;
      last = item.n;
      listener(item);
    };
    const live: RawListener = (item) => (held ? held.push(item) : deliver(item));
    let set = this.#rawListeners.get(runId);
    if (!set) this.#rawListeners.set(runId, (set = new Set()));
    set.add(live);
    const off = () => {
      set.delete(live);
      if (set.size === 0) this.#rawListeners.delete(runId);
    };
    // Read on the session's chain so no line is stored between this read and
    // the switch to live delivery without being seen by one or the other.
    await this.#deps.enqueueOnChain(run.sessionId, async () => {
      for (const line of await this.#deps.store.readRawLines(runId, last)) deliver(line);
      const now = await this.#deps.store.getRun(runId);
      const pending = held ?? [];
      held = undefined;
      for (const item of pending) deliver(item);
      if (now && isFinal(now.state) && !ended) deliver({ end: true, status: now.state as RunStatus });
    });
    return off;
  }

  #endRaw(runId: string, status: RunStatus): void {
    const listeners = this.#rawListeners.get(runId);
    if (!listeners) return;
    for (const l of [...listeners]) l({ end: true, status });
  }
}

interface Verdict {
  status: RunStatus;
  errorKind?: RunErrorKind | undefined;
  error?: string | undefined;
}

/** How a run ended, from why we stopped it, what the CLI said, and how it exited. */
function judge(active: ActiveRun, info: ExitInfo): Verdict {
  const outcome = active.normaliser.outcome;
  if (info.spawnError) {
    const missing = /ENOENT|not found/i.test(info.spawnError);
    return { status: 'error', errorKind: missing ? 'cli_missing' : 'cli_crashed', error: info.spawnError };
  }
  if (active.refused) return { status: 'error', errorKind: 'refused', error: active.refused };
  if (active.stopReason) {
    const why = active.stopReason === 'interrupted' ? 'Interrupted.' : active.stopReason === 'deleted' ? 'The session was deleted.' : 'The server shut down.';
    return { status: 'interrupted', error: why };
  }
  if (outcome) {
    if (!outcome.isError) return { status: 'success' };
    if (outcome.aborted) return { status: 'interrupted', error: 'Interrupted.' };
    return { status: 'error', errorKind: outcome.errorKind, error: outcome.error };
  }
  const how = info.signal ? `was killed by ${info.signal}` : `exited with code ${info.code}`;
  const tail = info.stderrTail ? `: ${excerpt(info.stderrTail, 2000)}` : ' without printing an error';
  return { status: 'error', errorKind: 'cli_crashed', error: `The claude CLI ${how} before finishing the turn${tail}` };
}

/**
 * A run's own cost from the conversation total the CLI reported. A total
 * lower than the one before means the CLI started counting afresh (its cost
 * record was lost), so the reported total is all this run's.
 */
export function runCost(reportedTotal: number | undefined, previousTotal: number): number {
  if (reportedTotal === undefined) return 0;
  const delta = reportedTotal >= previousTotal ? reportedTotal - previousTotal : reportedTotal;
  // Float noise from repeated subtraction must not show as -0.0000000001.
  return Math.max(0, Math.round(delta * 1e9) / 1e9);
}

function isFinal(state: string): boolean {
  return state !== 'queued' && state !== 'running';
}

function zeroUsage(): TokenUsage {
  return { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
}
