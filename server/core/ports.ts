import type { PermissionAnswer } from '../protocol/api.js';
import type { ServerEvent } from '../protocol/events.js';

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

/**
 * What an instance asks the owner of a session to do when the session's
 * runs execute elsewhere (several instances on one Redis): the command
 * travels to the owner, which answers as if it had been asked directly.
 */
export type RemoteCommand =
  | { op: 'interrupt'; sessionId: string }
  | { op: 'cancel'; sessionId: string; runId: string }
  | { op: 'permission'; sessionId: string; requestId: string; answer: PermissionAnswer; by: string }
  | { op: 'permissionTool'; sessionId: string; requestId: string }
  | { op: 'revoke'; sessionId: string; toolName: string }
  | { op: 'drop'; sessionId: string }
  | { op: 'replace'; sessionId: string }
  | { op: 'interruptRun'; runId: string }
  | { op: 'resume'; sessionId: string };

/**
 * Who runs which session's prompts. One instance: this one, always. Several
 * instances on one Redis (server/store/redis-coordinator.ts): the holder of
 * the session's lease, which expires when its holder stops renewing it.
 */
export interface Coordinator {
  readonly instanceId: string;
  /** Other instances may hold leases and run sessions. */
  readonly shared: boolean;
  /** Takes the session's lease if nobody holds it (or we do); true when this instance owns the session now. */
  claim(sessionId: string): Promise<boolean>;
  /** Gives the lease up (nothing left to run here). */
  release(sessionId: string): Promise<void>;
  /** The instance that owns the session, if any. */
  ownerOf(sessionId: string): Promise<string | undefined>;
  /** Called when a lease of ours could not be renewed (another instance may take the session). */
  onLost(listener: (sessionId: string) => void): void;
  /** Sends a command to another instance and resolves with its answer (rejects with its error). */
  send(instanceId: string, command: RemoteCommand): Promise<unknown>;
  /** What this instance does with commands sent to it. */
  onCommand(handler: (command: RemoteCommand) => Promise<unknown>): void;
  close(): Promise<void>;
}

/** Raw CLI lines as they travel between instances: numbered per run. */
export interface FedRawLine {
  n: number;
  line: string;
}

/**
 * What every instance hears of what the others store (several instances on
 * one Redis). Pub/sub: in order, but anything published while a connection
 * was down is lost, so readers fill gaps from the store (EventLog, RawLog).
 */
export interface SharedFeed {
  /** Every event any instance stored, this one's included, in `seq` order per session. */
  onEvent(listener: (event: ServerEvent) => void): void;
  /** The feed was cut and is back: what was published meanwhile never came. */
  onReconnect(listener: () => void): void;
  /** Tells the other instances about raw lines just stored. */
  publishRaw(sessionId: string, runId: string, lines: readonly FedRawLine[]): void;
  /** Raw lines other instances stored (never this one's own). */
  onRaw(listener: (sessionId: string, runId: string, lines: FedRawLine[]) => void): void;
}

/** What one git command answered. `truncated`: stdout passed `maxBytes` and the rest was not read. */
export interface GitResult {
  code: number;
  stdout: string;
  stderr: string;
  truncated: boolean;
}

/**
 * Runs git (an adapter: server/process/git.ts). A command that fails is an
 * answer (`code`), not an exception; git that cannot be started at all
 * throws `git_unavailable`.
 */
export interface GitRunner {
  run(cwd: string, args: readonly string[], options?: { maxBytes?: number }): Promise<GitResult>;
}
