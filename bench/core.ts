/**
 * The first three benchmarks, kept as they were measured before (scripted
 * CLI, server in this process):
 *
 * 1. Streaming overhead: the scripted CLI prints N text deltas as fast as it
 *    can; timed alone (raw pipe) and through the server to an SSE client.
 * 2. Run latency: short runs one after another, submit → run.finished seen
 *    by a WebSocket client, against the scripted CLI process alone.
 * 3. Replay: reading that long session back over SSE from seq 0.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { ServerFrame } from '../server/protocol/ws.js';
import { collectEvents, connectWs, fake, FAKE_CLAUDE, finishedRuns, startTestServer } from '../test/support/server.js';
import { cuts, median, ms, ratio, type Figure, type SectionResult } from './stats.js';

const DELTAS = Number(process.env.BENCH_DELTAS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 40);
const S = 'core' as const;

async function rawCli(prompt: string): Promise<number> {
  const t0 = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(FAKE_CLAUDE, ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'], {
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    child.stdout.resume();
    child.once('exit', () => resolve());
    child.once('error', reject);
    child.stdin.end(`${JSON.stringify({ type: 'user', message: { role: 'user', content: prompt } })}\n`);
  });
  return performance.now() - t0;
}

export async function benchCore(): Promise<SectionResult> {
  const server = await startTestServer({ maxConcurrentRuns: 2 });
  try {
    const prompt = fake([{ text: 'x'.repeat(DELTAS), chunks: DELTAS }]);

    // 1. Streaming overhead
    const rawMs = await rawCli(prompt);
    const session = (await server.api('POST', '/api/sessions', {})).body as { id: string };
    const t0 = performance.now();
    const follow = collectEvents(server, session.id, (ev) => finishedRuns(ev).length === 1, { timeoutMs: 300_000 });
    await server.api('POST', `/api/sessions/${session.id}/messages`, { prompt });
    const events = await follow;
    const viaServerMs = performance.now() - t0;

    // 2. Run latency over WebSocket
    const s2 = (await server.api('POST', '/api/sessions', {})).body as { id: string };
    const ws = await connectWs(server.url);
    ws.send({ type: 'hello', resume: { [s2.id]: 0 } });
    const latencies: number[] = [];
    for (let i = 0; i < RUNS; i++) {
      const start = performance.now();
      ws.send({ type: 'submit', id: `b${i}`, sessionId: s2.id, prompt: `ping ${i}`, clientRequestId: `bench-${i}` });
      await ws.waitFor(
        (f): f is Extract<ServerFrame, { type: 'event' }> =>
          f.type === 'event' && f.event.type === 'run.finished' && ws.frames.filter((x) => x.type === 'event' && x.event.type === 'run.finished').length > i,
        60_000,
      );
      latencies.push(performance.now() - start);
    }
    await ws.close();
    const spawnOnly: number[] = [];
    for (let i = 0; i < 10; i++) spawnOnly.push(await rawCli(`ping ${i}`));

    // 3. Replay
    const t1 = performance.now();
    const replayed = await collectEvents(server, session.id, (ev) => ev.length >= events.length, { timeoutMs: 300_000 });
    const replayMs = performance.now() - t1;

    const figures: Figure[] = [
      {
        section: S,
        name: `Streaming ${DELTAS} deltas: through the server to SSE / the CLI alone`,
        value: `${ratio(viaServerMs / rawMs)} (${ms(viaServerMs, 0)} / ${ms(rawMs, 0)})`,
        note: `${Math.round((events.length / viaServerMs) * 1000)} events/s stored and delivered; one sample`,
      },
      {
        section: S,
        name: `Run latency, scripted CLI, submit → run.finished over WS (${RUNS} runs)`,
        value: `${cuts(latencies, [50, 95, 99], 1)}; the CLI process alone p50 ${ms(median(spawnOnly))}`,
        note: 'warm processes on (defaults): later runs reuse the process',
      },
      {
        section: S,
        name: 'Replay from seq 0 over SSE',
        value: `${replayed.length} events in ${ms(replayMs, 0)} (${Math.round((replayed.length / replayMs) * 1000)} events/s)`,
      },
    ];
    return { figures, notes: [] };
  } finally {
    await server.close();
  }
}
