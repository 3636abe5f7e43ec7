/**
 * The verdict, from the server's own record after the soak: every session's
 * log replayed from seq 0 over SSE, and its runs as GET .../runs lists them.
 * Compared with what the clients were answered (the ledger): a run accepted
 * with no run.finished is lost; a client request id with two runs, a run
 * started twice or finished twice is a duplicate.
 */
import type { ServerEvent } from '../../server/protocol/events.js';
import type { RunJson } from '../../server/protocol/runs.js';
import type { Ledger } from './ledger.js';
import { openSse } from './sse.js';

export interface SessionRecordFromServer {
  events: ServerEvent[];
  runs: RunJson[];
  lastSeq: number;
}

export interface Verdict {
  accepted: number;
  finished: number;
  lost: string[];
  /** Client request ids answered with, or stored as, more than one run. */
  duplicateRequests: string[];
  startedTwice: string[];
  finishedTwice: string[];
  /** Runs the server holds that no client was told about (an answer that never arrived and was never asked again). */
  untold: number;
  /** Gaps in a session's stored seqs (the log itself, not a follower). */
  storeGaps: number;
  /** run.finished by status / error kind. */
  outcomes: Map<string, number>;
  /** The same, by what the prompt asked the CLI to do: "crash: error / cli_crashed" and so on. */
  outcomesByKind: Map<string, Map<string, number>>;
  /** Runs still queued or running in the store at the end. */
  unfinishedInStore: number;
  /**
   * Runs ended `server_restart` that never started: no CLI saw their prompt,
   * yet they were not run. Accepted and dropped, so they count as lost.
   */
  droppedUnstarted: string[];
}

async function json<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url} answered ${res.status}`);
  return (await res.json()) as T;
}

/** A session's whole log, read from seq 0 until `lastSeq` (or `timeoutMs`). */
export async function readSession(url: string, sessionId: string, timeoutMs = 30_000): Promise<SessionRecordFromServer> {
  const { lastSeq } = await json<{ lastSeq: number }>(`${url}/api/sessions/${sessionId}`);
  const events: ServerEvent[] = [];
  const connection = openSse(`${url}/api/sessions/${sessionId}/events?after=0`, {
    onEvent: (event) => {
      events.push(event);
      if (event.seq >= lastSeq) connection.close();
    },
  });
  const timer = setTimeout(() => connection.close(), timeoutMs);
  if (lastSeq > 0) await connection.ended;
  else connection.close();
  clearTimeout(timer);
  const { runs } = await json<{ runs: RunJson[] }>(`${url}/api/sessions/${sessionId}/runs`);
  return { events, runs, lastSeq };
}

export function judge(ledger: Ledger, sessions: readonly SessionRecordFromServer[]): Verdict {
  const started = new Map<string, number>();
  const finished = new Map<string, number>();
  const outcomes = new Map<string, number>();
  const outcomeOf = new Map<string, string>();
  const runsByCrid = new Map<string, Set<string>>();
  let storeGaps = 0;
  let unfinishedInStore = 0;
  const droppedUnstarted: string[] = [];
  const storedRuns = new Set<string>();
  for (const session of sessions) {
    let expected = 1;
    for (const event of session.events) {
      if (event.seq !== expected) storeGaps += Math.abs(event.seq - expected);
      expected = event.seq + 1;
      if (event.type === 'run.started') started.set(event.runId, (started.get(event.runId) ?? 0) + 1);
      if (event.type === 'run.finished') {
        finished.set(event.runId, (finished.get(event.runId) ?? 0) + 1);
        const key = event.errorKind ? `${event.status} / ${event.errorKind}` : event.status;
        outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
        outcomeOf.set(event.runId, key);
      }
      if (event.type === 'run.queued' && event.clientRequestId !== undefined) add(runsByCrid, event.clientRequestId, event.runId);
    }
    if (expected - 1 < session.lastSeq) storeGaps += session.lastSeq - (expected - 1);
    for (const run of session.runs) {
      storedRuns.add(run.id);
      if (run.clientRequestId !== undefined) add(runsByCrid, run.clientRequestId, run.id);
      if (run.state === 'queued' || run.state === 'running') unfinishedInStore++;
      if (run.errorKind === 'server_restart' && run.startedAt === undefined) droppedUnstarted.push(run.id);
    }
  }
  const accepted = ledger.prompts.filter((p) => p.runId !== undefined);
  const told = new Set<string>();
  for (const p of accepted) for (const id of p.runIds) told.add(id);
  const duplicateRequests = new Set<string>();
  for (const p of ledger.prompts) if (p.runIds.size > 1) duplicateRequests.add(p.clientRequestId);
  for (const [crid, ids] of runsByCrid) if (ids.size > 1) duplicateRequests.add(crid);
  const outcomesByKind = new Map<string, Map<string, number>>();
  for (const p of accepted) {
    const byOutcome = outcomesByKind.get(p.kind) ?? new Map<string, number>();
    const key = outcomeOf.get(p.runId as string) ?? 'never finished';
    byOutcome.set(key, (byOutcome.get(key) ?? 0) + 1);
    outcomesByKind.set(p.kind, byOutcome);
  }
  return {
    accepted: accepted.length,
    outcomesByKind,
    finished: accepted.filter((p) => (finished.get(p.runId as string) ?? 0) > 0).length,
    lost: accepted.filter((p) => !finished.has(p.runId as string)).map((p) => p.runId as string),
    duplicateRequests: [...duplicateRequests],
    startedTwice: [...started].filter(([, n]) => n > 1).map(([id]) => id),
    finishedTwice: [...finished].filter(([, n]) => n > 1).map(([id]) => id),
    untold: [...storedRuns].filter((id) => !told.has(id)).length,
    storeGaps,
    outcomes,
    unfinishedInStore,
    droppedUnstarted,
  };
}

function add(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key) ?? new Set<string>();
  set.add(value);
  map.set(key, set);
}
