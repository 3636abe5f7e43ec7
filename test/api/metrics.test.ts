/**
 * GET /metrics as Prometheus scrapes it: behind the app's auth on the main
 * port, and alone without credentials on 127.0.0.1:METRICS_PORT. The
 * counters move by exactly what the test did.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, connectWs, fake, finishedRuns, startTestServer, waitUntil, type TestServer } from '../support/server.js';

const TOKEN = 'tok-metrics-test-5521';
const auth = { authorization: `Bearer ${TOKEN}` };

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The text exposition format: `name{a="x",b="y"} value` lines; comments skipped. */
function parseMetrics(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match) throw new Error(`not a sample: ${line}`);
      const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
      return { name: match[1] as string, labels, value: Number(match[3]) };
    });
}

/** The sum of the samples of `name` whose labels include `labels`. */
function total(samples: Sample[], name: string, labels: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

let server: TestServer;
const scrape = async () => {
  const res = await fetch(`${server.url}/metrics`, { headers: auth });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parseMetrics(await res.text());
};
const api = (method: string, path: string, body?: unknown) => server.api(method, path, body, auth);
const execute = async (sessionId: string, prompt: string) => (await api('POST', `/api/sessions/${sessionId}/execute`, { prompt })).body;
/** A session's events, read with credentials, until `until` holds. */
const eventsUntil = (sessionId: string, until: Parameters<typeof collectEvents>[2]) =>
  collectEvents({ url: server.url }, sessionId, until, { headers: auth });

beforeAll(async () => {
  server = await startTestServer({ config: { AUTH_TOKEN: TOKEN, METRICS_PORT: '0' } });
});
afterAll(() => server.close());

describe('GET /metrics', () => {
  it('asks for the credentials the API asks for', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong' } })).status).toBe(401);
  });

  it('counts runs by how they ended, their durations, tools, the queue, processes, clients, events and the store', async () => {
    const before = await scrape();
    expect(total(before, 'claude_remote_runs_started_total')).toBe(0);
    expect(total(before, 'claude_remote_runs_finished_total', { status: 'error', error_kind: 'cli_crashed' })).toBe(0);

    const s = (await api('POST', '/api/sessions', {})).body.id as string;
    const manyTools = Array.from({ length: 100 }, (_, i) => ({ tool: { name: `mcp__t${i}`, input: {}, output: '' } }));
    const bash = { tool: { name: 'Bash', input: { command: 'ls' }, output: 'a' } };
    expect(await execute(s, fake([bash, bash, { tool: { name: 'Read', input: {}, output: 'x' } }, { text: 'done' }]))).toMatchObject({ status: 'success' });
    expect(await execute(s, fake([{ text: 'partial' }, { crash: 3 }]))).toMatchObject({ status: 'error' });
    expect(await execute(s, fake([{ text: 'overloaded' }, { result: { is_error: true, api_error_status: 529 } }]))).toMatchObject({ status: 'error' });
    expect(await execute(s, fake(manyTools))).toMatchObject({ status: 'success' });

    // A run that holds its session, one queued behind it: the queue is seen, then cancelled and interrupted.
    const q = (await api('POST', '/api/sessions', {})).body.id as string;
    const held = (await api('POST', `/api/sessions/${q}/messages`, { prompt: fake([{ sleep: 600_000 }]) })).body.runId as string;
    const waiting = (await api('POST', `/api/sessions/${q}/messages`, { prompt: 'hi' })).body.runId as string;
    await eventsUntil(q, (events) => events.some((e) => e.type === 'run.started' && e.runId === held));
    const busy = await scrape();
    expect(total(busy, 'claude_remote_queue_depth', { state: 'queued' })).toBe(1);
    expect(total(busy, 'claude_remote_queue_depth', { state: 'running' })).toBe(1);
    expect(total(busy, 'claude_remote_cli_processes', { state: 'running' })).toBe(1);
    expect((await api('DELETE', `/api/sessions/${q}/queue/${waiting}`)).body).toMatchObject({ status: 'cancelled' });
    expect((await api('POST', `/api/sessions/${q}/interrupt`)).status).toBe(202);
    await eventsUntil(q, (events) => finishedRuns(events).length === 2);

    const after = await scrape();
    expect(total(after, 'claude_remote_runs_started_total')).toBe(5);
    const finished = (status: string, kind = 'none') => total(after, 'claude_remote_runs_finished_total', { status, error_kind: kind });
    // The CLI calls a 529 overloaded: a server error; an interrupted run says so in its kind too.
    const ends = [finished('success'), finished('error', 'cli_crashed'), finished('error', 'server_error'), finished('interrupted', 'interrupted'), finished('cancelled')];
    expect(ends).toEqual([2, 1, 1, 1, 1]);
    expect(total(after, 'claude_remote_runs_finished_total')).toBe(6);
    // Durations of the runs that started; the cancelled one never did.
    expect(total(after, 'claude_remote_run_duration_seconds_count')).toBe(5);
    expect(total(after, 'claude_remote_run_duration_seconds_count', { status: 'success' })).toBe(2);
    expect(total(after, 'claude_remote_run_duration_seconds_bucket', { status: 'success', le: '+Inf' })).toBe(2);
    expect(total(after, 'claude_remote_run_duration_seconds_sum', { status: 'interrupted' })).toBeGreaterThan(0);
    // Tools: Bash and Read, then 100 new names of which 98 fit under the cap of 100.
    expect(total(after, 'claude_remote_tool_calls_total', { tool: 'Bash' })).toBe(2);
    expect(total(after, 'claude_remote_tool_calls_total', { tool: 'Read' })).toBe(1);
    expect(total(after, 'claude_remote_tool_calls_total', { tool: 'other' })).toBe(2);
    expect(after.filter((x) => x.name === 'claude_remote_tool_calls_total')).toHaveLength(101);
    expect(total(after, 'claude_remote_tool_calls_total')).toBe(103);
    expect(total(after, 'claude_remote_queue_depth')).toBe(0);
    expect(total(after, 'claude_remote_store_bytes', { file: 'main' })).toBeGreaterThan(0);
    expect(total(after, 'process_cpu_seconds_total')).toBeGreaterThan(0);
    expect(total(after, 'process_resident_memory_bytes')).toBeGreaterThan(0);
  });

  it('counts every event published, and the CLI processes alive by state', async () => {
    // Every event ever stored was published by this server: their count is the sum of the sessions' last seq.
    await waitUntil(async () => {
      const sessions = (await api('GET', '/api/sessions')).body.sessions as Array<{ lastSeq: number }>;
      const stored = sessions.reduce((sum, x) => sum + x.lastSeq, 0);
      return total(await scrape(), 'claude_remote_events_published_total') === stored;
    }, 10_000, 'the published events to match the stored ones');
    const samples = await scrape();
    expect(total(samples, 'claude_remote_events_published_total', { type: 'tool.started' })).toBe(103);
    expect(total(samples, 'claude_remote_events_published_total', { type: 'run.finished' })).toBe(6);
    await waitUntil(async () => {
      const listed = (await api('GET', '/api/processes')).body.processes as Array<{ state: string }>;
      const counted = await scrape();
      return ['running', 'idle', 'exiting'].every((state) => total(counted, 'claude_remote_cli_processes', { state }) === listed.filter((p) => p.state === state).length);
    }, 10_000, 'the process gauge to match /api/processes');
  });

  it('counts the clients connected now, by door', async () => {
    const s = (await api('POST', '/api/sessions', {})).body.id as string;
    const controller = new AbortController();
    const sse = await fetch(`${server.url}/api/sessions/${s}/events`, { headers: { ...auth, accept: 'text/event-stream' }, signal: controller.signal });
    expect(sse.status).toBe(200);
    const ws = await connectWs(server.url, auth);
    const open = await scrape();
    expect([total(open, 'claude_remote_clients', { door: 'sse' }), total(open, 'claude_remote_clients', { door: 'ws' })]).toEqual([1, 1]);
    controller.abort();
    await ws.close();
    await waitUntil(async () => total(await scrape(), 'claude_remote_clients') === 0, 10_000, 'both doors to count none');
  });
});

describe('METRICS_PORT', () => {
  it('serves /metrics on 127.0.0.1 without credentials, and nothing else', async () => {
    const url = server.metricsUrl as string;
    expect(new URL(url).hostname).toBe('127.0.0.1');
    expect(new URL(url).port).not.toBe(new URL(server.url).port);
    const res = await fetch(url);
    expect(res.status).toBe(200);
    const samples = parseMetrics(await res.text());
    expect(total(samples, 'claude_remote_runs_started_total')).toBe(5);
    const base = url.replace(/\/metrics$/, '');
    for (const path of ['/', '/health', '/api/sessions', '/api/processes', '/metrics/x']) expect((await fetch(base + path, { headers: auth })).status).toBe(404);
    expect((await fetch(url, { method: 'POST' })).status).toBe(405);
  });
});
