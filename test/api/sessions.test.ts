import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, fake, finishedRuns, startTestServer, tempDir, type TestServer } from '../support/server.js';
import { newSession } from '../support/runs.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await server.close();
});

describe('sessions', () => {
  it('creates a session with a folder of its own under DATA_DIR and lists, gets, renames it', async () => {
    const created = await newSession(server, { name: 'Alpha', model: 'sonnet', allowedTools: ['Read'] });
    expect(created.session_id).toBe(created.id);
    expect(created.cwd.startsWith(join(server.dataDir, 'sessions'))).toBe(true);
    expect(created).toMatchObject({ name: 'Alpha', status: 'idle', queueLength: 0, options: { model: 'sonnet' } });
    const list = await server.api('GET', '/api/sessions');
    expect(list.body.sessions.map((s: { id: string }) => s.id)).toContain(created.id);
    const patched = await server.api('PATCH', `/api/sessions/${created.id}`, { name: 'Beta', permissionMode: 'acceptEdits' });
    expect(patched.body).toMatchObject({ name: 'Beta', options: { model: 'sonnet', permissionMode: 'acceptEdits' } });
    expect((await server.api('GET', `/api/sessions/${created.id}`)).body.name).toBe('Beta');
  });

  it('accepts session_name as the name, as the session manager it replaces did', async () => {
    const created = await newSession(server, { session_name: 'legacy' });
    expect(created.name).toBe('legacy');
  });

  it('uses a folder inside the allowed roots', async () => {
    const dir = join(server.root, 'project');
    await mkdir(dir, { recursive: true });
    expect((await newSession(server, { cwd: dir })).cwd).toBe(dir);
    expect((await newSession(server, { cwd: 'project' })).cwd).toBe(dir);
  });

  it('refuses folders outside the roots, with "..", missing, or reached through a symlink that leads out', async () => {
    const outside = await tempDir('cr-outside-');
    await symlink(outside, join(server.root, 'escape'));
    const cases = [outside, `${server.root}/../${outside.split('/').pop()}`, join(server.root, 'nope'), join(server.root, 'escape'), '/etc'];
    for (const cwd of cases) {
      const res = await server.api('POST', '/api/sessions', { cwd });
      expect(res.status, cwd).toBe(400);
      expect(res.body.error.code, cwd).toBe('path_not_allowed');
    }
    const before = (await server.api('GET', '/api/sessions')).body.sessions.length;
    expect(before).toBe((await server.api('GET', '/api/sessions')).body.sessions.length);
  });

  it('deletes a session, and removes its own folder only with purge', async () => {
    const keep = await newSession(server);
    await writeFile(join(keep.cwd, 'a.txt'), 'x');
    expect((await server.api('DELETE', `/api/sessions/${keep.id}`)).body).toEqual({ deleted: true, purged: false });
    expect(await readFile(join(keep.cwd, 'a.txt'), 'utf8')).toBe('x');
    expect((await server.api('GET', `/api/sessions/${keep.id}`)).status).toBe(404);
    const purge = await newSession(server);
    expect((await server.api('DELETE', `/api/sessions/${purge.id}?purge=true`)).body).toEqual({ deleted: true, purged: true });
    await expect(readFile(join(purge.cwd, 'a.txt'))).rejects.toThrow();
  });
});

describe('folders and usage', () => {
  it('lists the allowed roots and the sub-folders of a folder inside them, never outside', async () => {
    await mkdir(join(server.root, 'alpha', 'deep'), { recursive: true });
    await mkdir(join(server.root, '.hidden'), { recursive: true });
    expect((await server.api('GET', '/api/roots')).body).toEqual({ roots: [server.root] });
    const list = await server.api('GET', `/api/folders?path=${encodeURIComponent(server.root)}`);
    expect(list.body.folders).toContain('alpha');
    expect(list.body.folders).not.toContain('.hidden');
    expect((await server.api('GET', `/api/folders?path=${encodeURIComponent(join(server.root, 'alpha'))}`)).body.folders).toEqual(['deep']);
    const outside = await server.api('GET', '/api/folders?path=/etc');
    expect(outside.status).toBe(400);
    expect(outside.body.error.code).toBe('path_not_allowed');
    expect((await server.api('GET', `/api/folders?path=${encodeURIComponent(server.root + '/../')}`)).status).toBe(400);
  });

  it('sums today\'s cost and tokens over the runs through this server', async () => {
    const before = (await server.api('GET', '/api/usage')).body.server;
    const s = await newSession(server);
    await server.api('POST', `/api/sessions/${s.id}/execute`, { prompt: 'count me' });
    const after = (await server.api('GET', '/api/usage')).body.server;
    expect(after.runs).toBe(before.runs + 1);
    expect(after.costUsd).toBeCloseTo(before.costUsd + 0.001, 9);
    expect(after.usage.outputTokens).toBeGreaterThan(before.usage.outputTokens);
  });
});

