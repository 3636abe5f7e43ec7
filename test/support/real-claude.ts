/**
 * Helpers for tests that run the real `claude` CLI binary (dev dependency
 * @anthropic-ai/claude-code) against the fake Messages API.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, readSync } from 'node:fs';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { FakeAnthropic } from './fake-anthropic.js';

const PACKAGE = '@anthropic-ai/claude-code';

/** ELF, Mach-O (both byte orders, fat) and PE headers: anything else is not the native CLI. */
function isNativeExecutable(file: string): boolean {
  if (!existsSync(file)) return false;
  const header = Buffer.alloc(4);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 4, 0);
  } finally {
    closeSync(fd);
  }
  const magic = header.readUInt32BE(0);
  const known = [0x7f454c46, 0xfeedface, 0xfeedfacf, 0xcefaedfe, 0xcffaedfe, 0xcafebabe];
  return known.includes(magic) || header.subarray(0, 2).toString('latin1') === 'MZ';
}

function platformPackageName(): string {
  const base = `${PACKAGE}-${process.platform}-${process.arch}`;
  if (process.platform !== 'linux') return base;
  // Same musl test the package's own launcher uses.
  const report = process.report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined;
  return report?.header?.glibcVersionRuntime === undefined ? `${base}-musl` : base;
}

/**
 * Absolute path of the native `claude` binary. The package's `bin/claude.exe`
 * is a shell stub until its postinstall copies the native binary over it, so
 * when the stub is still there we fall back to the platform package it would
 * have copied from.
 */
export function realClaudePath(): string {
  const require = createRequire(import.meta.url);
  const manifestPath = require.resolve(`${PACKAGE}/package.json`);
  const packageDir = path.dirname(manifestPath);
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as { bin?: string | Record<string, string> };
  const binEntry = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin?.['claude'];
  const candidates: string[] = [];
  if (binEntry !== undefined) candidates.push(path.join(packageDir, binEntry));
  const platformPackage = platformPackageName();
  const binaryName = process.platform === 'win32' ? 'claude.exe' : 'claude';
  candidates.push(path.join(packageDir, '..', '..', platformPackage, binaryName));
  candidates.push(path.join(packageDir, 'node_modules', platformPackage, binaryName));
  const found = candidates.find(isNativeExecutable);
  if (found === undefined) {
    throw new Error(`No native claude binary found; looked at:\n  ${candidates.join('\n  ')}`);
  }
  return found;
}

export interface ClaudeEnv {
  env: Record<string, string>;
  home: string;
  cleanup(): Promise<void>;
}

/** Variables from the developer's shell that would redirect or reconfigure the CLI. */
function isLeakyVariable(name: string): boolean {
  // The Agent SDK also drops NODE_OPTIONS and DEBUG before spawning the CLI.
  return name.startsWith('ANTHROPIC_') || name.startsWith('CLAUDE_') || name === 'NODE_OPTIONS' || name === 'DEBUG';
}

export async function makeClaudeEnv(fake: FakeAnthropic): Promise<ClaudeEnv> {
  // realpath: the CLI reports resolved paths, and macOS's tmpdir is a symlink.
  const home = await realpath(await mkdtemp(path.join(os.tmpdir(), 'claude-home-')));
  const tmp = path.join(home, 'tmp');
  await mkdir(tmp);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (value !== undefined && !isLeakyVariable(name)) env[name] = value;
  }
  Object.assign(env, {
    HOME: home,
    ANTHROPIC_BASE_URL: fake.url,
    ANTHROPIC_API_KEY: 'sk-test',
    // Exactly one HTTP request per model call, nothing else (no /api/hello, telemetry, updates).
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
    DISABLE_TELEMETRY: '1',
    DISABLE_AUTOUPDATER: '1',
    // The CLI retries even 401s with long backoff by default; tests want the error at once.
    CLAUDE_CODE_MAX_RETRIES: '0',
    // Without it bypassPermissions is refused when tests run as root.
    IS_SANDBOX: '1',
    // The CLI leaves per-run probe and shell-state dirs under $TMPDIR/claude-<uid>; keep them in HOME so cleanup() removes them.
    CLAUDE_CODE_TMPDIR: tmp,
    TMPDIR: tmp,
  });
  return {
    env,
    home,
    // A CLI left by a server killed with -9 may still be writing here for a moment (ENOTEMPTY): retry.
    cleanup: () => rm(home, { recursive: true, force: true, maxRetries: 10, retryDelay: 200 }),
  };
}

/** Makes a throwaway project directory (resolved path, see makeClaudeEnv). */
export async function makeTempDir(prefix = 'claude-cwd-'): Promise<string> {
  return realpath(await mkdtemp(path.join(os.tmpdir(), prefix)));
}

export interface ClaudeExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** One JSON line of `--output-format stream-json`. */
export type StreamLine = { type?: unknown; subtype?: unknown; [key: string]: unknown };

export interface ClaudeRun {
  child: ChildProcessWithoutNullStreams;
  /** Parsed stdout lines so far (non-JSON lines are kept as `{type:"raw", text}`). */
  lines: StreamLine[];
  stderr(): string;
  /** Resolves with the first line (past or future) matching `predicate`; rejects if the process exits first. */
  waitForLine(predicate: (line: StreamLine) => boolean): Promise<StreamLine>;
  /** Writes one JSON line to stdin. */
  send(message: unknown): void;
  exited: Promise<ClaudeExit>;
  /** SIGKILLs the process if still running and waits for it. */
  kill(): Promise<ClaudeExit>;
}

/** Spawns the real CLI and parses its stdout as JSON lines. */
export function spawnClaude(args: string[], options: { cwd: string; env: Record<string, string> }): ClaudeRun {
  const child = spawn(realClaudePath(), args, { cwd: options.cwd, env: options.env, stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: StreamLine[] = [];
  const waiters: Array<{ predicate: (line: StreamLine) => boolean; resolve: (line: StreamLine) => void }> = [];
  let stderr = '';
  let buffered = '';
  let running = true;

  function accept(text: string): void {
    if (text.trim().length === 0) return;
    let line: StreamLine;
    try {
      line = JSON.parse(text) as StreamLine;
    } catch {
      line = { type: 'raw', text };
    }
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.predicate(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  }

  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      accept(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => (stderr += chunk));
  // The CLI may exit before reading everything we wrote; EPIPE is not a test failure by itself.
  child.stdin.on('error', () => undefined);

  const exited = new Promise<ClaudeExit>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      running = false;
      accept(buffered);
      buffered = '';
      resolve({ code, signal });
    });
  });

  function waitForLine(predicate: (line: StreamLine) => boolean): Promise<StreamLine> {
    const existing = lines.find(predicate);
    if (existing !== undefined) return Promise.resolve(existing);
    return new Promise<StreamLine>((resolve, reject) => {
      waiters.push({ predicate, resolve });
      void exited.then(({ code, signal }) => {
        reject(new Error(`claude exited (code ${code}, signal ${signal}) before the awaited line; stderr: ${stderr}`));
      }, reject);
    });
  }

  return {
    child,
    lines,
    stderr: () => stderr,
    waitForLine,
    send: (message) => child.stdin.write(`${JSON.stringify(message)}\n`),
    exited,
    kill: async () => {
      if (running) child.kill('SIGKILL');
      return exited;
    },
  };
}
