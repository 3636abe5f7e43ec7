/**
 * The contract every Store adapter must pass. Call it from an adapter's test
 * file with a factory that returns a fresh, empty store (and, for restart
 * checks, a way to reopen the same data).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RunRecord, SessionRecord, Store } from '../core/store.js';
import { ZERO_USAGE } from '../protocol/events.js';

export interface StoreFactory {
  /** A fresh store with no data. */
  open(): Promise<Store>;
  /** The same data as the last `open()`, after the previous handle closed. */
  reopen(): Promise<Store>;
}

let counter = 0;
const nextId = (prefix: string) => `${prefix}-${++counter}-${Math.random().toString(36).slice(2, 8)}`;

export function makeSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = new Date().toISOString();
  return {
    id: nextId('s'),
    name: 'demo',
    cwd: '/tmp/demo',
    ownFolder: true,
    options: { model: 'sonnet', allowedTools: ['Read'] },
    claudeSessionId: '11111111-2222-4333-8444-555555555555',
    claudeStarted: false,
    origin: 'api',
    costUsd: 0,
    runs: 0,
    usage: { ...ZERO_USAGE },
    createdAt: now,
    updatedAt: now,
    ...overrides,
  };
}

export function makeRun(sessionId: string, overrides: Partial<RunRecord> = {}): RunRecord {
  return {
    id: nextId('r'),
    sessionId,
    prompt: 'hello',
    state: 'queued',
    enqueuedAt: new Date().toISOString(),
    costUsd: 0,
    usage: { ...ZERO_USAGE },
    durationMs: 0,
    numTurns: 0,
    ...overrides,
  };
}

