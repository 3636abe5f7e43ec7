/**
 * The interfaces the engine reaches the outside world through. Adapters in
 * `server/cli/` fill them with real technology; tests fill them with the same
 * real adapters pointed at fakes on loopback, never with mocks of our modules.
 */

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface SpawnSpec {
  command: string;
  args: string[];
  cwd: string;
  env: Record<string, string>;
  /**
   * Marks every process of this CLI process (an environment variable its
   * children inherit), so that tools which escaped into process groups of
   * their own can still be found and stopped.
   */
  tag: string;
}

export interface ExitInfo {
  code: number | null;
  signal: string | null;
  /** The last few KB of stderr, for error messages. */
  stderrTail: string;
  /** Set when the process could not be started at all (e.g. ENOENT). */
  spawnError?: string | undefined;
}

/** Callbacks of one CLI process. Lines arrive in order, each without its newline. */
export interface ProcessHandlers {
  onLine(line: string): void;
  onExit(info: ExitInfo): void;
}

/** One running CLI process, in its own process group. */
export interface CliProcess {
  readonly pid: number;
  write(line: string): void;
  /** Closes stdin: the CLI finishes the turn in hand and exits. */
  endInput(): void;
  /**
   * Stops the whole process group: SIGINT, then SIGTERM, then SIGKILL, each
   * after a grace period. Resolves once the process has exited.
   */
  stop(): Promise<void>;
  /** Resource use of the process and everything below it, when the platform tells (Linux /proc). */
  stats(): Promise<{ cpuSeconds: number; rssBytes: number } | undefined>;
}

export interface CliRunner {
  /** Spawns the CLI. Failures to start are reported through onExit, never thrown. */
  spawn(spec: SpawnSpec, handlers: ProcessHandlers): CliProcess;
  /**
   * Kills what an earlier life of this server left running (it was killed
   * with -9): the process groups of the pids it had running, if they still
   * look like ours, and every process that carries this server's mark, warm
   * processes and the tools they started included.
   */
  killOrphans(pids: readonly number[]): Promise<void>;
}

/** Where the `claude` executable is, if anywhere. */
export interface CliLocation {
  found: boolean;
  path?: string | undefined;
  version?: string | undefined;
  /** How the user can fix it, when not found. */
  hint?: string | undefined;
}

export interface CliLocator {
  locate(): Promise<CliLocation>;
}

/** What a log line is about: the session and run it concerns, an error with its stack, any other fields. */
export interface LogContext {
  sessionId?: string | undefined;
  runId?: string | undefined;
  err?: unknown;
  [field: string]: unknown;
}

/** Where the core logs. It passes no secrets; the logger adds nothing but time and level. */
export type LogFn = (level: 'debug' | 'info' | 'warn' | 'error', message: string, context?: LogContext) => void;

/** A unified diff of one file's text, before and after (an adapter: server/process/diff.ts). */
export type TextDiffer = (path: string, before: string, after: string) => string;
