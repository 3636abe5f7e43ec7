/**
 * The prompts' authors: one driver per session submits that session's
 * prompts in order, keeping a few in flight (queued or running) so that the
 * queues are never empty, least of all when the server is killed. A session
 * speaks either WebSocket (through its client, which re-sends after cuts) or
 * plain HTTP, where a cut request or a dead server is re-sent with the same
 * clientRequestId until a 202 says which run it is.
 */
import type { Ledger, PromptRecord } from './ledger.js';
import type { Random } from './random.js';
import { sleep, type Target } from './target.js';
import type { WsClient } from './ws-client.js';

export interface DriverOptions {
  /** Prompts of one session in flight (submitted, not yet seen to end) before the driver waits... */
  window: number;
  /** ...for at most this long (ms, range): people do not wait for a server that is down. */
  patienceMs: readonly [number, number];
  /** How long to wait for one run's end before moving on (it then counts as lost, if it never ends). */
  runDeadlineMs: number;
  /** Chance that an HTTP submit is cut by the client a moment after it was sent. */
  httpCut: number;
}

export interface HttpStats {
  sends: number;
  cuts: number;
  failures: number;
}

export async function drive(
  prompts: readonly PromptRecord[],
  channel: WsClient | 'http',
  target: Target,
  ledger: Ledger,
  random: Random,
  options: DriverOptions,
  httpStats: HttpStats,
): Promise<void> {
  const inFlight = new Set<Promise<void>>();
  for (const record of prompts) {
    // Past the window, wait for a run to end, or until patience runs out: so
    // prompts keep coming while the server is down, and meet it dead.
    if (inFlight.size >= options.window) await Promise.race([...inFlight, sleep(random.int(...options.patienceMs))]);
    await sleep(random.int(0, 120));
    const flight = (async () => {
      if (channel === 'http') await httpSubmit(record, target, ledger, random, options, httpStats);
      else await channel.submit(record);
      if (record.runId !== undefined) await ledger.waitFinished(record.runId, options.runDeadlineMs);
    })();
    inFlight.add(flight);
    void flight.finally(() => inFlight.delete(flight));
  }
  await Promise.all(inFlight);
}

/** Answers that mean "not now": send the same prompt again in a moment. */
const RETRY_STATUSES = new Set([429, 502, 503, 504]);

async function httpSubmit(record: PromptRecord, target: Target, ledger: Ledger, random: Random, options: DriverOptions, stats: HttpStats): Promise<void> {
  const body = JSON.stringify({ prompt: record.prompt, clientRequestId: record.clientRequestId });
  while (!target.stopping) {
    record.sends++;
    stats.sends++;
    const controller = new AbortController();
    const cut = random.chance(options.httpCut);
    // Cut a moment after sending: the server may or may not have taken it.
    const timer = setTimeout(() => controller.abort(), cut ? random.int(0, 15) : 15_000);
    try {
      const res = await fetch(`${target.url}/api/sessions/${record.sessionId}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: controller.signal,
      });
      const answer = (await res.json()) as { runId?: string; duplicate?: boolean; error?: { code: string; message: string } };
      if (res.status === 202 && answer.runId !== undefined) {
        ledger.accepted(record, answer.runId, answer.duplicate === true);
        return;
      }
      if (!RETRY_STATUSES.has(res.status)) {
        record.refused = `${res.status} ${answer.error?.code ?? ''}: ${answer.error?.message ?? ''}`;
        return;
      }
      stats.failures++;
    } catch {
      // Cut by us, or the server is gone (killed): we cannot know whether it was taken.
      if (cut) stats.cuts++;
      else stats.failures++;
      ledger.unsureSends++;
    } finally {
      clearTimeout(timer);
    }
    await sleep(random.int(50, 250));
  }
}
