/**
 * One `claude` process of one session, alive across turns: stream-json input
 * keeps it waiting for the next user message after each `result`, so a warm
 * process answers the next prompt without starting up or reloading the
 * conversation. A turn attaches to it, receives its lines, and detaches at
 * its `result`; between turns it is idle.
 */
import { randomUUID } from 'node:crypto';
import type { SessionOptions } from '../protocol/events.js';
import { buildCliArgs, processFingerprint } from './cli/args.js';
import { CpuRate } from './cpu-rate.js';
import type { Clock, CliProcess, CliRunner, ExitInfo } from './ports.js';
import type { SessionRecord } from './store.js';

/** What a turn hears from the process while attached to it. */
export interface TurnListener {
  onLine(line: string): void;
  /** The process ended while this turn was attached. */
  onExit(info: ExitInfo): void;
}

export interface ProcessIdentity {
  sessionId: string;
  /** The conversation the process has open. */
  claudeSessionId: string;
  /** Everything of its argv but the conversation flag, and its folder (see processFingerprint). */
  fingerprint: string;
  cwd: string;
  model?: string | undefined;
}

export interface SpawnRequest extends ProcessIdentity {
  command: string;
  args: string[];
  env: Record<string, string>;
}

export type ProcessState = 'idle' | 'busy' | 'exited';

/** Resource use of the process and everything below it. */
export interface ProcessStats {
  cpuSeconds: number;
  rssBytes: number;
  /** Percent of one core over the last few seconds (cpu-rate.ts); undefined until a span is long enough. */
  cpuPercent: number | undefined;
}

export class ClaudeProcess {
  /** Marks it and its tools (see the runner's tag). */
  readonly id = randomUUID();
  readonly identity: ProcessIdentity;
  readonly startedAt: Date;
  readonly #process: CliProcess;
  readonly #cpu: CpuRate;
  #turn: TurnListener | undefined;
  #exit: ExitInfo | undefined;
  readonly #exitListeners = new Set<(info: ExitInfo) => void>();
  /** Turns it has served. */
  turns = 0;
  idleSince: Date | undefined;
  /** Set once it has been asked to end: it takes no more turns. */
  retiring = false;

  constructor(runner: CliRunner, request: SpawnRequest, now: Date) {
    this.identity = {
      sessionId: request.sessionId,
      claudeSessionId: request.claudeSessionId,
      fingerprint: request.fingerprint,
      cwd: request.cwd,
      model: request.model,
    };
    this.startedAt = now;
    this.idleSince = now;
    this.#cpu = new CpuRate(now);
    this.#process = runner.spawn(
      { command: request.command, args: request.args, cwd: request.cwd, env: request.env, tag: this.id },
      { onLine: (line) => this.#onLine(line), onExit: (info) => this.#onExit(info) },
    );
  }

  get pid(): number {
    return this.#process.pid;
  }

  get state(): ProcessState {
    if (this.#exit) return 'exited';
    return this.#turn ? 'busy' : 'idle';
  }

  /** How it ended, once it has. */
  get exit(): ExitInfo | undefined {
    return this.#exit;
  }

  /** Attaches a turn; the caller then writes its user message. */
  attach(turn: TurnListener): void {
    if (this.#exit || this.#turn) throw new Error(`process ${this.id} is ${this.state}`);
    this.#turn = turn;
    this.idleSince = undefined;
    this.turns += 1;
  }

  /** The turn is over (its result arrived): the process is idle again. */
  detach(turn: TurnListener, now: Date): void {
    if (this.#turn !== turn) return;
    this.#turn = undefined;
    this.idleSince = now;
  }

  write(line: string): void {
    this.#process.write(line);
  }

  /** Closes stdin: the CLI finishes what it is doing and exits by itself. */
  endInput(): void {
    this.retiring = true;
    this.#process.endInput();
  }

  /** The stop ladder on its whole process group; resolves once it has exited. */
  stop(): Promise<void> {
    this.retiring = true;
    return this.#process.stop();
  }

  /** Measures the tree now (each measurement is also a sample of its CPU rate); undefined once exited or where the platform cannot tell. */
  async stats(clock: Clock): Promise<ProcessStats | undefined> {
    if (this.#exit) return undefined;
    const measured = await this.#process.stats();
    if (!measured) return undefined;
    return { ...measured, cpuPercent: this.#cpu.sample(clock.now(), measured.cpuSeconds) };
  }

  onExit(listener: (info: ExitInfo) => void): () => void {
    if (this.#exit) {
      listener(this.#exit);
      return () => {};
    }
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /** Resolves once it has exited, or after `ms`; true when it exited. */
  waitExit(ms: number): Promise<boolean> {
    if (this.#exit) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        off();
        resolve(false);
      }, ms);
      timer.unref();
      const off = this.onExit(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }

  #onLine(line: string): void {
    // Between turns the CLI has nothing to say; a late line (an answer to an
    // interrupt that came after the result) belongs to no run.
    this.#turn?.onLine(line);
  }

  #onExit(info: ExitInfo): void {
    this.#exit = info;
    const turn = this.#turn;
    this.#turn = undefined;
    turn?.onExit(info);
    for (const listener of [...this.#exitListeners]) listener(info);
    this.#exitListeners.clear();
  }
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
