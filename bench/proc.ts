/**
 * A process's CPU time and resident memory from /proc (Linux), for a server
 * the benchmark runs as a child: its own numbers, not the benchmark's.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const number = (command: string, fallback: number): number => {
  try {
    return Number(execFileSync('getconf', [command], { encoding: 'utf8' }).trim()) || fallback;
  } catch {
    return fallback;
  }
};
const CLOCK_TICKS_PER_S = number('CLK_TCK', 100);

/** User + system CPU time of `pid` so far, in ms (resolution: one clock tick, 10 ms). */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // Fields after "(comm)": state is field 3, utime 14, stime 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS_PER_S;
}

/** Resident set size of `pid` in bytes (VmRSS). */
export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = /^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1];
  if (kb === undefined) throw new Error(`no VmRSS for ${pid}`);
  return Number(kb) * 1024;
}

/** RSS and its parts: anonymous (heaps) and file-backed (the executable and libraries, shared with other processes running them). */
export function memoryParts(pid: number): { rss: number; anon: number; file: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(status)?.[1] ?? NaN) * 1024;
  return { rss: field('VmRSS'), anon: field('RssAnon'), file: field('RssFile') };
}

/** Node options that make a process write a diagnostic report (heap figures included) into `dir` on SIGUSR2. */
export const reportOnSignal = (dir: string) => `--report-on-signal --report-directory=${dir}`;

/** Asks a process started with reportOnSignal(dir) for a report; resolves with its V8 heap, used and reserved (bytes). */
export async function v8Heap(pid: number, dir: string): Promise<{ used: number; total: number }> {
  const before = new Set(readdirSync(dir));
  process.kill(pid, 'SIGUSR2');
  for (let waited = 0; waited < 10_000; waited += 50) {
    await sleep(50);
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.json'));
    if (!file) continue;
    try {
      const report = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { javascriptHeap: { usedMemory: number; totalMemory: number } };
      return { used: report.javascriptHeap.usedMemory, total: report.javascriptHeap.totalMemory };
    } catch {
      // still being written
    }
  }
  throw new Error(`no report from ${pid}`);
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Waits until `pid` has used no CPU for `quietMs` (it sits waiting for input), or `maxMs` passed; returns the wait. */
export async function waitCpuQuiet(pid: number, quietMs = 200, maxMs = 5000): Promise<number> {
  const start = Date.now();
  let last = cpuMs(pid);
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    await sleep(25);
    const cpu = cpuMs(pid);
    if (cpu !== last) {
      last = cpu;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) break;
  }
  return Date.now() - start;
}
