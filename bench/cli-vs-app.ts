/**
 * The app against the bare CLI: the real `claude` and the fake Messages API
 * (answering at once: no chunk delays, so what is left is the CLI's and our
 * own time), one throwaway HOME for both sides.
 *
 * Each round runs, in a rotating order: the bare CLI (stream-json, turn 1
 * then `-r`) and the app three ways: warm
 * processes without prewarm (turn 1 and turn 2), with prewarm (turn 1,
 * prompted once the process sits idle), and warm processes off (the cold
 * path, turn 1, broken down in cold-path.ts). "Through the app"
 * is POST the prompt until `run.finished` arrives on an SSE stream opened
 * beforehand. Figures are medians of per-round ratios.
 */
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import { makeClaudeEnv, makeTempDir, realClaudePath } from '../test/support/real-claude.js';
import { startTestServer, waitUntil, type TestServer } from '../test/support/server.js';
import { bareStreamJson, type BareTimes } from './bare-cli.js';
import { now, openSseClient, type EventClient } from './clients.js';
import { appTurn, type AppTurn } from './app-turn.js';
import { breakdownNote, type ColdTurn } from './cold-path.js';
import { waitCpuQuiet } from './proc.js';
import { goalFigure, max, median, medianRatio, ms, ratio, type Figure, type SectionResult } from './stats.js';
import { meterSqlite } from './store-meter.js';

const ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 20);
const WARMUP_ROUNDS = 1;
const S = 'cli' as const;

interface Samples {
  bare1: BareTimes[];
  bare2: BareTimes[];
  warm1: AppTurn[];
  warm2: AppTurn[];
  prewarm1: AppTurn[];
  prewarmReadyMs: number[];
  cold1: ColdTurn[];
}

/** A new session on `server` with an SSE stream following it; `use` runs its turns; then both go. */
async function withSession<T>(server: TestServer, use: (id: string, client: EventClient) => Promise<T>): Promise<T> {
  const created = await server.api('POST', '/api/sessions', {});
  if (created.status !== 201) throw new Error(`create session answered ${created.status}`);
  const { id, lastSeq } = created.body as { id: string; lastSeq: number };
  const client = await openSseClient(server.url, id, lastSeq);
  try {
    return await use(id, client);
  } finally {
    client.close();
    // Ends its warm process too: nothing stays around to disturb the next round.
    await server.api('DELETE', `/api/sessions/${id}`);
  }
}

export async function benchCliVsApp(): Promise<SectionResult> {
  const fake = await startFakeAnthropic({ textChunkDelayMs: 0 });
  const claude = await makeClaudeEnv(fake);
  const opts = { claudePath: realClaudePath(), cliEnv: claude.env };
  const servers: TestServer[] = [];
  const meter = meterSqlite();
  try {
    const warm = await startTestServer({ ...opts, config: { WARM_PREWARM: 'false' } });
    servers.push(warm);
    const pre = await startTestServer({ ...opts, config: { WARM_PREWARM: 'true' } });
    servers.push(pre);
    const cold = await startTestServer({ ...opts, config: { WARM_MAX: '0' } });
    servers.push(cold);

    const s: Samples = { bare1: [], bare2: [], warm1: [], warm2: [], prewarm1: [], prewarmReadyMs: [], cold1: [] };
    const units: Array<(keep: boolean) => Promise<void>> = [
      async (keep) => {
        const turn = { cwd: await makeTempDir(), env: claude.env, claudeSessionId: randomUUID() };
        const t1 = await bareStreamJson({ ...turn, resume: false, prompt: 'hello' });
        const t2 = await bareStreamJson({ ...turn, resume: true, prompt: 'again' });
        if (keep) {
          s.bare1.push(t1);
          s.bare2.push(t2);
        }
      },
      (keep) =>
        withSession(warm, async (id, client) => {
          const t1 = await appTurn(warm, id, client, 1, 'hello');
          const t2 = await appTurn(warm, id, client, 2, 'again');
          if (keep) {
            s.warm1.push(t1);
            s.warm2.push(t2);
          }
        }),
      (keep) =>
        withSession(pre, async (id, client) => {
          const started = Date.now();
          const list = async () => ((await pre.api('GET', '/api/processes')).body as { processes: Array<{ pid: number; sessionId: string }> }).processes;
          const proc = await waitUntil(async () => (await list()).find((p) => p.sessionId === id), 10_000, 'the prewarmed process');
          // Ready: the CLI has finished starting and sits waiting for stdin.
          await waitCpuQuiet(proc.pid);
          const readyMs = Date.now() - started;
          const t1 = await appTurn(pre, id, client, 1, 'hello');
          if (keep) {
            s.prewarm1.push(t1);
            s.prewarmReadyMs.push(readyMs);
          }
        }),
      (keep) =>
        withSession(cold, async (id, client) => {
          meter.reset();
          const t1 = await appTurn(cold, id, client, 1, 'hello');
          if (keep) s.cold1.push({ ...t1, store: meter.read() });
        }),
    ];
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      const keep = round >= WARMUP_ROUNDS;
      // Rotate the order so that no side always runs right after the same neighbour.
      for (let i = 0; i < units.length; i++) await (units[(round + i) % units.length] as (keep: boolean) => Promise<void>)(keep);
      if (keep && round % 5 === 0) process.stdout.write(`  cli: round ${round - WARMUP_ROUNDS + 1}/${ROUNDS}\n`);
    }
    const versionMs = await timeVersion(claude.env);
    return report(s, versionMs);
  } finally {
    for (const server of servers) await server.close();
    await fake.close();
    await claude.cleanup();
  }
}

