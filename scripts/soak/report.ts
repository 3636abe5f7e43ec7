/** The soak's summary: a table a person reads, and the three goals it is judged by. */
import type { Ledger } from './ledger.js';
import type { MemoryPoint } from './memory.js';
import type { ServerLogSummary } from './server-log.js';
import type { MemoryReport } from './server-life.js';
import type { Verdict } from './verify.js';

export interface Report {
  seed: number;
  elapsedMs: number;
  prompts: number;
  sessions: number;
  verdict: Verdict;
  ledger: Ledger;
  followerStats: string;
  wsStats: string;
  httpStats: string;
  kill: { atAccepted: number; runningAtKill: number; markedAtKill: number; sweptAfterRestart: number; leftAfterRestart: number; queuedAtKill: number; queuedRanAfter: number; serverRestartEnded: number };
  shutdown: { exitCode: number | null; ms: number };
  orphans: { marked: number; fakePidsAlive: number; zombies: number; detail: string[] };
  memory: MemoryReport;
  /** RSS, heap in use and heap after the last major GC at each tenth of the prompts finished, and at the end. */
  memorySeries: MemoryPoint[];
  serverLog: ServerLogSummary;
  /** For each lost run (never finished, or ended server_restart without starting): what the store says of it. */
  lostDetail: string[];
}

const mib = (bytes: number | undefined) => (bytes === undefined ? 'n/a' : `${(bytes / 2 ** 20).toFixed(1)} MiB`);
const mibShort = (bytes: number | undefined) => (bytes === undefined ? '-' : (bytes / 2 ** 20).toFixed(0));

export function printReport(r: Report): boolean {
  const v = r.verdict;
  let twice = 0;
  let missing = 0;
  let delivered = 0;
  let streams = 0;
  for (const bySession of r.ledger.seqChecks.values()) {
    for (const check of bySession.values()) {
      twice += check.twice;
      missing += check.missing;
      delivered += check.delivered;
      streams++;
    }
  }
  const refused = r.ledger.prompts.filter((p) => p.refused !== undefined);
  const duplicateAnswers = r.ledger.prompts.reduce((n, p) => n + p.duplicateAnswers, 0);
  const lost = v.lost.length + v.droppedUnstarted.length + missing;
  const duplicated = v.duplicateRequests.length + v.startedTwice.length + v.finishedTwice.length + twice;
  const orphans = r.orphans.marked + r.orphans.fakePidsAlive;
  const countList = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ');
  const rows: Array<[string, string]> = [
    ['seed', `${r.seed}  (replay: --seed=${r.seed})`],
    ['duration', `${(r.elapsedMs / 1000).toFixed(1)} s`],
    ['prompts / sessions', `${r.prompts} / ${r.sessions}`],
    ['accepted (202 or WS reply)', `${v.accepted}`],
    ['refused for good', `${refused.length}${refused[0] ? `  (first: ${refused[0].refused})` : ''}`],
    ['finished (a run.finished each)', `${v.finished}`],
    ['outcomes', countList(v.outcomes)],
    ...[...v.outcomesByKind].map(([kind, m]): [string, string] => [`  ${kind}`, countList(m)]),
    ['submits cut before an answer', `${r.ledger.unsureSends}  (re-sends recognised as duplicates: ${duplicateAnswers})`],
    ['ws clients', r.wsStats],
    ['http submits', r.httpStats],
    ['sse followers', r.followerStats],
    ['kill -9', `after ${r.kill.atAccepted} accepted; ${r.kill.runningAtKill} running, ${r.kill.queuedAtKill} queued, ${r.kill.markedAtKill} CLI processes alive`],
    ['  after the restart', `${r.kill.serverRestartEnded} ended server_restart; ${r.kill.queuedRanAfter}/${r.kill.queuedAtKill} queued ran; ${r.kill.sweptAfterRestart} swept, ${r.kill.leftAfterRestart} left`],
    ['final shutdown', `exit ${r.shutdown.exitCode} in ${r.shutdown.ms} ms`],
    ['server RSS', `start ${mib(r.memory.start)}, at kill ${mib(r.memory.atKill)}, after restart ${mib(r.memory.restart)}, end ${mib(r.memory.end)}, peak ${mib(r.memory.peak)}`],
    ['  by runs finished', r.memorySeries.map((p) => `${p.finished}: ${mibShort(p.rssBytes)}/${mibShort(p.heapUsedBytes)}/${p.heapAfterGcMiB?.toFixed(0) ?? '-'}`).join(', ') + '  (MiB: RSS/heap in use/heap after the last major GC)'],
    ['server log', `${r.serverLog.warn} warn, ${r.serverLog.error} error lines`],
    ['LOST', `${lost}  (runs never finished ${v.lost.length}, ended server_restart without starting ${v.droppedUnstarted.length}, still queued/running in the store ${v.unfinishedInStore}, events missing to followers ${missing})`],
    ['DUPLICATED', `${duplicated}  (request ids with 2 runs ${v.duplicateRequests.length}, started twice ${v.startedTwice.length}, finished twice ${v.finishedTwice.length}, events twice to followers ${twice})`],
    ['ORPHANS', `${orphans}  (marked processes alive ${r.orphans.marked}, fake CLI pids alive ${r.orphans.fakePidsAlive}; zombies ${r.orphans.zombies})`],
    ['follower streams checked', `${streams} (follower x session), ${delivered} events delivered; store seq gaps ${v.storeGaps}; runs no client was told of ${v.untold}`],
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  console.log('\n=== soak summary ===');
  for (const [k, value] of rows) console.log(`${k.padEnd(width)}  ${value}`);
  for (const line of r.orphans.detail.slice(0, 10)) console.log(`  orphan: ${line}`);
  for (const line of r.lostDetail.slice(0, 10)) console.log(`  lost run: ${line}`);
  for (const id of [...v.duplicateRequests, ...v.startedTwice, ...v.finishedTwice].slice(0, 10)) console.log(`  duplicate: ${id}`);
  for (const [msg, n] of [...r.serverLog.warnKinds].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  server warn x${n}: ${msg}`);
  for (const line of r.serverLog.bugs.slice(0, 5)) console.log(`  server: ${line}`);
  const ok = lost === 0 && duplicated === 0 && orphans === 0;
  console.log(`goals: 0 lost ${lost === 0 ? 'met' : 'MISSED'}, 0 duplicated ${duplicated === 0 ? 'met' : 'MISSED'}, 0 orphans ${orphans === 0 ? 'met' : 'MISSED'}`);
  return ok;
}
