/**
 * Benchmarks: run with `npm run bench`. Prints figures, ratios and
 * percentiles; asserts nothing (tests never assert on speed).
 *
 * 1. Streaming overhead: the scripted CLI prints N text deltas as fast as it
 *    can; we time it alone (raw pipe) and through the server to an SSE client.
 * 2. Run latency: short runs one after another, submit -> run.finished seen
 *    by a WebSocket client; p50/p95/p99.
 * 3. Replay: reading a long session back over SSE from seq 0.
 */
import { spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { collectEvents, connectWs, fake, FAKE_CLAUDE, finishedRuns, startTestServer } from '../test/support/server.js';
import type { ServerFrame } from '../server/protocol/ws.js';

const DELTAS = Number(process.env.BENCH_DELTAS ?? 5000);
const RUNS = Number(process.env.BENCH_RUNS ?? 40);

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] as number;
}

const fmt = (ms: number) => `${ms.toFixed(1)} ms`;

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

async function main(): Promise<void> {
  const server = await startTestServer({ maxConcurrentRuns: 2 });
  try {
    const text = 'x'.repeat(DELTAS);
    const prompt = fake([{ text, chunks: DELTAS }]);

    // 1. Streaming overhead
    const rawMs = await rawCli(prompt);
    const session = (await server.api('POST', '/api/sessions', {})).body as { id: string };
    const t0 = performance.now();
    const follow = collectEvents(server, session.id, (ev) => finishedRuns(ev).length === 1, { timeoutMs: 300_000 });
    await server.api('POST', `/api/sessions/${session.id}/messages`, { prompt });
    const events = await follow;
    const viaServerMs = performance.now() - t0;
    const deltas = events.filter((e) => e.type === 'assistant.delta').length;
    console.log('1. streaming overhead');
    console.log(`   ${DELTAS} deltas: CLI alone ${fmt(rawMs)}, through server to SSE ${fmt(viaServerMs)} (ratio ${(viaServerMs / rawMs).toFixed(2)}x)`);
    console.log(`   ${deltas} delta events delivered; ${Math.round((events.length / viaServerMs) * 1000)} events/s stored and delivered`);

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
    latencies.sort((a, b) => a - b);
    const spawnOnly: number[] = [];
    for (let i = 0; i < 10; i++) spawnOnly.push(await rawCli(`ping ${i}`));
    spawnOnly.sort((a, b) => a - b);
    console.log('2. run latency (submit -> run.finished over WebSocket)');
    console.log(`   ${RUNS} runs: p50 ${fmt(percentile(latencies, 50))}, p95 ${fmt(percentile(latencies, 95))}, p99 ${fmt(percentile(latencies, 99))}`);
    console.log(`   the CLI process alone: p50 ${fmt(percentile(spawnOnly, 50))} (server overhead ratio at p50 ${(percentile(latencies, 50) / percentile(spawnOnly, 50)).toFixed(2)}x)`);

    // 3. Replay
    const t1 = performance.now();
    const replayed = await collectEvents(server, session.id, (ev) => ev.length >= events.length, { timeoutMs: 300_000 });
    const replayMs = performance.now() - t1;
    console.log('3. replay from seq 0 over SSE');
    console.log(`   ${replayed.length} events in ${fmt(replayMs)} (${Math.round((replayed.length / replayMs) * 1000)} events/s)`);
  } finally {
    await server.close();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