/** `claude --version`: what the server's CLI locator runs when its 30 s cache expires. */
async function timeVersion(env: Record<string, string>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = now();
    await promisify(execFile)(realClaudePath(), ['--version'], { env });
    times.push(now() - t0);
  }
  return times;
}

function report(s: Samples, versionMs: number[]): SectionResult {
  const result = (t: BareTimes[]) => t.map((x) => x.result);
  const total = (t: AppTurn[]) => t.map((x) => x.total);
  const turn1 = medianRatio(total(s.warm1), result(s.bare1));
  const turn2 = medianRatio(result(s.bare2), total(s.warm2));
  const prewarm = medianRatio(total(s.prewarm1), result(s.bare1));
  const n = `${ROUNDS} rounds`;
  const figures: Figure[] = [
    {
      section: S,
      name: 'Bare CLI, stream-json (the app\'s argv): turn 1 / turn 2 (`-r`), spawn → result line',
      value: `${ms(median(result(s.bare1)), 0)} / ${ms(median(result(s.bare2)), 0)} (exit ${ms(median(s.bare1.map((x) => x.exit)), 0)} / ${ms(median(s.bare2.map((x) => x.exit)), 0)})`,
      note: `medians of ${n}`,
    },
    {
      section: S,
      name: 'CLI CPU time of turn 1, in the app / bare',
      value: `${ratio(medianRatio(s.warm1.map((t) => t.cliCpuMs), s.bare1.map((b) => b.cpuMs)))} (${ms(median(s.warm1.map((t) => t.cliCpuMs)), 0)} / ${ms(median(s.bare1.map((b) => b.cpuMs)), 0)})`,
      note: 'from /proc, at the result line (bare) and at run.finished (app); 10 ms ticks',
    },
    goalFigure(S, 'Turn 1 (new session), no prewarm: app / bare CLI', `${ratio(turn1)} (app ${ms(median(total(s.warm1)), 0)})`, '≤ 1.05x', turn1 <= 1.05, `median of per-round ratios, ${n}; WARM_PREWARM=false`),
    goalFigure(
      S,
      'Turn 2 (next message, warm process): bare `-r` / app',
      `${ratio(turn2)} faster (app ${ms(median(total(s.warm2)), 0)}, bare \`-r\` ${ms(median(result(s.bare2)), 0)})`,
      '≥ 10x',
      turn2 >= 10,
      `${n}; POST → the prompt written to the warm CLI (run.started) ${ms(median(s.warm2.map(untilStarted)), 0)}, then the CLI until run.finished on the client ${ms(median(s.warm2.map((t) => t.total - untilStarted(t))), 0)}`,
    ),
    {
      section: S,
      name: 'Turn 1 with prewarm (prompted once the process is idle): app / bare CLI',
      value: `${ratio(prewarm)} (app ${ms(median(total(s.prewarm1)), 0)}; process idle ${ms(median(s.prewarmReadyMs), 0)} after the session was made)`,
    },
    {
      section: S,
      name: 'Cold path (WARM_MAX=0), turn 1: app / bare CLI',
      value: `${ratio(medianRatio(total(s.cold1), result(s.bare1)))} (app ${ms(median(total(s.cold1)), 0)})`,
      note: 'broken down below',
    },
    {
      section: S,
      name: 'POST → 202, all app turns: median / max',
      value: `${ms(median(total2(s).accepted))} / ${ms(max(total2(s).accepted))}`,
      note: `claude --version takes ${ms(median(versionMs), 0)}; the locator runs it when its 30 s cache has expired`,
    },
  ];
  return { figures, notes: [breakdownNote(s.cold1, s.bare1)] };
}

/** POST sent → run.started stored (the warm process is taken and the prompt written just before). */
function untilStarted(turn: AppTurn): number {
  const started = turn.events.find((r) => r.event.type === 'run.started');
  return started ? Date.parse(started.event.at) - turn.t0 : NaN;
}

const total2 = (s: Samples) => ({ accepted: [...s.warm1, ...s.warm2, ...s.prewarm1, ...s.cold1].map((t) => t.accepted) });
