/**
 * The relay: how long a CLI line takes to reach the clients, and what the
 * server spends on it.
 *
 * The scripted CLI's `stamped` step writes text deltas carrying the time of
 * their write (same machine, same clock as ours); each client notes when the
 * event arrived. Latency = arrival - stamp, every delta, every client. The
 * server runs as its own process, so its CPU time (/proc) is its own: per
 * 1,000 events of the run, fan-out included. Each client connects from its
 * own loopback address (the server caps streams per client address).
 *
 * Configurations (1, 10 and 100 clients on one session over WS and over SSE;
 * 20 sessions streaming at once, one client each) are run in rotating order,
 * several rounds; latencies are pooled over rounds, CPU is the median.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { buildCliArgs } from '../server/core/cli/args.js';
import { fake, FAKE_CLAUDE, startTestServer } from '../test/support/server.js';
import { startChildServer, type ChildServer } from './child-server.js';
import { loopback, now, openClient, openWsClient, RUN_FINISHED, type EventClient, type Transport } from './clients.js';
import { cpuMs } from './proc.js';
import { goalFigure, median, percentile, type Figure, type SectionResult } from './stats.js';
import { meterSqlite } from './store-meter.js';

const ROUNDS = Number(process.env.BENCH_RELAY_ROUNDS ?? 2);
const DELTAS = Number(process.env.BENCH_RELAY_DELTAS ?? 400);
/** ~330 deltas a second: faster than a model types, slow enough not to be a flood test. */
const INTERVAL_MS = 3;
const S = 'relay' as const;

interface Config {
  label: string;
  /** `pipe`: no server; the benchmark reads the CLI's stdout itself (the floor). */
  transport: Transport | 'pipe';
  sessions: number;
  clientsPerSession: number;
}

const CONFIGS: Config[] = [
  { label: 'no server (the CLI\'s pipe read directly: the floor)', transport: 'pipe', sessions: 1, clientsPerSession: 1 },
  ...(['ws', 'sse'] as const).flatMap((transport) =>
    [1, 10, 100].map((clients) => ({ label: `${transport.toUpperCase()}, ${clients} client${clients > 1 ? 's' : ''}`, transport, sessions: 1, clientsPerSession: clients })),
  ),
  { label: 'WS, 20 sessions at once', transport: 'ws', sessions: 20, clientsPerSession: 1 },
  { label: 'SSE, 20 sessions at once', transport: 'sse', sessions: 20, clientsPerSession: 1 },
];

interface Sample {
  latencies: number[];
  cpuPer1000: number;
  events: number;
}

const STAMPED = () => fake([{ stamped: DELTAS, intervalMs: INTERVAL_MS }]);

/** The floor: the same stamped deltas straight from the CLI's stdout, no server in between. */
function measurePipe(): Promise<Sample> {
  const args = buildCliArgs({ options: {}, claudeSessionId: randomUUID(), resume: false, permissionPrompts: false });
  return new Promise((resolve, reject) => {
    const child = spawn(FAKE_CLAUDE, args, { stdio: ['pipe', 'pipe', 'ignore'] });
    const chunks: Array<[number, string]> = [];
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => chunks.push([now(), text]));
    child.once('error', reject);
    child.once('close', () => {
      const latencies: number[] = [];
      let buffer = '';
      for (const [at, text] of chunks) {
        buffer += text;
        for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
          const line = JSON.parse(buffer.slice(0, nl)) as { type?: string; event?: { delta?: { type?: string; text?: string } } };
          buffer = buffer.slice(nl + 1);
          if (line.type === 'stream_event' && line.event?.delta?.type === 'text_delta') latencies.push(at - Number.parseFloat(line.event.delta.text ?? ''));
        }
      }
      resolve({ latencies, cpuPer1000: NaN, events: latencies.length });
    });
    child.stdin.end(`${JSON.stringify({ type: 'user', message: { role: 'user', content: STAMPED() } })}\n`);
  });
}

async function measure(server: ChildServer, config: Config): Promise<Sample> {
  if (config.transport === 'pipe') return measurePipe();
  const transport = config.transport;
  const sessions: Array<{ id: string; clients: EventClient[] }> = [];
  let address = 0;
  for (let s = 0; s < config.sessions; s++) {
    const { id, lastSeq } = await server.api<{ id: string; lastSeq: number }>('POST', '/api/sessions', {});
    const clients: EventClient[] = [];
    for (let c = 0; c < config.clientsPerSession; c++) clients.push(await openClient(transport, server.url, id, lastSeq, { localAddress: loopback(address++) }));
    sessions.push({ id, clients });
  }
  const prompt = STAMPED();
  const cpu0 = cpuMs(server.pid);
  await Promise.all(sessions.map((s) => server.api('POST', `/api/sessions/${s.id}/messages`, { prompt })));
  await Promise.all(sessions.flatMap((s) => s.clients.map((c) => c.waitFor(RUN_FINISHED, 1))));
  const cpu = cpuMs(server.pid) - cpu0;
  const latencies: number[] = [];
  let events = 0;
  for (const s of sessions) {
    for (const [i, client] of s.clients.entries()) {
      const received = client.received();
      // Events the server produced for the run(s), counted once per session.
      if (i === 0) events += received.length;
      const end = received.find((r) => r.event.type === 'run.finished')?.event;
      if (end?.type === 'run.finished' && end.status !== 'success') throw new Error(`${config.label}: a run ended ${end.status}: ${end.error ?? ''}`);
      for (const r of received) if (r.event.type === 'assistant.delta') latencies.push(r.at - Number.parseFloat(r.event.text));
      client.close();
    }
    await server.api('DELETE', `/api/sessions/${s.id}`);
  }
  const expected = DELTAS * config.sessions * config.clientsPerSession;
  if (latencies.length !== expected) throw new Error(`${config.label}: ${latencies.length} deltas arrived, ${expected} expected`);
  return { latencies, cpuPer1000: (cpu / events) * 1000, events };
}

