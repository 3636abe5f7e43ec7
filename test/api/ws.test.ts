import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import type { ServerEvent } from '../../server/protocol/events.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { attachmentsBodyBytes } from '../../server/protocol/limits.js';
import { connectWs, fake, startTestServer, type TestServer } from '../support/server.js';
import { newSession } from '../support/runs.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ config: { MAX_ATTACHMENT_MB: '1' } });
});
afterAll(() => server.close());

type EventFrame = Extract<ServerFrame, { type: 'event' }>;
const isEvent = (f: ServerFrame): f is EventFrame => f.type === 'event';
const eventsOf = (frames: ServerFrame[], sessionId: string): ServerEvent[] =>
  frames.filter(isEvent).map((f) => f.event).filter((e) => e.sessionId === sessionId);
const isReply = (id: string) => (f: ServerFrame): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === id;
const finishedCount = (id: string, n: number) => (f: ServerFrame): f is EventFrame => isEvent(f) && f.event.sessionId === id && f.event.type === 'run.finished' && countFinished(id) >= n;
let lastFrames: ServerFrame[] = [];
const countFinished = (id: string) => eventsOf(lastFrames, id).filter((e) => e.type === 'run.finished').length;

function upgradeStatus(headers: Record<string, string>, path = '/ws'): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(server.url.replace('http', 'ws') + path, { headers });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

