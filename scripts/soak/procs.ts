/**
 * What the soak reads from /proc (Linux only): the server's resident memory,
 * and which processes are still alive that the server started. Every CLI
 * process carries CLAUDE_REMOTE_OWNER=<instance id> (server/process/
 * child-process.ts), and so do its tools, even those that left its process
 * group; a process that carries our server's mark after it shut down is an
 * orphan. Zombies are dead (only their exit status is left for a parent to
 * collect): they are counted apart.
 */
import { readdir, readFile } from 'node:fs/promises';

export type ProcState = 'alive' | 'zombie' | 'gone';

export async function procState(pid: number): Promise<ProcState> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z') ? 'zombie' : 'alive';
  } catch {
    return 'gone';
  }
}

export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

export interface MarkedProcess {
  pid: number;
  state: ProcState;
  command: string;
}

/** Every process whose environment carries `variable=value`. */
export async function processesMarked(variable: string, value: string): Promise<MarkedProcess[]> {
  const needle = `${variable}=${value}`;
  const found: MarkedProcess[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = await readFile(`/proc/${name}/environ`, 'latin1');
      if (!environ.split('\0').includes(needle)) continue;
      const command = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replace(/\0/g, ' ').trim();
      found.push({ pid: Number(name), state: await procState(Number(name)), command });
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return found;
}

/** Whether a pid is still the process we saw: alive, and carrying our mark (pids get reused). */
export async function stillOurs(pid: number, variable: string, value: string): Promise<ProcState> {
  const state = await procState(pid);
  if (state !== 'alive') return state;
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`${variable}=${value}`) ? 'alive' : 'gone';
  } catch {
    return 'gone';
  }
}

/** Samples one process's RSS until stopped; keeps the first, last and largest. */
export class RssSampler {
  first: number | undefined;
  last: number | undefined;
  peak = 0;
  #timer: NodeJS.Timeout | undefined;

  start(pid: number, everyMs: number): void {
    this.stop();
    const sample = async () => {
      const bytes = await rssBytes(pid);
      if (bytes === undefined) return;
      this.first ??= bytes;
      this.last = bytes;
      this.peak = Math.max(this.peak, bytes);
    };
    void sample();
    this.#timer = setInterval(() => void sample(), everyMs);
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
  }
}

/** The fake CLI's start log (FAKE_CLAUDE_LOG): every CLI process the server started, with its owner mark. */
export async function fakeSpawns(logFile: string, ownerVar: string): Promise<Array<{ pid: number; owner: string | undefined }>> {
  let text: string;
  try {
    text = await readFile(logFile, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const entry = JSON.parse(line) as { pid: number; env?: Record<string, string> };
      return { pid: entry.pid, owner: entry.env?.[ownerVar] };
    });
}

export interface Leftovers {
  /** Live processes carrying the mark. */
  marked: MarkedProcess[];
  zombies: number;
  /** CLI pids seen during the soak, still alive, not among `marked`. */
  seenAlive: number[];
}

/** What is still alive of what the server started, after it stopped. */
export async function leftovers(variable: string, owner: string, seenPids: Iterable<number>): Promise<Leftovers> {
  const all = await processesMarked(variable, owner);
  const marked = all.filter((p) => p.state === 'alive');
  const markedPids = new Set(marked.map((p) => p.pid));
  const seenAlive: number[] = [];
  for (const pid of seenPids) if (!markedPids.has(pid) && (await stillOurs(pid, variable, owner)) === 'alive') seenAlive.push(pid);
  return { marked, zombies: all.filter((p) => p.state === 'zombie').length, seenAlive };
}