describe('bad input gets a clear JSON error and changes nothing', () => {
  it('malformed JSON is 400 invalid_json', async () => {
    const res = await server.api('POST', '/api/sessions', '{"name": ');
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: 'invalid_json' });
  });

  it('a known field of the wrong type is 400 validation_failed naming the field', async () => {
    const res = await server.api('POST', '/api/sessions', { name: 42, allowedTools: 'Read' });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('validation_failed');
    expect(res.body.error.message).toContain('name');
    expect(res.body.error.message).toContain('allowedTools');
  });

  it('an unknown permission mode is refused', async () => {
    const res = await server.api('POST', '/api/sessions', { permissionMode: 'yolo' });
    expect(res.status).toBe(400);
  });

  it('an empty prompt is 400 and an oversized one 413, and neither is queued', async () => {
    const s = await newSession(server);
    const empty = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: '   ' });
    expect(empty.status).toBe(400);
    const big = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'x'.repeat(100 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    const missing = await server.api('POST', `/api/sessions/${s.id}/messages`, {});
    expect(missing.status).toBe(400);
    expect((await server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs).toEqual([]);
  });

  it('a body over the limit is 413 before it is parsed', async () => {
    const s = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'y'.repeat(2 * 1024 * 1024) });
    expect(res.status).toBe(413);
  });

  it('unknown session ids are 404 on every session route', async () => {
    const id = 'no-such-session';
    const routes: Array<[string, string, unknown?]> = [
      ['GET', `/api/sessions/${id}`],
      ['PATCH', `/api/sessions/${id}`, { name: 'x' }],
      ['DELETE', `/api/sessions/${id}`],
      ['POST', `/api/sessions/${id}/messages`, { prompt: 'hi' }],
      ['GET', `/api/sessions/${id}/events`],
      ['GET', `/api/sessions/${id}/queue`],
      ['POST', `/api/sessions/${id}/interrupt`],
      ['POST', `/api/sessions/${id}/clear`],
      ['GET', `/api/sessions/${id}/storage`],
      ['POST', `/api/sessions/${id}/permissions/req1`, { behavior: 'allow' }],
    ];
    for (const [method, path, body] of routes) {
      const res = await server.api(method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code, `${method} ${path}`).toBe('session_not_found');
    }
  });

  it('unknown routes are JSON 404s', async () => {
    const res = await server.api('GET', '/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.body.error.code).toBe('not_found');
  });

  it('interrupting an idle session is 409 and cancelling an unknown run 404', async () => {
    const s = await newSession(server);
    expect((await server.api('POST', `/api/sessions/${s.id}/interrupt`)).status).toBe(409);
    expect((await server.api('DELETE', `/api/sessions/${s.id}/queue/nope`)).status).toBe(404);
  });
});

describe('storage', () => {
  it('lists and reads files of the session folder', async () => {
    const s = await newSession(server);
    await mkdir(join(s.cwd, 'sub'));
    await writeFile(join(s.cwd, 'sub', 'note.txt'), 'hello storage');
    const root = await server.api('GET', `/api/sessions/${s.id}/storage`);
    expect(root.body).toMatchObject({ type: 'dir', entries: [{ name: 'sub', type: 'dir' }] });
    const file = await server.api('GET', `/api/sessions/${s.id}/storage?path=sub/note.txt`);
    expect(file.status).toBe(200);
    expect(file.body).toBe('hello storage');
    expect(file.headers.get('content-disposition')).toContain('attachment');
    expect(file.headers.get('content-type')).toBe('application/octet-stream');
  });

  it('refuses paths that escape the session folder: plain, encoded, absolute and symlinked', async () => {
    const s = await newSession(server);
    const outside = await tempDir('cr-outside-');
    await writeFile(join(outside, 'secret.txt'), 'TOP-SECRET-CONTENT');
    await symlink(outside, join(s.cwd, 'link'));
    for (const path of ['../../etc/passwd', '%2e%2e%2f%2e%2e%2fetc%2fpasswd', '/etc/passwd', 'link/secret.txt', 'link', 'sub/../../x']) {
      const res = await server.api('GET', `/api/sessions/${s.id}/storage?path=${path}`);
      expect(res.status, path).toBe(400);
      expect(res.body.error.code, path).toBe('path_not_allowed');
      expect(JSON.stringify(res.body)).not.toContain('TOP-SECRET-CONTENT');
    }
    expect((await server.api('GET', `/api/sessions/${s.id}/storage?path=missing.txt`)).status).toBe(404);
  });
});

