/**
 * One server per data folder. Two servers on one SQLite store would each
 * take the other's running runs for leftovers of a crash (and kill their CLI
 * processes) at start; several instances share work through Redis instead.
 * The lock is a file in DATA_DIR naming the holder's pid: a holder that is
 * gone (a crash, kill -9) leaves a stale lock, which the next start takes.
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
}

/** Takes the data folder's lock; throws DataDirInUseError while a live server holds it. Returns the release. */
export function lockDataDir(dataDir: string, now: Date): () => void {
  const path = join(dataDir, LOCK_FILE);
  const content = JSON.stringify({ pid: process.pid, startedAt: now.toISOString() } satisfies LockContent);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, content, { flag: 'wx', mode: 0o600 });
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = readHolder(path);
    if (holder && holderAlive(holder.pid)) {
      throw new DataDirInUseError(
        `Another Claude Remote server (pid ${holder.pid}, started ${holder.startedAt}) uses the data folder ${dataDir}. ` +
          'Stop it first, give this one another DATA_DIR, or let several servers share work through Redis (REDIS_URL).',
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
    return typeof parsed.pid === 'number' ? { pid: parsed.pid, startedAt: String(parsed.startedAt ?? '?') } : undefined;
  } catch {
    return undefined;
  }
}

/** Alive, and a Node process (a pid reused by something else since is not a server of ours). */
function holderAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  try {
    return /node|claude-remote/i.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8'));
  } catch {
    // No /proc (not Linux): trust the pid.
    return true;
  }
}
