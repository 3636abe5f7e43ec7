/**
 * Whether the server's memory stays bounded: its resident memory, its V8
 * heap in use (`nodejs_heap_size_used_bytes` from /metrics) and the heap
 * after its last major collection (--trace-gc), taken each time another
 * tenth of the prompts has finished. The heap in use rises and falls with
 * collection; what a major collection leaves is what is still referenced,
 * and a leak per run grows it with the count.
 */
import type { Ledger } from './ledger.js';
import { sleep, type Target } from './target.js';

export interface MemoryPoint {
  finished: number;
  rssBytes: number | undefined;
  heapUsedBytes: number | undefined;
  /** The heap after the last major collection, MiB (--trace-gc): what is still referenced. */
  heapAfterGcMiB: number | undefined;
}

export async function heapUsedBytes(url: string): Promise<number | undefined> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(5000) });
    if (!res.ok) return undefined;
    const match = /^nodejs_heap_size_used_bytes (\d+(?:\.\d+)?)/m.exec(await res.text());
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined; // the server is down (the kill): no point this time
  }
}

/** Samples at every tenth of `prompts` finished, until stopped. */
export function startMemorySeries(
  ledger: Ledger,
  target: Target,
  server: { currentRss(): number | undefined; heapAfterGc(): number | undefined },
  prompts: number,
): { points: MemoryPoint[]; stop(): void } {
  const points: MemoryPoint[] = [];
  const step = Math.max(1, Math.floor(prompts / 10));
  let stopped = false;
  void (async () => {
    for (let mark = step; !stopped; await sleep(250)) {
      const finished = ledger.finishedCount;
      if (finished < mark) continue;
      mark = (Math.floor(finished / step) + 1) * step;
      points.push({ finished, rssBytes: server.currentRss(), heapUsedBytes: await heapUsedBytes(target.url), heapAfterGcMiB: server.heapAfterGc() });
    }
  })();
  return {
    points,
    stop: () => {
      stopped = true;
    },
  };
}
