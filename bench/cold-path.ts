/**
 * "Where the rest goes": a cold turn through the app (warm processes off),
 * cut into phases by the server's own event times (`at`, recorded when the
 * event was stored; whole milliseconds, same clock) and the client's receive
 * time, each set against the bare CLI of the same round:
 *
 *   POST sent ─► run.started (the process was spawned just before it)   app only
 *     ─► first assistant.delta   CLI start-up to first text (bare: spawn → first text_delta)
 *     ─► the result's usage event   the rest of the turn (bare: first text_delta → result)
 *     ─► run.finished stored        the run's end: its store writes                        app only
 *     ─► run.finished on the client publish and SSE delivery                               app only
 *
 * Per round the differences add up to the app's extra time exactly; the
 * note gives the median of each over the rounds (medians do not add up).
 * Store time is the wall time spent inside SQLite meanwhile (store-meter.ts).
 */
import type { BareTimes } from './bare-cli.js';
import type { AppTurn } from './app-turn.js';
import { median, ms } from './stats.js';

export interface ColdTurn extends AppTurn {
  store: { calls: number; ms: number };
}

interface Extra {
  total: number;
  beforeSpawn: number;
  startUp: number;
  turn: number;
  toStored: number;
  toClient: number;
}

function extra(app: ColdTurn, bare: BareTimes): Extra {
  const at = (type: string, last = false) => {
    const list = app.events.filter((r) => r.event.type === type);
    const hit = last ? list[list.length - 1] : list[0];
    if (!hit) throw new Error(`no ${type} in the cold turn`);
    return { server: Date.parse(hit.event.at), client: hit.at };
  };
  const started = at('run.started').server;
  const firstText = at('assistant.delta').server;
  const result = at('usage', true).server;
  const finished = at('run.finished');
  return {
    total: app.total - bare.result,
    beforeSpawn: started - app.t0,
    startUp: firstText - started - bare.firstText,
    turn: result - firstText - (bare.result - bare.firstText),
    toStored: finished.server - result,
    toClient: finished.client - finished.server,
  };
}

/** A signed duration: what the app adds (+) or saves (−) against the bare CLI. */
const signed = (value: number, digits = 0) => `${value < 0 ? '−' : '+'}${ms(Math.abs(value), digits)}`;

function describe(label: string, turns: readonly ColdTurn[], bare: readonly BareTimes[]): string {
  const extras = turns.map((t, i) => extra(t, bare[i] as BareTimes));
  const m = (pick: (e: Extra) => number, digits = 0) => signed(median(extras.map(pick)), digits);
  return (
    `${label}: app − bare CLI ${m((e) => e.total)} (app ${ms(median(turns.map((t) => t.total)), 0)}, bare ${ms(median(bare.map((b) => b.result)), 0)}): ` +
    `POST → process spawned ${m((e) => e.beforeSpawn, 1)}; CLI start-up to first text ${m((e) => e.startUp)}; ` +
    `first text → result ${m((e) => e.turn)}; result line → run.finished stored ${m((e) => e.toStored, 1)}; ` +
    `stored → on the SSE client ${m((e) => e.toClient, 1)}. SQLite: ${median(turns.map((t) => t.store.calls))} statements, ` +
    `${ms(median(turns.map((t) => t.store.ms)), 1)} in all from POST to run.finished.`
  );
}

export function breakdownNote(turns: readonly ColdTurn[], bare: readonly BareTimes[]): string {
  return [
    'Where the rest goes, on the cold path (WARM_MAX=0): each phase against the bare CLI of the same round, medians over the rounds; server times are whole milliseconds.',
    describe('Turn 1', turns, bare),
  ].join(' ');
}
