/**
 * ChildProcessRunner: runs the `claude` CLI as a real child process, each in
 * a process group of its own, so that stopping a run also stops whatever its
 * tools started (a Bash tool's `npm test`, a dev server, a `sleep`).
 */
import { spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import type { CliProcess, CliRunner, ExitInfo, ProcessHandlers, SpawnSpec } from '../core/ports.js';

export interface RunnerOptions {
  /**
   * This server's mark (its instance id, stable across restarts): every CLI
   * process carries it, so the next start can find what a killed server left.
   */
  owner: string;
  /** Time each rung of the stop ladder (SIGINT, SIGTERM) gets before the next. */
  killGraceMs?: number;
  /** After the process exits, how long to wait for its pipes to drain. */
  drainMs?: number;
}

const DEFAULT_KILL_GRACE_MS = 3000;
const DEFAULT_DRAIN_MS = 2000;
const STDERR_TAIL_BYTES = 8 * 1024;
/** A longer stdout line is passed on cut (and then fails to parse as JSON, becoming a notice). */
export const MAX_LINE_BYTES = 64 * 1024 * 1024;
const CLOCK_TICKS_PER_S = 100;
/**
 * /proc files open at once, per scan. Each read holds a file descriptor until
 * the thread pool gets to it: reading every process's file at once, for each
 * warm process, on every run's end, took the server to its descriptor limit
 * (EMFILE: no spawn, no socket, no database) on a machine with a few hundred
 * processes (docs/reliability.md).
 */
const PROC_READ_CONCURRENCY = 16;
/** One scan of /proc answers every stats() asked meanwhile and this long after. */
const PROC_TABLE_TTL_MS = 500;
/** The environment variable that marks every process of one CLI process (it and its tools). */
export const PROCESS_TAG_VAR = 'CLAUDE_REMOTE_PROCESS';
/** The environment variable that marks every CLI process of one server (its instance id). */
export const OWNER_TAG_VAR = 'CLAUDE_REMOTE_OWNER';
const PAGE_BYTES = 4096;

export function createChildProcessRunner(options: RunnerOptions): CliRunner {
  const graceMs = options.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  const drainMs = options.drainMs ?? DEFAULT_DRAIN_MS;
  const procTable = createProcTable();
  return {
    spawn: (spec, handlers) => spawnCli(spec, handlers, options.owner, graceMs, drainMs, procTable),
    async killOrphans(pids) {
      for (const pid of pids) await killOrphanGroup(pid);
      await sweepTagged(OWNER_TAG_VAR, options.owner);
    },
  };
}

function spawnCli(spec: SpawnSpec, handlers: ProcessHandlers, owner: string, graceMs: number, drainMs: number, procTable: () => Promise<ProcTable>): CliProcess {
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: { ...spec.env, [PROCESS_TAG_VAR]: spec.tag, [OWNER_TAG_VAR]: owner },
    // A new process group whose id is the child's pid: kill(-pid) reaches
    // every process the CLI and its tools start (unless they make their own).
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid ?? -1;
  let stderrTail = '';
  let exited = false;
  let reported = false;
  const exitWaiters: Array<() => void> = [];
  const splitter = createLineSplitter(handlers.onLine);
  // When spawn itself fails for want of resources (EMFILE, ENFILE, ENOMEM:
  // the pipes could not be made), Node hands back a child without stdio and
  // emits 'error' a tick later, despite what the types say. Reading stdout
  // threw then, the run ended as an internal error and the unheard 'error'
  // became an uncaught exception (found by the soak, docs/reliability.md).
  // The 'error' below is that child's whole story: its exit report.
  const stdio = child.stdout && child.stderr && child.stdin ? { stdout: child.stdout, stderr: child.stderr, stdin: child.stdin } : undefined;

  stdio?.stdout.on('data', (chunk: Buffer) => splitter.push(chunk));
  stdio?.stderr.on('data', (chunk: Buffer) => {
    stderrTail = (stderrTail + chunk.toString('utf8')).slice(-STDERR_TAIL_BYTES);
  });
  // A CLI that dies before reading stdin makes our writes fail with EPIPE;
  // the exit report says what happened, the write error adds nothing.
  stdio?.stdin.on('error', () => {});

  const report = (info: Omit<ExitInfo, 'stderrTail'>) => {
    if (reported) return;
    reported = true;
    splitter.flush();
    handlers.onExit({ ...info, stderrTail: stderrTail.trim() });
    for (const wake of exitWaiters.splice(0)) wake();
  };

  child.on('error', (err: NodeJS.ErrnoException) => {
    // Only a failure to spawn arrives here without an exit (ENOENT, EACCES).
    if (pid > 0 && !exited) return;
    exited = true;
    report({ code: null, signal: null, spawnError: `${err.code ?? 'error'}: ${err.message}` });
  });

  child.on('exit', (code, signal) => {
    exited = true;
    // The leader is gone; anything left of this run is an orphan: its group,
    // and tools that moved to groups of their own (the CLI's Bash tool does).
    killGroup(pid, 'SIGKILL');
    const swept = sweepTagged(PROCESS_TAG_VAR, spec.tag);
    // Let stdout drain (the result line may still be in the pipe), but do not
    // wait forever on a pipe some escaped grandchild still holds open.
    const drained = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, drainMs);
      timer.unref();
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    void Promise.all([swept, drained]).then(() => report({ code, signal }));
  });

  const waitExit = (ms: number) =>
    new Promise<boolean>((resolve) => {
      if (reported) return resolve(true);
      const timer = setTimeout(() => resolve(false), ms);
      exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });

  return {
    pid,
    write(line) {
      if (!stdio?.stdin.writable) return;
      stdio.stdin.write(`${line}\n`);
    },
    endInput() {
      if (stdio?.stdin.writable) stdio.stdin.end();
    },
    async stop() {
      if (reported) return;
      for (const signal of ['SIGINT', 'SIGTERM'] as const) {
        killGroup(pid, signal);
        if (await waitExit(graceMs)) return;
      }
      killGroup(pid, 'SIGKILL');
      await sweepTagged(PROCESS_TAG_VAR, spec.tag);
      await waitExit(graceMs + drainMs);
    },
    stats: async () => treeStats(await procTable(), pid),
  };
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  if (pid <= 0) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/**
 * Kills the process group of a run that an earlier server instance started
 * and never saw end (it was killed with -9). Only if that pid still leads its
 * own group and looks like a claude CLI: pids get reused.
 */
async function killOrphanGroup(pid: number): Promise<boolean> {
  if (!Number.isInteger(pid) || pid <= 1) return false;
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const pgrp = Number(fields[2]);
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replace(/\0/g, ' ');
    if (pgrp !== pid || !/claude/i.test(cmdline)) return false;
  } catch {
    return false;
  }
  killGroup(pid, 'SIGKILL');
  return true;
}

