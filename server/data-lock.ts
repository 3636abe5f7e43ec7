/**
 * One server per data folder. Two servers on one SQLite store would each
 * take the other's running runs for leftovers of a crash (and kill their CLI
 * processes) at start; several instances share work through Redis instead.
 * The lock is a file in DATA_DIR naming the holder's pid: a holder that is
 * gone (a crash, kill -9) leaves a stale lock, which the next start takes.
 * A pid is only a number, and a restarted container hands out the same small
 * ones again: the crashed server's pid may well be ours now, or our
 * supervisor's. So the lock also records when its holder started (in the
 * kernel's clock ticks since boot), and a process with that pid that started
 * at another moment is not the holder.
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const LOCK_FILE = 'server.lock';

export class DataDirInUseError extends Error {
  override name = 'DataDirInUseError';
}

interface LockContent {
  pid: number;
  startedAt: string;
  /** The holder's start time, from /proc/<pid>/stat (absent where there is no /proc). */
  startTicks?: number | undefined;
}

/** Takes the data folder's lock; throws DataDirInUseError while a live server holds it. Returns the release. */
export function lockDataDir(dataDir: string, now: Date): () => void {
  const path = join(dataDir, LOCK_FILE);
  const content = JSON.stringify({
    pid: process.pid,
    startedAt: now.toISOString(),
    startTicks: processStartTicks(process.pid),
  } satisfies LockContent);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && holderAlive(holder)) {
      throw new DataDirInUseError(
        `Another Claude Remote server (pid ${holder.pid}, started ${holder.startedAt}) uses the data folder ${dataDir}. ` +
          'Stop it first, or give this one a DATA_DIR of its own: servers that share their sessions through Redis ' +
          '(REDIS_URL or REDIS_HOST) still need one each.',
      );
    }
    // Stale: its server is gone.
    rmSync(path, { force: true });
  }
  throw new DataDirInUseError(`Could not take the lock ${path}; another server may be starting at the same moment.`);
}

function readHolder(path: string): LockContent | undefined {
  try {
    const parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<LockContent>;
    if (typeof parsed.pid !== 'number') return undefined;
    const startTicks = typeof parsed.startTicks === 'number' ? parsed.startTicks : undefined;
    return { pid: parsed.pid, startedAt: String(parsed.startedAt ?? '?'), startTicks };
  } catch {
    return undefined;
  }
}

/**
 * Alive, a Node process, and the very process that wrote the lock: a pid
 * reused since, by something else or by a Node process of a later start (this
 * one included), is not a server holding it.
 */
function holderAlive(holder: LockContent): boolean {
  const { pid } = holder;
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    // No /proc (not Linux): trust the pid.
    return true;
  }
  if (!/node|claude-remote/i.test(cmdline)) return false;
  const startTicks = processStartTicks(pid);
  if (startTicks === undefined) return true;
  // A lock that does not say when its holder started (an older version wrote it): trust the
  // pid, unless it is ours, since this process writes its start into every lock it takes.
  if (holder.startTicks === undefined) return pid !== process.pid;
  return startTicks === holder.startTicks;
}

/** When a process started, in clock ticks since boot (/proc/<pid>/stat); undefined when it cannot be told. */
export function processStartTicks(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After "pid (comm) " come the fields from 3 (state) on; starttime is field 22. comm may hold spaces and parentheses.
    const ticks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[22 - 3]);
    return Number.isSafeInteger(ticks) ? ticks : undefined;
  } catch {
    return undefined;
  }
}