/**
 * What SQLite takes of the server's time per event: one stamped run through
 * a server in this process, its statements timed (store-meter.ts).
 */
async function storeShare(): Promise<{ msPer1000: number; statementsPerEvent: number }> {
  const meter = meterSqlite();
  const server = await startTestServer({ config: { WARM_PREWARM: 'false' } });
  try {
    const { id, lastSeq } = (await server.api('POST', '/api/sessions', {})).body as { id: string; lastSeq: number };
    const client = await openWsClient(server.url, id, lastSeq);
    meter.reset();
    await server.api('POST', `/api/sessions/${id}/messages`, { prompt: STAMPED() });
    await client.waitFor(RUN_FINISHED, 1);
    const { calls, ms } = meter.read();
    const events = client.received().length;
    client.close();
    return { msPer1000: (ms / events) * 1000, statementsPerEvent: calls / events };
  } finally {
    await server.close();
  }
}

export async function benchRelay(): Promise<SectionResult> {
  const server = await startChildServer({ MAX_CONCURRENT_RUNS: '25', WARM_PREWARM: 'false' });
  try {
    const samples = new Map<string, Sample[]>(CONFIGS.map((c) => [c.label, []]));
    const failures: string[] = [];
    // A first run warms the server's JIT and the fake CLI's file cache.
    await measure(server, { label: 'warm-up', transport: 'ws', sessions: 1, clientsPerSession: 1 });
    for (let round = 0; round < ROUNDS; round++) {
      for (let i = 0; i < CONFIGS.length; i++) {
        const config = CONFIGS[(round + i) % CONFIGS.length] as Config;
        // One failed measurement (a run that ended badly on a loaded machine) is reported, not fatal.
        await measure(server, config).then(
          (sample) => samples.get(config.label)?.push(sample),
          (err: unknown) => failures.push(`${config.label}, round ${round + 1}: ${(err as Error).message}`),
        );
      }
      process.stdout.write(`  relay: round ${round + 1}/${ROUNDS}\n`);
    }
    const store = await storeShare();
    const figures: Figure[] = CONFIGS.map((config) => {
      const runs = samples.get(config.label) ?? [];
      const all = runs.flatMap((r) => r.latencies);
      const p50 = percentile(all, 50);
      const p99 = percentile(all, 99);
      const cpu = median(runs.map((r) => r.cpuPer1000));
      const cpuText = config.transport === 'pipe' ? '' : `; server CPU ${cpu.toFixed(0)} ms / 1,000 events`;
      const value = `p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${percentile(all, 100).toFixed(1)} ms${cpuText}`;
      const name = `CLI line → client, ${config.label}`;
      if (all.length === 0) return { section: S, name, value: 'not measured: every round failed', note: 'why: in the notes below' };
      const note = `${all.length.toLocaleString('en')} deliveries over ${ROUNDS} rounds; min ${percentile(all, 0).toFixed(2)} ms`;
      if (config.sessions === 1 && config.clientsPerSession === 10) return goalFigure(S, name, value, 'p99 < 1 ms', p99 < 1, note);
      return { section: S, name, value, note };
    });
    return {
      figures,
      notes: [
        `${DELTAS} stamped deltas per run, ${INTERVAL_MS} ms apart, from the scripted CLI; the server as its own process (tsx), clients in the benchmark process, each from its own loopback address. ` +
          'Server CPU per 1,000 events counts everything the server did from the POST to the last run.finished (spawn, store, fan-out) over the events of the run(s), counted once per session; /proc ticks are 10 ms. ' +
          `Of that, SQLite takes ${store.msPer1000.toFixed(0)} ms per 1,000 events (${store.statementsPerEvent.toFixed(1)} statements an event: each CLI line is its own raw-line and event transaction when lines arrive one by one; measured in-process, one client).`,
        ...(failures.length > 0 ? [`Measurements that failed and are left out: ${failures.join('; ')}.`] : []),
      ],
    };
  } finally {
    await server.close();
  }
}