/**
 * Kills every process that carries this mark in its environment. Finds what
 * a group kill misses: processes that called setsid/setpgid (the CLI runs
 * each Bash tool command in a session of its own) and were re-parented when
 * the CLI died. Marks are random ids, so nothing else matches. Linux only
 * (/proc); elsewhere it finds nothing.
 */
export async function sweepTagged(variable: string, tag: string): Promise<number> {
  const needle = `${variable}=${tag}`;
  let entries: string[];
  try {
    entries = await readdir('/proc');
  } catch {
    return 0;
  }
  let killed = 0;
  const pids = entries.filter((name) => /^\d+$/.test(name) && Number(name) !== process.pid);
  await forEachLimited(pids, PROC_READ_CONCURRENCY, async (name) => {
    let environ: string;
    try {
      environ = await readFile(`/proc/${name}/environ`, 'latin1');
    } catch {
      return; // gone, or not ours to read
    }
    if (!environ.split('\0').includes(needle)) return;
    try {
      process.kill(Number(name), 'SIGKILL');
      killed++;
    } catch {
      // already gone
    }
  });
  return killed;
}

type ProcTable = Map<number, { ppid: number; cpuSeconds: number; rssBytes: number }>;

/**
 * Every process's parent, CPU time and resident memory, from /proc (Linux
 * only; empty elsewhere). Shared: callers while a scan runs, and for
 * PROC_TABLE_TTL_MS after, get that scan; the warm pool asks for each of its
 * processes at once, and the server's API may ask at any time.
 */