export function describeStoreContract(adapterName: string, factory: StoreFactory): void {
  describe(`Store contract: ${adapterName}`, () => {
    const opened: Store[] = [];
    const open = async () => {
      const store = await factory.open();
      opened.push(store);
      return store;
    };
    afterEach(async () => {
      await Promise.all(opened.splice(0).map((s) => s.close()));
    });

    it('creates, reads, lists, updates and deletes sessions', async () => {
      const store = await open();
      const a = makeSession({ name: 'a' });
      const b = makeSession({ name: 'b' });
      await store.createSession(a);
      await store.createSession(b);
      expect(await store.getSession(a.id)).toEqual(a);
      expect((await store.listSessions()).map((s) => s.id).sort()).toEqual([a.id, b.id].sort());
      const updated = await store.updateSession(a.id, { name: 'renamed', claudeStarted: true });
      expect(updated?.name).toBe('renamed');
      expect((await store.getSession(a.id))?.claudeStarted).toBe(true);
      expect((await store.getSession(a.id))?.options).toEqual(a.options);
      expect(await store.updateSession('nope', { name: 'x' })).toBeUndefined();
      await store.deleteSession(a.id);
      expect(await store.getSession(a.id)).toBeUndefined();
      expect((await store.listSessions()).map((s) => s.id)).toEqual([b.id]);
    });

    it('numbers events per session from 1 without gaps, even when appended concurrently', async () => {
      const store = await open();
      const s1 = makeSession();
      const s2 = makeSession();
      await store.createSession(s1);
      await store.createSession(s2);
      const appends = [];
      for (let i = 0; i < 50; i++) {
        appends.push(store.appendEvent({ type: 'notice', sessionId: s1.id, level: 'info', text: `a${i}` }, 'T'));
        appends.push(store.appendEvent({ type: 'notice', sessionId: s2.id, level: 'info', text: `b${i}` }, 'T'));
      }
      const stored = await Promise.all(appends);
      const seqs1 = stored.filter((e) => e.sessionId === s1.id).map((e) => e.seq).sort((x, y) => x - y);
      expect(seqs1).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(await store.lastSeq(s1.id)).toBe(50);
      expect(await store.lastSeq(s2.id)).toBe(50);
      expect(await store.lastSeq('unknown')).toBe(0);
    });

    it('appends a batch of events in order with consecutive seqs', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      await store.appendEvent({ type: 'notice', sessionId: s.id, level: 'info', text: 'first' }, 'T');
      const batch = await store.appendEvents(
        [1, 2, 3].map((i) => ({ type: 'assistant.delta' as const, sessionId: s.id, runId: 'r', text: `d${i}` })),
        'T2',
      );
      expect(batch.map((e) => e.seq)).toEqual([2, 3, 4]);
      expect((await store.readEvents(s.id, 1)).map((e) => (e as { text: string }).text)).toEqual(['d1', 'd2', 'd3']);
      expect(await store.appendEvents([], 'T')).toEqual([]);
    });

    it('replays exactly the events after a seq, in order, with their payloads', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      for (let i = 1; i <= 10; i++) {
        await store.appendEvent({ type: 'assistant.delta', sessionId: s.id, runId: 'r1', text: `t${i}` }, `at${i}`);
      }
      const after7 = await store.readEvents(s.id, 7);
      expect(after7.map((e) => e.seq)).toEqual([8, 9, 10]);
      expect(after7[0]).toEqual({ type: 'assistant.delta', sessionId: s.id, runId: 'r1', text: 't8', seq: 8, at: 'at8' });
      expect(await store.readEvents(s.id, 10)).toEqual([]);
      expect((await store.readEvents(s.id, 0, 3)).map((e) => e.seq)).toEqual([1, 2, 3]);
    });

    it('reads a compact transcript: no deltas or usage of finished runs, only the last queue.changed', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const done = makeRun(s.id);
      const live = makeRun(s.id);
      await store.enqueueRun(done);
      await store.enqueueRun(live);
      const add = (e: Record<string, unknown>) => store.appendEvent({ sessionId: s.id, ...e } as never, 'T');
      await add({ type: 'queue.changed', pending: [done.id, live.id] });
      await add({ type: 'assistant.delta', runId: done.id, text: 'a' });
      await add({ type: 'usage', runId: done.id, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 });
      await add({ type: 'assistant.message', runId: done.id, text: 'a' });
      await add({ type: 'queue.changed', pending: [live.id] });
      await add({ type: 'assistant.delta', runId: live.id, text: 'b' });
      await store.updateRun(done.id, { state: 'success' });
      await store.updateRun(live.id, { state: 'running' });
      const compact = await store.readEvents(s.id, 0, 100, { compact: true });
      expect(compact.map((e) => `${e.seq}:${e.type}`)).toEqual(['4:assistant.message', '5:queue.changed', '6:assistant.delta']);
      expect((await store.readEvents(s.id, 0, 100)).length).toBe(6);
      expect((await store.readEvents(s.id, 1, 100, { beforeSeq: 5 })).map((e) => e.seq)).toEqual([2, 3, 4]);
      expect((await store.readEvents(s.id, 0, 100, { compact: true, beforeSeq: 5 })).map((e) => e.seq)).toEqual([4]);
      expect((await store.readRunEvents(s.id, [done.id])).map((e) => `${e.seq}:${e.type}`)).toEqual(['4:assistant.message']);
      expect((await store.readRunEvents(s.id, [live.id, done.id])).map((e) => e.seq)).toEqual([4, 6]);
      expect(await store.readRunEvents(s.id, [])).toEqual([]);
    });

    it('enqueues runs in FIFO order and enqueues a client request id only once', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const r1 = makeRun(s.id, { prompt: 'one', clientRequestId: 'c1' });
      const r2 = makeRun(s.id, { prompt: 'two' });
      const r3 = makeRun(s.id, { prompt: 'three', clientRequestId: 'c3' });
      expect((await store.enqueueRun(r1)).duplicate).toBe(false);
      await store.enqueueRun(r2);
      await store.enqueueRun(r3);
      const again = await store.enqueueRun(makeRun(s.id, { prompt: 'one again', clientRequestId: 'c1' }));
      expect(again.duplicate).toBe(true);
      expect(again.run.id).toBe(r1.id);
      expect((await store.listRuns(s.id, 'queued')).map((r) => r.prompt)).toEqual(['one', 'two', 'three']);
      expect((await store.findRunByClientRequestId(s.id, 'c3'))?.id).toBe(r3.id);
      expect(await store.findRunByClientRequestId(s.id, 'nope')).toBeUndefined();

      // The same client request id in another session is another request.
      const other = makeSession();
      await store.createSession(other);
      expect((await store.enqueueRun(makeRun(other.id, { clientRequestId: 'c1' }))).duplicate).toBe(false);
    });

    it('updates run state and finds runs by state across sessions', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const r1 = makeRun(s.id);
      const r2 = makeRun(s.id);
      await store.enqueueRun(r1);
      await store.enqueueRun(r2);
      const started = await store.updateRun(r1.id, { state: 'running', pid: 1234 });
      expect(started?.state).toBe('running');
      expect(started?.prompt).toBe('hello');
      expect((await store.runsInState('running')).map((r) => r.id)).toEqual([r1.id]);
      expect((await store.listRuns(s.id, 'queued')).map((r) => r.id)).toEqual([r2.id]);
      await store.updateRun(r1.id, { state: 'success', costUsd: 0.25, numTurns: 2 });
      expect(await store.getRun(r1.id)).toMatchObject({ state: 'success', costUsd: 0.25, numTurns: 2, pid: 1234 });
      expect(await store.getRun('nope')).toBeUndefined();
      expect(await store.updateRun('nope', { state: 'error' })).toBeUndefined();
      expect((await store.listRuns(s.id)).map((r) => r.id)).toEqual([r1.id, r2.id]);
    });

    it('keeps raw CLI lines of a run verbatim and numbered', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const run = makeRun(s.id);
      await store.enqueueRun(run);
      await store.appendRawLines(run.id, ['{"type":"system"}', 'not json \u00e9 \u{1F600}']);
      await store.appendRawLines(run.id, ['{"type":"result"}']);
      expect(await store.readRawLines(run.id)).toEqual([
        { n: 1, line: '{"type":"system"}' },
        { n: 2, line: 'not json \u00e9 \u{1F600}' },
        { n: 3, line: '{"type":"result"}' },
      ]);
      expect((await store.readRawLines(run.id, 2)).map((l) => l.n)).toEqual([3]);
    });

    it('deleting a session forgets its runs, events and raw lines but not other sessions', async () => {
      const store = await open();
      const a = makeSession();
      const b = makeSession();
      await store.createSession(a);
      await store.createSession(b);
      const ra = makeRun(a.id);
      await store.enqueueRun(ra);
      await store.appendRawLines(ra.id, ['x']);
      await store.appendEvent({ type: 'notice', sessionId: a.id, level: 'info', text: 'x' }, 'T');
      await store.appendEvent({ type: 'notice', sessionId: b.id, level: 'info', text: 'y' }, 'T');
      await store.deleteSession(a.id);
      expect(await store.getRun(ra.id)).toBeUndefined();
      expect(await store.readRawLines(ra.id)).toEqual([]);
      expect(await store.readEvents(a.id, 0)).toEqual([]);
      expect(await store.readEvents(b.id, 0)).toHaveLength(1);
    });

    it('keeps login sessions by token hash and forgets expired ones', async () => {
      const store = await open();
      const live = { tokenHash: 'h-live', createdAt: '2026-01-01T00:00:00.000Z', expiresAt: '2026-02-01T00:00:00.000Z' };
      const old = { tokenHash: 'h-old', createdAt: '2025-01-01T00:00:00.000Z', expiresAt: '2025-02-01T00:00:00.000Z' };
      await store.createAuthSession(live);
      await store.createAuthSession(old);
      expect(await store.getAuthSession('h-live')).toEqual(live);
      expect(await store.getAuthSession('nope')).toBeUndefined();
      expect(await store.deleteExpiredAuthSessions('2026-01-15T00:00:00.000Z')).toBe(1);
      expect(await store.getAuthSession('h-old')).toBeUndefined();
      await store.deleteAuthSession('h-live');
      expect(await store.getAuthSession('h-live')).toBeUndefined();
    });

    it('prunes the deltas, usage and raw lines of runs finished before a time, keeping what a transcript shows', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const old = makeRun(s.id);
      const recent = makeRun(s.id);
      await store.enqueueRun(old);
      await store.enqueueRun(recent);
      for (const run of [old, recent]) {
        await store.appendEvents(
          [
            { type: 'assistant.delta', sessionId: s.id, runId: run.id, text: 'par' },
            { type: 'assistant.message', sessionId: s.id, runId: run.id, text: 'partial' },
            { type: 'tool.started', sessionId: s.id, runId: run.id, toolUseId: 't', name: 'Bash', summary: '', input: {} },
            { type: 'usage', sessionId: s.id, runId: run.id, inputTokens: 1, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0 },
          ],
          'T',
        );
        await store.appendRawLines(run.id, ['{"type":"x"}']);
      }
      await store.updateRun(old.id, { state: 'success', finishedAt: '2026-01-01T00:00:00.000Z' });
      await store.updateRun(recent.id, { state: 'success', finishedAt: '2026-03-01T00:00:00.000Z' });
      expect(await store.pruneFinishedRuns('2026-02-01T00:00:00.000Z')).toBe(1);
      const types = async (runId: string) => (await store.readEvents(s.id, 0)).filter((e) => 'runId' in e && e.runId === runId).map((e) => e.type);
      expect(await types(old.id)).toEqual(['assistant.message', 'tool.started']);
      expect(await types(recent.id)).toEqual(['assistant.delta', 'assistant.message', 'tool.started', 'usage']);
      expect(await store.readRawLines(old.id)).toEqual([]);
      expect(await store.readRawLines(recent.id)).toHaveLength(1);
      expect((await store.getRun(old.id))?.state).toBe('success');
      // Once is enough: a second pass finds nothing new.
      expect(await store.pruneFinishedRuns('2026-02-01T00:00:00.000Z')).toBe(0);
      expect(await store.toolCallCounts(s.id)).toEqual({ Bash: 2 });
    });

    it('changes a run only if it is still in the expected state', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const run = makeRun(s.id);
      await store.enqueueRun(run);
      const started = await store.updateRunIf(run.id, 'queued', { state: 'running', instanceId: 'a' });
      expect(started).toMatchObject({ state: 'running', instanceId: 'a' });
      expect(await store.updateRunIf(run.id, 'queued', { state: 'cancelled' })).toBeUndefined();
      expect((await store.getRun(run.id))?.state).toBe('running');
      expect(await store.runsInState('running')).toHaveLength(1);
      expect(await store.updateRunIf('nope', 'queued', { state: 'cancelled' })).toBeUndefined();
    });

    it('forgets every login at once', async () => {
      const store = await open();
      for (const tokenHash of ['a', 'b', 'c']) await store.createAuthSession({ tokenHash, createdAt: 'T', expiresAt: '9999' });
      expect(await store.deleteAllAuthSessions()).toBe(3);
      expect(await store.getAuthSession('b')).toBeUndefined();
    });

    it('keeps named values and replaces them', async () => {
      const store = await open();
      expect(await store.getMeta('k')).toBeUndefined();
      await store.setMeta('k', 'one');
      await store.setMeta('k', 'two');
      expect(await store.getMeta('k')).toBe('two');
    });

    it('initialises a named value once: the first value stays, and every later caller gets it', async () => {
      const store = await open();
      expect(await store.initMeta('pair', 'first')).toBe('first');
      expect(await store.initMeta('pair', 'second')).toBe('first');
      expect(await store.getMeta('pair')).toBe('first');
      const racing = await Promise.all(['a', 'b', 'c'].map((v) => store.initMeta('raced', v)));
      expect(new Set(racing).size).toBe(1);
      await store.setMeta('pair', 'replaced');
      expect(await store.initMeta('pair', 'third')).toBe('replaced');
    });

    it('keeps push subscriptions by endpoint: the same endpoint again keeps its id and takes the new keys', async () => {
      const store = await open();
      expect(await store.listPushSubscriptions()).toEqual([]);
      const phone = { id: 'p1', endpoint: 'https://push.example/a', keys: { p256dh: 'K1', auth: 'A1' }, createdAt: '2026-01-01T00:00:00.000Z', userAgent: 'phone' };
      const laptop = { id: 'p2', endpoint: 'https://push.example/b', keys: { p256dh: 'K2', auth: 'A2' }, createdAt: '2026-01-02T00:00:00.000Z' };
      expect(await store.savePushSubscription(phone)).toEqual(phone);
      expect(await store.savePushSubscription(laptop)).toEqual(laptop);
      const again = await store.savePushSubscription({ ...phone, id: 'p3', keys: { p256dh: 'K3', auth: 'A3' }, createdAt: '2026-01-03T00:00:00.000Z', userAgent: 'phone 2' });
      expect(again).toEqual({ ...phone, keys: { p256dh: 'K3', auth: 'A3' }, userAgent: 'phone 2' });
      expect(await store.listPushSubscriptions()).toEqual([again, laptop]);
    });

    it('lists push subscriptions oldest first, those made at the same time in the order they were first saved', async () => {
      const store = await open();
      const sub = (id: string, createdAt: string) => ({ id, endpoint: `https://push.example/${id}`, keys: { p256dh: 'K', auth: 'A' }, createdAt });
      for (const [id, at] of [['z', 'T2'], ['m', 'T1'], ['a', 'T2'], ['q', 'T0'], ['b', 'T1']] as const) await store.savePushSubscription(sub(id, at));
      // Saved again (new keys): its place stays.
      await store.savePushSubscription({ ...sub('z2', 'T9'), endpoint: 'https://push.example/z', keys: { p256dh: 'K2', auth: 'A2' } });
      expect((await store.listPushSubscriptions()).map((s) => s.id)).toEqual(['q', 'm', 'b', 'z', 'a']);
    });

    it('forgets one push subscription by id, and says whether there was one', async () => {
      const store = await open();
      await store.savePushSubscription({ id: 'x', endpoint: 'https://push.example/x', keys: { p256dh: 'K', auth: 'A' }, createdAt: 'T' });
      await store.savePushSubscription({ id: 'y', endpoint: 'https://push.example/y', keys: { p256dh: 'K', auth: 'A' }, createdAt: 'T' });
      expect(await store.deletePushSubscription('x')).toBe(true);
      expect(await store.deletePushSubscription('x')).toBe(false);
      expect((await store.listPushSubscriptions()).map((s) => s.id)).toEqual(['y']);
    });

    it('keeps everything across a close and reopen', async () => {
      const store = await open();
      const s = makeSession();
      await store.createSession(s);
      const run = makeRun(s.id, { clientRequestId: 'keep' });
      await store.enqueueRun(run);
      await store.appendEvent({ type: 'notice', sessionId: s.id, level: 'info', text: 'x' }, 'T');
      await store.createAuthSession({ tokenHash: 'kept', createdAt: 'T', expiresAt: '9999' });
      await store.setMeta('kept', 'yes');
      const push = { id: 'kept', endpoint: 'https://push.example/kept', keys: { p256dh: 'K', auth: 'A' }, createdAt: 'T' };
      await store.savePushSubscription(push);
      await store.close();
      const again = await factory.reopen();
      opened.push(again);
      expect(await again.getSession(s.id)).toEqual(s);
      expect(await again.getAuthSession('kept')).toMatchObject({ tokenHash: 'kept' });
      expect(await again.getMeta('kept')).toBe('yes');
      expect(await again.listPushSubscriptions()).toEqual([push]);
      expect((await again.listRuns(s.id, 'queued')).map((r) => r.id)).toEqual([run.id]);
      expect((await again.enqueueRun(makeRun(s.id, { clientRequestId: 'keep' }))).duplicate).toBe(true);
      const next = await again.appendEvent({ type: 'notice', sessionId: s.id, level: 'info', text: 'y' }, 'T');
      expect(next.seq).toBe(2);
    });
  });
}
