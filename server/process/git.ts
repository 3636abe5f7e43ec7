/**
 * GitRunner on the real `git`: one child process per command, with a
 * deadline and a cap on what it may print. Read-only commands must not
 * disturb the user's own git (GIT_OPTIONAL_LOCKS=0: `git status` in a
 * checkout the user is committing in takes no index lock), and git must never
 * wait for a person (no terminal prompt, no pager, no editor).
 */
import { spawn } from 'node:child_process';
import { AppError } from '../core/errors.js';
import type { GitResult, GitRunner } from '../core/ports.js';

export interface GitRunnerOptions {
  /** The git executable (GIT_PATH; default `git`, found on PATH). */
  gitPath?: string | undefined;
  /** The environment git runs with (the user's, for their git config and credentials). */
  env: Record<string, string>;
  /** A command that takes longer is killed (default 60 s). */
  timeoutMs?: number | undefined;
}

const DEFAULT_TIMEOUT_MS = 60_000;
const DEFAULT_MAX_BYTES = 64 * 1024 * 1024;
const STDERR_MAX_BYTES = 16 * 1024;

export function createGitRunner(options: GitRunnerOptions): GitRunner {
  const gitPath = options.gitPath || 'git';
  const env: Record<string, string> = {
    ...options.env,
    GIT_TERMINAL_PROMPT: '0',
    GIT_OPTIONAL_LOCKS: '0',
    GIT_PAGER: 'cat',
    GIT_EDITOR: 'true',
    // Messages we pass on to the user must be git's English ones, not a guess at their locale.
    LC_ALL: 'C',
  };
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return {
    run: (cwd, args, runOptions) => runGit(gitPath, cwd, args, env, timeoutMs, runOptions?.maxBytes ?? DEFAULT_MAX_BYTES),
  };
}

function runGit(gitPath: string, cwd: string, args: readonly string[], env: Record<string, string>, timeoutMs: number, maxBytes: number): Promise<GitResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(gitPath, ['-c', 'core.quotePath=false', '-c', 'color.ui=false', ...args], {
      cwd,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let outBytes = 0;
    let truncated = false;
    let stderr = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.stdout.on('data', (chunk: Buffer) => {
      if (truncated) return;
      const room = maxBytes - outBytes;
      if (chunk.length > room) {
        out.push(chunk.subarray(0, room));
        outBytes = maxBytes;
        truncated = true;
        // Enough read: the rest is not wanted, and git must not block on a full pipe.
        child.kill('SIGKILL');
        return;
      }
      out.push(chunk);
      outBytes += chunk.length;
    });
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < STDERR_MAX_BYTES) stderr += chunk.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      reject(
        new AppError('git_unavailable', `git could not be run (${gitPath}: ${err.code ?? err.message}). Install git, or point GIT_PATH at it.`, {
          cause: err,
        }),
      );
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      if (timedOut) {
        resolve({ code: -1, stdout, stderr: `git ${args[0] ?? ''} took longer than ${timeoutMs} ms and was stopped.`, truncated });
        return;
      }
      resolve({ code: truncated ? 0 : (code ?? -1), stdout, stderr: stderr.trim(), truncated });
    });
  });
}
