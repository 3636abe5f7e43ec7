/**
 * A run's life: one prompt, one turn of the CLI, from taking a process to
 * `run.finished`. `execute()` returns how the run ended (never throws); the
 * engine that started it decides what comes next.
 *
 * The turn ends when the CLI prints its `result` line: the run is announced
 * then, without waiting for a process to exit. The process goes back to the
 * warm pool (or is told to exit, when warm processes are off). A process that
 * ends before the result ends the turn too: a crash, or a stop we asked for.
 * A failed run is data (`status: "error"`), never an exception.
 */
import { randomUUID } from 'node:crypto';
import type { PermissionAnswer } from '../protocol/api.js';
import type { SessionOptions, TokenUsage } from '../protocol/events.js';
import { ZERO_USAGE } from '../protocol/events.js';
import { buildCliArgs, processFingerprint } from './cli/args.js';
import { conversationFlagToRetry, judge, runCost, type LimitHit, type StopReason, type TurnFacts, type Verdict } from './cli/outcome.js';
import { messageContent } from './attachments.js';
import { interruptLine, userMessageLine, type UserContent } from './cli/stdin.js';
import { RunNormaliser, sumUsage } from './cli/stdout.js';
import type { ClaudeProcess, SpawnRequest, TurnListener } from './claude-process.js';
import type { EventLog, LogFn } from './event-log.js';
import { permissionPreview } from './permission-preview.js';
import { RunPermissions, type AnsweredRequests, type Resolution } from './permissions.js';
import type { Clock, TextDiffer } from './ports.js';
import type { RawLog } from './raw-log.js';
import type { RunRecord, SessionRecord, Store } from './store.js';
import type { WarmPool } from './warm-pool.js';

export interface RunConfig {
  cliEnv: Record<string, string>;
  /** Ask over stdin before tools that need approval (sessions in `default` mode). */
  permissionPrompts: boolean;
  permissionTimeoutMs: number;
  /** How long an interrupt may take before the process is stopped. */
  killGraceMs: number;
  /** RUN_TIMEOUT_S: a run that takes longer ends as `timeout` (0: no limit). */
  runTimeoutMs?: number | undefined;
  /** RUN_IDLE_TIMEOUT_S: a run whose CLI prints nothing for this long ends as `idle_timeout` (0: no limit). */
  idleTimeoutMs?: number | undefined;
  /** MAX_OUTPUT_BYTES: a run that prints more is stopped (0: no limit). */
  maxOutputBytes?: number | undefined;
}

export interface RunDeps {
  store: Store;
  events: EventLog;
  raw: RawLog;
  pool: WarmPool;
  clock: Clock;
  log: LogFn;
  config: RunConfig;
  answered: AnsweredRequests;
  /** The path of the CLI; throws (503) when there is none. */
  requireCli(): Promise<string>;
  /** The session's real folder and checked options; throws when the run may not start. */
  checkRunnable(session: SessionRecord): { cwd: string; options: SessionOptions };
  allowedForSession(sessionId: string): Set<string>;
  /** A tool was allowed for the rest of the session: keep it and say so. */
  onAllowedForSession(sessionId: string, toolName: string): void;
  /** Makes the unified diffs of permission cards. */
  differ: TextDiffer;
}

/** How a run ended, as recorded and announced. */
export interface RunEnd extends Verdict {
  runId: string;
  sessionId: string;
  /** When a usage limit that ended it resets, if the CLI said (not part of run.finished). */
  resetsAt?: string | undefined;
  result?: string | undefined;
  costUsd: number;
  usage: TokenUsage;
  durationMs: number;
  numTurns: number;
}

const ASKING_MODES: ReadonlySet<string> = new Set(['default', 'acceptEdits', 'plan', 'manual']);

