/**
 * What the engine checks before it acts: prompt limits, the folders a
 * session may use (on their real paths, when set and again at every use),
 * the owner's policy on options, and that there is a CLI to run.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PermissionMode, SessionOptions } from '../protocol/events.js';
import { MAX_PROMPT_BYTES } from '../protocol/limits.js';
import { AppError } from './errors.js';
import { realRoots, recheckFolder, resolveCwd } from './paths.js';
import { enforcePolicy, OPEN_POLICY, type OptionsPolicy } from './policy.js';
import type { CliLocation, CliLocator } from './ports.js';
import type { SessionRecord } from './store.js';

export class Rules {
  /** The allowed roots' real paths. */
  readonly roots: string[];
  /** Where own session folders live (real path): they are checked against this, not the roots. */
  readonly #ownRoot: string[];
  /** Where folders of sessions created without one are made. */
  readonly sessionsDir: string;
  /** Where session worktrees live (real path): a worktree session's folder must stay in it. */
  readonly #worktreeRoot: string[];
  /** Where session worktrees are made. */
  readonly worktreesDir: string;
  readonly #policy: OptionsPolicy;
  readonly #locator: CliLocator;

  constructor(
    config: { dataDir: string; sessionsDir?: string | undefined; worktreesDir?: string | undefined; allowedRoots: readonly string[]; policy?: OptionsPolicy | undefined },
    locator: CliLocator,
  ) {
    this.roots = realRoots(config.allowedRoots);
    this.sessionsDir = config.sessionsDir ?? join(config.dataDir, 'sessions');
    mkdirSync(this.sessionsDir, { recursive: true, mode: 0o700 });
    this.#ownRoot = realRoots([this.sessionsDir]);
    this.worktreesDir = config.worktreesDir ?? join(config.dataDir, 'worktrees');
    mkdirSync(this.worktreesDir, { recursive: true, mode: 0o700 });
    this.#worktreeRoot = realRoots([this.worktreesDir]);
    this.#policy = config.policy ?? OPEN_POLICY;
    this.#locator = locator;
  }

  /** With attachments, the prompt may be empty (a picture may say it all). */
  prompt(prompt: string, attachments = 0): void {
    if (prompt.trim() === '' && attachments === 0) throw new AppError('validation_failed', 'The prompt must not be empty.');
    const bytes = Buffer.byteLength(prompt, 'utf8');
    if (bytes > MAX_PROMPT_BYTES) throw new AppError('payload_too_large', `The prompt is ${bytes} bytes; the limit is ${MAX_PROMPT_BYTES}.`);
  }

  /** A folder a client asked for, inside the roots (its real path). */
  folder(input: string): string {
    return resolveCwd(input, this.roots);
  }

  /** A session's folder as it is now, checked again. */
  sessionFolder(record: SessionRecord): string {
    return recheckFolder(record.cwd, record.worktree ? this.#worktreeRoot : record.ownFolder ? this.#ownRoot : this.roots);
  }

  /** Options a client set: extra folders inside the roots, and within the owner's policy. */
  options(options: SessionOptions): SessionOptions {
    // Extra folders give the CLI's tools access too: same rule as the cwd.
    const addDirs = options.addDirs?.map((dir) => resolveCwd(dir, this.roots));
    return enforcePolicy({ ...options, ...(addDirs ? { addDirs } : {}) }, this.#policy, this.roots);
  }

  /** The policy may be stricter than when the options were set. */
  stillAllowed(options: SessionOptions): void {
    enforcePolicy(options, this.#policy, this.roots);
  }

  mode(mode: PermissionMode): void {
    enforcePolicy({ permissionMode: mode }, this.#policy, this.roots);
  }

  /**
   * Just before a run starts: its folders must still be where they may be,
   * and its options within the policy (both may have changed since they were
   * set). Returns the real folder and the options to run with.
   */
  runnable(session: SessionRecord): { cwd: string; options: SessionOptions } {
    const cwd = this.sessionFolder(session);
    const options = enforcePolicy(session.options, this.#policy, this.roots);
    const addDirs = options.addDirs?.map((dir) => recheckFolder(dir, this.roots));
    return { cwd, options: { ...options, ...(addDirs ? { addDirs } : {}) } };
  }

  /** Where the CLI is, if anywhere (/health). */
  cliLocation(): Promise<CliLocation> {
    return this.#locator.locate();
  }

  /** Throws 503 with install instructions when no CLI can be found. */
  async cli(): Promise<string> {
    const location = await this.#locator.locate();
    if (!location.found || !location.path) throw new AppError('cli_unavailable', `The claude CLI was not found. ${location.hint ?? ''}`.trim());
    return location.path;
  }
}
