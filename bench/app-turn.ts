/**
 * One turn through the app, as a client sees it: POST the prompt, then wait
 * for the run's `run.finished` on an event stream opened beforehand.
 */
import type { TestServer } from '../test/support/server.js';
import { now, RUN_FINISHED, type EventClient, type Received } from './clients.js';
import { cpuMs } from './proc.js';

export interface AppTurn {
  /** POST sent to run.finished received, ms. */
  total: number;
  /** POST sent to its 202 received, ms. */
  accepted: number;
  t0: number;
  events: Received[];
  /** CPU time its CLI process had used when run.finished arrived (NaN if it was gone). */
  cliCpuMs: number;
}

/** POSTs a prompt; resolves when the session's `n`-th run.finished arrived on `client`. */
export async function appTurn(server: TestServer, sessionId: string, client: EventClient, n: number, prompt: string): Promise<AppTurn> {
  const t0 = now();
  const res = await fetch(`${server.url}/api/sessions/${sessionId}/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ prompt }),
  });
  const accepted = now() - t0;
  if (res.status !== 202) throw new Error(`submit answered ${res.status}: ${await res.text()}`);
  const { runId } = (await res.json()) as { runId: string };
  await client.waitFor(RUN_FINISHED, n);
  const events = client.received().filter((r) => 'runId' in r.event && r.event.runId === runId);
  const started = events.find((r) => r.event.type === 'run.started')?.event;
  let cliCpuMs = NaN;
  try {
    if (started?.type === 'run.started') cliCpuMs = cpuMs(started.pid);
  } catch {
    // exited already (warm processes off)
  }
  const finished = events.find((r) => r.event.type === 'run.finished');
  if (!finished || finished.event.type !== 'run.finished' || finished.event.status !== 'success') {
    throw new Error(`run ${runId} did not succeed: ${JSON.stringify(finished?.event)}`);
  }
  return { total: finished.at - t0, accepted, t0, events, cliCpuMs };
}