/** What the CLI is started with for a session (also used to prewarm it). */
export function spawnRequest(
  session: SessionRecord,
  checked: { cwd: string; options: SessionOptions },
  resume: boolean,
  cli: { path: string; env: Record<string, string>; permissionPrompts: boolean },
): SpawnRequest {
  const mode = checked.options.permissionMode;
  const args = {
    options: checked.options,
    claudeSessionId: session.claudeSessionId,
    // The modes in which the CLI may ask before a tool: default, acceptEdits (Bash still asks), plan
    // (approving the plan), manual. bypassPermissions never asks; dontAsk and auto decide alone.
    permissionPrompts: cli.permissionPrompts && session.origin === 'api' && (mode === undefined || ASKING_MODES.has(mode)),
  };
  return {
    sessionId: session.id,
    claudeSessionId: session.claudeSessionId,
    fingerprint: processFingerprint(args, checked.cwd),
    cwd: checked.cwd,
    model: checked.options.model,
    command: cli.path,
    args: buildCliArgs({ ...args, resume }),
    env: cli.env,
  };
}

export class Run {
  readonly runId: string;
  readonly sessionId: string;
  readonly #deps: RunDeps;
  readonly #session: SessionRecord;
  readonly #record: RunRecord;
  #startedAt: Date;
  #process: ClaudeProcess | undefined;
  #normaliser: RunNormaliser;
  #stopReason: StopReason | undefined;
  #interruptTimer: NodeJS.Timeout | undefined;
  #permissions: RunPermissions | undefined;
  #announced = false;
  /** A limit of ours that ended the run (the first one hit). */
  #limit: LimitHit | undefined;
  /** We ended the turn at the CLI's first retry of a refused authentication. */
  #authStopped = false;
  #outputBytes = 0;
  /** The run's folders (real paths): what a permission card may read. */
  #folders: string[] = [];
  /** What the user message carries: the prompt, and the attached images read from the folder. */
  #content: UserContent = '';
  #runTimer: NodeJS.Timeout | undefined;
  #idleTimer: NodeJS.Timeout | undefined;
  #done: Promise<RunEnd> | undefined;

  constructor(deps: RunDeps, session: SessionRecord, record: RunRecord) {
    this.#deps = deps;
    this.#session = session;
    this.#record = record;
    this.runId = record.id;
    this.sessionId = session.id;
    this.#startedAt = deps.clock.now();
    this.#normaliser = new RunNormaliser(record.id);
  }

