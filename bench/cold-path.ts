/**
 * "Where the rest goes": a cold turn through the app (warm processes off),
 * cut into phases by the server's own event times (`at`, recorded when the
 * event was stored; milliseconds, same clock) and the client's receive time,
 * next to the same phases of the bare CLI:
 *
 *   POST sent ─► run.started (the process was spawned just before it)
 *     ─► first assistant.delta (CLI start-up and first text; bare: spawn → first text_delta)
 *     ─► the result's usage event (the turn; bare: first text_delta → result)
 *     ─► run.finished stored (the run's end: its store writes)
 *     ─► run.finished on the SSE client (publish and delivery)
 *
 * Store time is the wall time spent inside SQLite meanwhile (store-meter.ts).
 */
import type { BareTimes } from './bare-cli.js';
import type { AppTurn } from './cli-vs-app.js';
import { median, ms } from './stats.js';

export interface ColdTurn extends AppTurn {
  store: { calls: number; ms: number };
}

export interface Breakdown {
  total: number;
  bare: number;
  submitToSpawn: number;
  spawnToFirstText: number;
  bareToFirstText: number;
  turn: number;
  bareTurn: number;
  resultToStored: number;
  storedToClient: number;
  storeMs: number;
  storeCalls: number;
}

function phases(turn: ColdTurn) {
  const at = (type: string, last = false) => {
    const list = turn.events.filter((r) => r.event.type === type);
    const hit = last ? list[list.length - 1] : list[0];
    if (!hit) throw new Error(`no ${type} in the cold turn`);
    return { server: Date.parse(hit.event.at), client: hit.at };
  };
  const started = at('run.started').server;
  const firstText = at('assistant.delta').server;
  const result = at('usage', true).server;
  const finished = at('run.finished');
  return {
    submitToSpawn: started - turn.t0,
    spawnToFirstText: firstText - started,
    turn: result - firstText,
    resultToStored: finished.server - result,
    storedToClient: finished.client - finished.server,
  };
}

export function breakdown(turns: readonly ColdTurn[], bare: readonly BareTimes[]): Breakdown {
  const p = turns.map(phases);
  const m = (pick: (x: ReturnType<typeof phases>) => number) => median(p.map(pick));
  return {
    total: median(turns.map((t) => t.total)),
    bare: median(bare.map((b) => b.result)),
    submitToSpawn: m((x) => x.submitToSpawn),
    spawnToFirstText: m((x) => x.spawnToFirstText),
    bareToFirstText: median(bare.map((b) => b.firstText)),
    turn: m((x) => x.turn),
    bareTurn: median(bare.map((b) => b.result - b.firstText)),
    resultToStored: m((x) => x.resultToStored),
    storedToClient: m((x) => x.storedToClient),
    storeMs: median(turns.map((t) => t.store.ms)),
    storeCalls: median(turns.map((t) => t.store.calls)),
  };
}

const line = (label: string, b: Breakdown) =>
  `${label}: app ${ms(b.total, 0)} against the bare CLI's ${ms(b.bare, 0)} (${ms(b.total - b.bare, 0)} more). ` +
  `POST → process spawned ${ms(b.submitToSpawn)}; spawn → first text ${ms(b.spawnToFirstText, 0)} (bare ${ms(b.bareToFirstText, 0)}); ` +
  `first text → result ${ms(b.turn, 0)} (bare ${ms(b.bareTurn, 0)}); result line → run.finished stored ${ms(b.resultToStored)}; ` +
  `stored → on the SSE client ${ms(b.storedToClient)}. SQLite: ${b.storeCalls} statements, ${ms(b.storeMs)} in all from POST to run.finished.`;

export function breakdownNote(turn1: Breakdown, turn2: Breakdown): string {
  return [
    'Where the rest goes, on the cold path (WARM_MAX=0, medians; server times are whole milliseconds).',
    line('Turn 1', turn1),
    line('Turn 2 (`--resume`)', turn2),
  ].join(' ');
}