describe('WebSocket protocol', () => {
  it('welcomes with the session list and replays a followed session from the given seq, each event once', async () => {
    const s = await newSession(server);
    const c1 = await connectWs(server.url);
    lastFrames = c1.frames;
    c1.send({ type: 'hello', resume: { [s.id]: 0 } });
    const welcome = await c1.waitFor((f): f is Extract<ServerFrame, { type: 'welcome' }> => f.type === 'welcome');
    expect(welcome.sessions.map((x) => x.id)).toContain(s.id);
    expect(welcome.limits).toEqual({ maxAttachmentBytes: 1024 * 1024 }); // this server's MAX_ATTACHMENT_MB
    c1.send({ type: 'submit', id: 'm1', sessionId: s.id, prompt: 'over ws', clientRequestId: 'c-1' });
    const reply = await c1.waitFor(isReply('m1'));
    expect(reply).toMatchObject({ ok: true, data: { position: 1, duplicate: false } });
    await c1.waitFor(finishedCount(s.id, 1));
    const seen = eventsOf(c1.frames, s.id);
    await c1.close();

    const cut = seen[2]!.seq;
    const c2 = await connectWs(server.url);
    c2.send({ type: 'hello', resume: { [s.id]: cut } });
    await c2.waitFor((f): f is EventFrame => isEvent(f) && f.event.type === 'run.finished');
    expect(eventsOf(c2.frames, s.id)).toEqual(seen.filter((e) => e.seq > cut));
    await c2.close();
  });

  it('enqueues a re-sent submit once (same client request id)', async () => {
    const s = await newSession(server);
    const c = await connectWs(server.url);
    lastFrames = c.frames;
    c.send({ type: 'hello', resume: { [s.id]: 0 } });
    c.send({ type: 'submit', id: 'a', sessionId: s.id, prompt: 'dedupe me', clientRequestId: 'same' });
    c.send({ type: 'submit', id: 'b', sessionId: s.id, prompt: 'dedupe me', clientRequestId: 'same' });
    const [a, b] = [await c.waitFor(isReply('a')), await c.waitFor(isReply('b'))];
    expect(a.ok && b.ok).toBe(true);
    expect((b as { data: { runId: string; duplicate: boolean } }).data).toMatchObject({
      runId: (a as { data: { runId: string } }).data.runId,
      duplicate: true,
    });
    await c.waitFor(finishedCount(s.id, 1));
    expect(eventsOf(c.frames, s.id).filter((e) => e.type === 'run.queued')).toHaveLength(1);
    await c.close();
  });

  it('survives a connection cut mid-run: the transcript is complete and nothing repeats', async () => {
    const s = await newSession(server);
    const text = 'abcdefghijklmnopqrstuvwxyz0123456789';
    const c1 = await connectWs(server.url);
    c1.send({ type: 'hello', resume: { [s.id]: 0 } });
    c1.send({ type: 'submit', id: 'm', sessionId: s.id, prompt: fake([{ text, chunks: 12, delayMs: 60 }]), clientRequestId: 'cut-1' });
    await c1.waitFor((f): f is EventFrame => isEvent(f) && f.event.type === 'assistant.delta');
    c1.ws.terminate();
    const before = eventsOf(c1.frames, s.id);
    const last = before[before.length - 1]!.seq;
    // The phone re-sends what it was unsure about, then resumes.
    const c2 = await connectWs(server.url);
    c2.send({ type: 'hello', resume: { [s.id]: last } });
    c2.send({ type: 'submit', id: 'm', sessionId: s.id, prompt: 'ignored', clientRequestId: 'cut-1' });
    await c2.waitFor((f): f is EventFrame => isEvent(f) && f.event.type === 'run.finished');
    const all = [...before, ...eventsOf(c2.frames, s.id)];
    const seqs = all.map((e) => e.seq);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0]! + i));
    const deltas = all.filter((e) => e.type === 'assistant.delta').map((e) => (e as { text: string }).text).join('');
    expect(deltas).toBe(text);
    expect(all.filter((e) => e.type === 'run.queued')).toHaveLength(1);
    await c2.close();
  });

  it('interrupts and cancels over the socket', async () => {
    const s = await newSession(server);
    const c = await connectWs(server.url);
    lastFrames = c.frames;
    c.send({ type: 'hello', resume: { [s.id]: 0 } });
    c.send({ type: 'submit', id: 's1', sessionId: s.id, prompt: fake([{ text: 'long', chunks: 30, delayMs: 200 }]), clientRequestId: 'i-1' });
    c.send({ type: 'submit', id: 's2', sessionId: s.id, prompt: 'to cancel', clientRequestId: 'i-2' });
    const queued = (await c.waitFor(isReply('s2'))) as { data: { runId: string } };
    await c.waitFor((f): f is EventFrame => isEvent(f) && f.event.type === 'assistant.delta');
    c.send({ type: 'cancel', id: 'x', sessionId: s.id, runId: queued.data.runId });
    expect(await c.waitFor(isReply('x'))).toMatchObject({ ok: true, data: { status: 'cancelled' } });
    c.send({ type: 'interrupt', id: 'y', sessionId: s.id });
    expect(await c.waitFor(isReply('y'))).toMatchObject({ ok: true });
    await c.waitFor(finishedCount(s.id, 2));
    const statuses = eventsOf(c.frames, s.id).filter((e) => e.type === 'run.finished').map((e) => (e as { status: string }).status);
    expect(statuses.sort()).toEqual(['cancelled', 'interrupted']);
    await c.close();
  });

  it('sends list-level summaries of sessions the client does not follow', async () => {
    const c = await connectWs(server.url);
    c.send({ type: 'hello' });
    await c.waitFor((f): f is Extract<ServerFrame, { type: 'welcome' }> => f.type === 'welcome');
    const s = await newSession(server);
    const created = await c.waitFor((f): f is Extract<ServerFrame, { type: 'summary' }> => f.type === 'summary' && f.event.sessionId === s.id);
    expect(created.event.type).toBe('session.created');
    await c.close();
  });

  it('answers bad frames with clear errors and keeps the connection', async () => {
    const s = await newSession(server);
    const c = await connectWs(server.url);
    c.ws.send('{not json');
    expect(await c.waitFor((f): f is Extract<ServerFrame, { type: 'error' }> => f.type === 'error')).toMatchObject({ error: { code: 'invalid_json' } });
    c.send({ type: 'submit', id: 'n1', sessionId: s.id, prompt: 'no request id' });
    expect(await c.waitFor(isReply('n1'))).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    c.send({ type: 'submit', id: 'n2', sessionId: 'nope', prompt: 'x', clientRequestId: 'z' });
    expect(await c.waitFor(isReply('n2'))).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    c.send({ type: 'submit', id: 'n3', sessionId: s.id, prompt: 'x'.repeat(150 * 1024), clientRequestId: 'big' });
    expect(await c.waitFor(isReply('n3'))).toMatchObject({ ok: false, error: { code: 'payload_too_large' } });
    c.send({ type: 'teleport', id: 'n4' });
    expect(await c.waitFor(isReply('n4'))).toMatchObject({ ok: false, error: { code: 'validation_failed' } });
    c.send({ type: 'ping', id: 'p' });
    expect(await c.waitFor((f): f is Extract<ServerFrame, { type: 'pong' }> => f.type === 'pong')).toMatchObject({ id: 'p' });
    await c.close();
  });

  it('opens a long transcript at its last runs, compact, and pages back with history', async () => {
    const s = await newSession(server);
    const c = await connectWs(server.url);
    lastFrames = c.frames;
    c.send({ type: 'hello', resume: { [s.id]: 0 } });
    for (let i = 1; i <= 5; i++) {
      c.send({ type: 'submit', id: `h${i}`, sessionId: s.id, prompt: `prompt ${i}`, clientRequestId: `hist-${i}` });
    }
    await c.waitFor(finishedCount(s.id, 5));
    await c.close();

    const viewer = await connectWs(server.url);
    viewer.send({ type: 'hello' });
    viewer.send({ type: 'subscribe', id: 'open', sessionId: s.id, after: 0, tailRuns: 2 });
    const opened = (await viewer.waitFor(isReply('open'))) as { data: { fromSeq: number; hasEarlier: boolean; firstRunId: string } };
    expect(opened.data.hasEarlier).toBe(true);
    await viewer.waitFor((f): f is EventFrame => isEvent(f) && f.event.type === 'run.finished' && eventsOf(viewer.frames, s.id).filter((e) => e.type === 'run.finished').length === 2);
    const shown = eventsOf(viewer.frames, s.id);
    expect(shown.filter((e) => e.type === 'run.queued').map((e) => (e as { prompt: string }).prompt)).toEqual(['prompt 4', 'prompt 5']);
    expect(shown.some((e) => e.type === 'assistant.delta' || e.type === 'usage')).toBe(false);
    expect(shown.filter((e) => e.type === 'assistant.message').map((e) => (e as { text: string }).text)).toEqual(['Echo: prompt 4', 'Echo: prompt 5']);
    expect(shown[0]!.seq).toBe(opened.data.fromSeq);
    // Runs 1-3 ran after prompt 4 was queued; their events belong to "load earlier".
    const runIds = new Set(shown.filter((e) => e.type === 'run.queued').map((e) => (e as { runId: string }).runId));
    expect(shown.every((e) => !('runId' in e) || e.runId === undefined || runIds.has(e.runId))).toBe(true);
    await viewer.close();

    const page = await server.api('GET', `/api/sessions/${s.id}/history?beforeRun=${opened.data.firstRunId}&runs=2`);
    expect(page.status).toBe(200);
    const prompts = (page.body.events as ServerEvent[]).filter((e) => e.type === 'run.queued').map((e) => (e as { prompt: string }).prompt);
    expect(prompts).toEqual(['prompt 2', 'prompt 3']);
    expect(page.body.hasEarlier).toBe(true);
    expect((page.body.events as ServerEvent[]).some((e) => e.type === 'assistant.delta')).toBe(false);
    expect((page.body.events as ServerEvent[]).filter((e) => e.type === 'run.finished')).toHaveLength(2);
    const rest = await server.api('GET', `/api/sessions/${s.id}/history?beforeRun=${page.body.firstRunId}&runs=2`);
    expect(rest.body.hasEarlier).toBe(false);
    expect((rest.body.events as ServerEvent[]).filter((e) => e.type === 'run.queued')).toHaveLength(1);
    expect((await server.api('GET', `/api/sessions/${s.id}/history?beforeRun=nope`)).status).toBe(404);
    expect((await server.api('GET', `/api/sessions/${s.id}/history`)).status).toBe(400);
  });

  it('closes the connection on a frame over the size limit (as large as a submit with attachments may be)', async () => {
    const c = await connectWs(server.url);
    const closed = new Promise<number>((r) => c.ws.once('close', (code) => r(code)));
    c.ws.send('x'.repeat(attachmentsBodyBytes(1024 * 1024) + 1));
    expect(await closed).toBe(1009);
  });

  it('refuses upgrades from a foreign Origin and on other paths, before any socket exists', async () => {
    const host = new URL(server.url).host;
    expect(await upgradeStatus({ origin: 'https://evil.example' })).toBe(403);
    expect(await upgradeStatus({ origin: 'null' })).toBe(403);
    expect(await upgradeStatus({ origin: `http://${host}` })).toBe(101);
    expect(await upgradeStatus({})).toBe(101);
    expect(await upgradeStatus({}, '/other')).toBe(404);
  });
});