function createProcTable(): () => Promise<ProcTable> {
  let inFlight: Promise<ProcTable> | undefined;
  let last: { at: number; table: ProcTable } | undefined;
  return () => {
    if (inFlight) return inFlight;
    if (last && Date.now() - last.at < PROC_TABLE_TTL_MS) return Promise.resolve(last.table);
    inFlight = readProcTable().then((table) => {
      last = { at: Date.now(), table };
      inFlight = undefined;
      return table;
    });
    return inFlight;
  };
}

async function readProcTable(): Promise<ProcTable> {
  const table: ProcTable = new Map();
  let names: string[];
  try {
    names = (await readdir('/proc')).filter((n) => /^\d+$/.test(n));
  } catch {
    return table;
  }
  await forEachLimited(names, PROC_READ_CONCURRENCY, async (name) => {
    try {
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      // Fields after "(comm)" start at field 3 (state): ppid is 4, utime 14, stime 15, rss 24.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      table.set(Number(name), {
        ppid: Number(fields[1]),
        cpuSeconds: (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_S,
        rssBytes: Number(fields[21]) * PAGE_BYTES,
      });
    } catch {
      // gone meanwhile
    }
  });
  return table;
}

/** CPU time and resident memory of a process and everything below it (its tools, their children); undefined when it is not in the table. */
function treeStats(stats: ProcTable, pid: number): { cpuSeconds: number; rssBytes: number } | undefined {
  if (pid <= 0 || !stats.has(pid)) return undefined;
  const children = new Map<number, number[]>();
  for (const [child, s] of stats) children.set(s.ppid, [...(children.get(s.ppid) ?? []), child]);
  let cpuSeconds = 0;
  let rssBytes = 0;
  for (const todo = [pid]; todo.length > 0; ) {
    const next = todo.pop() as number;
    const s = stats.get(next);
    if (!s) continue;
    cpuSeconds += s.cpuSeconds;
    rssBytes += s.rssBytes;
    todo.push(...(children.get(next) ?? []));
  }
  return { cpuSeconds, rssBytes };
}

/** Runs `fn` over the items with at most `limit` calls in flight. */
async function forEachLimited<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++] as T);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

/**
 * Splits a byte stream into lines at '\n' without decoding partial UTF-8
 * sequences, and without quadratic copying on multi-megabyte lines.
 */
export function createLineSplitter(onLine: (line: string) => void) {
  let parts: Buffer[] = [];
  let size = 0;
  const emit = () => {
    if (size === 0 && parts.length === 0) return;
    let text = Buffer.concat(parts, size).toString('utf8');
    if (text.endsWith('\r')) text = text.slice(0, -1);
    parts = [];
    size = 0;
    onLine(text);
  };
  return {
    push(chunk: Buffer) {
      let start = 0;
      let nl = chunk.indexOf(0x0a, start);
      while (nl !== -1) {
        parts.push(chunk.subarray(start, nl));
        size += nl - start;
        emit();
        start = nl + 1;
        nl = chunk.indexOf(0x0a, start);
      }
      if (start < chunk.length) {
        parts.push(chunk.subarray(start));
        size += chunk.length - start;
        if (size > MAX_LINE_BYTES) emit();
      }
    },
    flush: emit,
  };
}
