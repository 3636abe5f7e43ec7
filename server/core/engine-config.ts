/**
 * What the engine is built from: its settings (EngineConfig, from
 * server/config.ts) and the adapters it reaches out through (EngineDeps:
 * the store, the CLI runner and locator, git, the clock, the cluster).
 */
import type { LogFn } from './event-log.js';
import type { OptionsPolicy } from './policy.js';
import type { Clock, CliLocator, CliRunner, Coordinator, GitRunner, SharedFeed, TextDiffer } from './ports.js';
import type { Store } from './store.js';
import type { WarmConfig } from './warm-pool.js';

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