describe('runs with the scripted CLI', () => {
  it('runs a prompt and streams its events to the end', async () => {
    const s = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'hello there' });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ position: 1, duplicate: false });
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    const types = events.map((e) => e.type);
    expect(types.indexOf('run.queued')).toBeLessThan(types.indexOf('run.started'));
    expect(types).toContain('assistant.delta');
    const done = finishedRuns(events)[0];
    expect(done).toMatchObject({ status: 'success', result: 'Echo: hello there', costUsd: 0.001, numTurns: 1 });
    const seqs = events.map((e) => e.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(seqs.length);
    const view = (await server.api('GET', `/api/sessions/${s.id}`)).body;
    expect(view.totals).toMatchObject({ costUsd: 0.001, runs: 1 });
  });

  it('enqueues the same client request id once', async () => {
    const s = await newSession(server);
    const a = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'once', clientRequestId: 'req-1' });
    const b = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'once', clientRequestId: 'req-1' });
    expect(b.body.runId).toBe(a.body.runId);
    expect(b.body.duplicate).toBe(true);
    await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect((await server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs).toHaveLength(1);
  });

  it('a CLI crash mid-run ends the run as error with stderr, and the queue goes on', async () => {
    const s = await newSession(server);
    await server.api('POST', `/api/sessions/${s.id}/messages`, {
      prompt: fake([{ text: 'partial', chunks: 2 }, { stderr: 'boom: something broke' }, { crash: 3 }]),
    });
    await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'after the crash' });
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 2);
    const [crashed, next] = finishedRuns(events);
    expect(crashed).toMatchObject({ status: 'error', errorKind: 'cli_crashed' });
    // What streamed before the crash is kept as a message, so compact transcripts show it.
    const cut = events.find((e) => e.type === 'assistant.message' && 'runId' in e && e.runId === crashed?.runId);
    expect(cut).toMatchObject({ text: 'partial' });
    expect(crashed?.error).toContain('boom: something broke');
    expect(crashed?.error).toContain('code 3');
    expect(next).toMatchObject({ status: 'success', result: 'Echo: after the crash' });
  });

  it('garbage and huge lines from the CLI do not break the run', async () => {
    const s = await newSession(server);
    await server.api('POST', `/api/sessions/${s.id}/messages`, {
      prompt: fake([{ raw: 'this is not json' }, { bigLine: 5_000_000 }, { text: 'still fine' }]),
    });
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    expect(events.some((e) => e.type === 'notice' && e.text.includes('this is not json'))).toBe(true);
    const big = events.find((e) => e.type === 'assistant.message' && e.text.length >= 4_000_000);
    expect(big).toBeDefined();
    expect(finishedRuns(events)[0]).toMatchObject({ status: 'success', result: 'still fine' });
  });

  it('reports tool calls as started then finished', async () => {
    const s = await newSession(server);
    await server.api('POST', `/api/sessions/${s.id}/messages`, {
      prompt: fake([{ tool: { name: 'Bash', input: { command: 'ls -la' }, output: 'a\nb' } }, { tool: { name: 'Read', input: { file_path: '/x' }, output: 'nope', isError: true } }, { text: 'ok' }]),
    });
    const events = await collectEvents(server, s.id, (ev) => finishedRuns(ev).length === 1);
    const tools = events.filter((e) => e.type === 'tool.started' || e.type === 'tool.finished');
    expect(tools.map((e) => e.type)).toEqual(['tool.started', 'tool.finished', 'tool.started', 'tool.finished']);
    expect(tools[0]).toMatchObject({ name: 'Bash', summary: 'ls -la' });
    expect(tools[1]).toMatchObject({ ok: true, output: 'a\nb' });
    expect(tools[3]).toMatchObject({ ok: false, output: 'nope' });
  });
});