  /** What this run's log lines are about. */
  get #about(): { sessionId: string; runId: string } {
    return { sessionId: this.sessionId, runId: this.runId };
  }

  get process(): ClaudeProcess | undefined {
    return this.#process;
  }

  get startedAt(): Date {
    return this.#startedAt;
  }

  get model(): string | undefined {
    return this.#normaliser.model ?? this.#session.options.model;
  }

  /** Runs the turn and records its end; resolves once `run.finished` is logged. Never rejects. */
  execute(): Promise<RunEnd> {
    this.#done ??= (async () => {
      let facts: TurnFacts;
      try {
        facts = await this.#turn();
      } catch (err) {
        this.#deps.log('error', 'the run failed unexpectedly', { ...this.#about, err });
        facts = { exit: { code: null, signal: null, stderrTail: `internal error: ${(err as Error).message}` } };
      }
      try {
        return await this.#finish(facts);
      } catch (err) {
        // The store failed while recording the end: say how it ended anyway.
        this.#deps.log('error', 'recording the end of the run failed', { ...this.#about, err });
        const verdict = judge({ ...facts, stopReason: facts.stopReason ?? this.#stopReason, limit: this.#limit, authRetry: this.#authStopped });
        return { ...verdict, runId: this.runId, sessionId: this.sessionId, costUsd: 0, usage: { ...ZERO_USAGE }, durationMs: 0, numTurns: 0 };
      }
    })();
    return this.#done;
  }

  /** Ends the current turn; the process stays warm if the CLI ends the turn in time. */
  interrupt(): void {
    if (this.#stopReason) return;
    this.#stopReason = 'interrupted';
    this.#sendInterrupt();
  }

  /** Stops the run and its process (session deleted, server shutting down); resolves when it ended. */
  async stop(reason: StopReason): Promise<void> {
    this.#stopReason ??= reason;
    await this.#process?.stop();
    await this.#done;
  }

  answerPermission(requestId: string, answer: PermissionAnswer, by: string): Resolution {
    if (!this.#permissions) throw new Error('no turn is running');
    return this.#permissions.answer(requestId, answer, by);
  }

  hasPermissionRequest(requestId: string): boolean {
    return this.#permissions?.has(requestId) ?? false;
  }

  /** The tool an open permission request is about. */
  permissionTool(requestId: string): string | undefined {
    return this.#permissions?.toolOf(requestId);
  }

  /** Answers the run waits for from a person. */
  get waitingForAnswers(): number {
    return this.#permissions?.waiting ?? 0;
  }

  async #turn(): Promise<TurnFacts> {
    const deps = this.#deps;
    let cliPath: string;
    try {
      cliPath = await deps.requireCli();
    } catch (err) {
      return { spawnError: (err as Error).message };
    }
    let checked: { cwd: string; options: SessionOptions };
    try {
      checked = deps.checkRunnable(this.#session);
      this.#folders = [checked.cwd, ...(checked.options.addDirs ?? [])];
      this.#content = await messageContent(checked.cwd, this.#record.prompt, this.#record.attachments);
    } catch (err) {
      deps.log('warn', `run refused: ${(err as Error).message}`, this.#about);
      return { refused: (err as Error).message };
    }
    if (this.#stopReason) return { stopReason: this.#stopReason };
    const cli = { path: cliPath, env: deps.config.cliEnv, permissionPrompts: deps.config.permissionPrompts };
    let resume = this.#session.claudeStarted;
    for (let attempt = 1; ; attempt++) {
      const { process, reused } = deps.pool.acquire(spawnRequest(this.#session, checked, resume, cli));
      const facts = await this.#onProcess(process);
      if (facts.outcome || facts.stopReason || attempt > 1 || !facts.exit) return facts;
      const flag = conversationFlagToRetry(resume, facts.exit);
      if (flag !== undefined) {
        // The CLI and our record disagree on whether the transcript exists
        // (e.g. a run killed just after the CLI created it). Flip and retry once.
        deps.log('warn', `retrying the run with ${flag ? '--resume' : '--session-id'}`, this.#about);
        resume = flag;
        await deps.store.updateSession(this.sessionId, { claudeStarted: flag });
      } else if (reused && this.#normaliser.claudeSessionId === undefined) {
        // A warm process that died just before this turn: take a fresh one, transparently.
        deps.log('warn', 'the warm process ended before answering; starting a fresh one', this.#about);
        resume = (await deps.store.getSession(this.sessionId))?.claudeStarted ?? resume;
      } else {
        return facts;
      }
      this.#normaliser = new RunNormaliser(this.runId);
    }
  }

  /** Attaches the turn to a process and waits for its result or the process's end. */
  async #onProcess(process: ClaudeProcess): Promise<TurnFacts> {
    const deps = this.#deps;
    this.#process = process;
    if (!this.#announced) {
      this.#announced = true;
      this.#startedAt = deps.clock.now();
      await deps.store.updateRun(this.runId, {
        state: 'running',
        startedAt: this.#startedAt.toISOString(),
        pid: process.pid,
        claudeSessionId: this.#session.claudeSessionId,
        model: this.#session.options.model,
      });
      this.#startRunTimer();
      deps.events.record({
        type: 'run.started',
        sessionId: this.sessionId,
        runId: this.runId,
        pid: process.pid,
        claudeSessionId: this.#session.claudeSessionId,
        model: this.#session.options.model,
      });
    }
    this.#permissions = new RunPermissions({
      sessionId: this.sessionId,
      runId: this.runId,
      timeoutMs: deps.config.permissionTimeoutMs,
      write: (line) => process.write(line),
      record: (event) => deps.events.record(event),
      answered: deps.answered,
      allowedForSession: deps.allowedForSession(this.sessionId),
      onAllowedForSession: (tool) => deps.onAllowedForSession(this.sessionId, tool),
      preview: (request) =>
        permissionPreview(request.toolName, request.input, {
          folders: this.#folders,
          differ: deps.differ,
          toolUseInput: this.#normaliser.toolInput(request.toolUseId),
          lastText: this.#normaliser.lastText || undefined,
        }),
    });
    return new Promise<TurnFacts>((resolve) => {
      const listener: TurnListener = {
        onLine: (line) => {
          // Whatever the CLI prints, a mistake in reading it costs this line, not the server.
          try {
            if (this.#onLine(line)) {
              process.detach(listener, deps.clock.now());
              this.#endTurn();
              deps.pool.release(process, this.#stopReason !== 'deleted' && this.#stopReason !== 'shutdown');
              resolve({ outcome: this.#normaliser.outcome, stopReason: this.#stopReason });
            }
          } catch (err) {
            deps.log('error', 'a CLI line could not be handled', { ...this.#about, err });
          }
        },
        onExit: (info) => {
          this.#endTurn();
          resolve({ exit: info, outcome: this.#normaliser.outcome, stopReason: this.#stopReason });
        },
      };
      if (process.state !== 'idle') {
        resolve({ exit: process.exit ?? { code: null, signal: null, stderrTail: '' } });
        return;
      }
      process.attach(listener);
      this.#armIdleTimer();
      process.write(userMessageLine(this.#content));
      if (this.#stopReason === 'interrupted') this.#sendInterrupt();
    });
  }

  /** One stdout line of this turn; true when it was the result that ends it. */
  #onLine(line: string): boolean {
    const deps = this.#deps;
    if (this.#overOutputCap(line)) return false;
    this.#armIdleTimer();
    deps.raw.append(this.sessionId, this.runId, line);
    const hadOutcome = this.#normaliser.outcome !== undefined;
    const { events, permission } = this.#normaliser.line(line);
    for (const event of events) deps.events.record({ ...event, sessionId: this.sessionId });
    if (permission) this.#permissions?.onRequest(permission);
    if (this.#normaliser.authRetry && !this.#authStopped) {
      // Retrying a refused key or login cannot succeed: end the turn now, not after ten attempts.
      this.#authStopped = true;
      deps.log('warn', 'the API refused the credentials: ending the run without waiting for the CLI\'s retries', this.#about);
      this.#sendInterrupt();
    }
    return !hadOutcome && this.#normaliser.outcome !== undefined;
  }

  /** Past MAX_OUTPUT_BYTES the run is stopped; what it printed until then is kept. */
  #overOutputCap(line: string): boolean {
    const max = this.#deps.config.maxOutputBytes ?? 0;
    if (max <= 0) return false;
    if (this.#limit?.kind === 'output') return true;
    this.#outputBytes += Buffer.byteLength(line) + 1;
    if (this.#outputBytes <= max) return false;
    const mb = (max / 2 ** 20).toFixed(1);
    this.#hitLimit({ kind: 'output', message: `The run printed more than ${mb} MB (MAX_OUTPUT_BYTES) and was stopped. What it printed until then is kept.` }, true);
    return true;
  }

  #startRunTimer(): void {
    const ms = this.#deps.config.runTimeoutMs ?? 0;
    if (ms <= 0) return;
    this.#runTimer = setTimeout(() => {
      this.#hitLimit({ kind: 'timeout', message: `The run took longer than ${formatDuration(ms)} (RUN_TIMEOUT_S) and was stopped.` });
    }, ms);
    this.#runTimer.unref();
  }

  #armIdleTimer(): void {
    const ms = this.#deps.config.idleTimeoutMs ?? 0;
    if (ms <= 0) return;
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      this.#hitLimit({ kind: 'idle_timeout', message: `The CLI printed nothing for ${formatDuration(ms)} (RUN_IDLE_TIMEOUT_S), so the run was stopped.` });
    }, ms);
    this.#idleTimer.unref();
  }

  /** A limit ends the run like an interrupt (then the stop ladder), or at once for a flood of output. */
  #hitLimit(limit: LimitHit, now = false): void {
    if (this.#limit) return;
    this.#limit = limit;
    this.#deps.log('warn', limit.message, this.#about);
    if (now) void this.#process?.stop();
    else this.#sendInterrupt();
  }

  #sendInterrupt(): void {
    const process = this.#process;
    if (!process || process.state !== 'busy' || this.#interruptTimer) return;
    process.write(interruptLine(`interrupt-${randomUUID()}`));
    // No aborted result in time (a tool that ignores it, a hung CLI): stop the process.
    this.#interruptTimer = setTimeout(() => void process.stop(), this.#deps.config.killGraceMs);
    this.#interruptTimer.unref();
  }

  #endTurn(): void {
    clearTimeout(this.#interruptTimer);
    clearTimeout(this.#runTimer);
    clearTimeout(this.#idleTimer);
    this.#permissions?.clear();
  }

  /** Records the end: the run, the session's totals, `run.finished`, the raw stream's end. */
  async #finish(facts: TurnFacts): Promise<RunEnd> {
    const { store, clock, events } = this.#deps;
    const n = this.#normaliser;
    const verdict = judge({
      ...facts,
      stopReason: facts.stopReason ?? this.#stopReason,
      limit: this.#limit,
      authRetry: this.#authStopped,
      apiFailure: n.apiFailure,
    });
    const finishedAt = clock.now();
    const durationMs = Math.max(0, finishedAt.getTime() - this.#startedAt.getTime());
    // Text that streamed but never arrived as a complete message (the CLI was
    // killed or crashed mid-answer) becomes one, so a compact transcript,
    // which leaves deltas out, still shows it.
    if (n.unfinishedText !== '') events.record({ type: 'assistant.message', sessionId: this.sessionId, runId: this.runId, text: n.unfinishedText });
    const outcome = n.outcome;
    const usage = this.#announced ? n.usage : { ...ZERO_USAGE };
    const session = await store.getSession(this.sessionId);
    const sameConversation = session?.claudeSessionId === this.#session.claudeSessionId;
    const reportedTotal = outcome?.costUsd;
    const costUsd = runCost(reportedTotal, sameConversation ? (session?.conversationCostUsd ?? 0) : 0);
    const end: RunEnd = {
      ...verdict,
      runId: this.runId,
      sessionId: this.sessionId,
      result: outcome?.result ?? (n.lastText || undefined),
      costUsd,
      usage,
      durationMs,
      numTurns: outcome?.numTurns ?? 0,
    };
    await store.updateRun(this.runId, {
      state: end.status,
      finishedAt: finishedAt.toISOString(),
      costUsd,
      usage,
      durationMs,
      numTurns: end.numTurns,
      result: end.result,
      error: end.error,
      errorKind: end.errorKind,
    });
    if (session) {
      await store.updateSession(this.sessionId, {
        costUsd: session.costUsd + costUsd,
        ...(sameConversation && reportedTotal !== undefined ? { conversationCostUsd: reportedTotal } : {}),
        runs: session.runs + 1,
        usage: sumUsage([session.usage, usage]),
        // Once the CLI said hello for this conversation, its transcript exists.
        claudeStarted: sameConversation ? session.claudeStarted || n.claudeSessionId !== undefined : session.claudeStarted,
        updatedAt: finishedAt.toISOString(),
      });
    }
    await events.append({ type: 'run.finished', ...end });
    await this.#deps.raw.end(this.sessionId, this.runId, end.status);
    return { ...end, resetsAt: n.apiFailure?.resetsAt };
  }
}

function formatDuration(ms: number): string {
  return ms >= 60_000 && ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 100) / 10} s`;
}
