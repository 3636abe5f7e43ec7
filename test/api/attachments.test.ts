/**
 * Files attached to prompts, through REST and the WebSocket, with the
 * scripted CLI (which shows each image block it receives as a marker with
 * the bytes' digest): what reaches the CLI, what is kept, and each limit
 * refused with nothing queued and nothing saved.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { GIF_1X1, PNG_1X1 } from '../support/images.js';
import { finishedOf, newSession, only, queuePrompt, runEvents, type SessionJson } from '../support/runs.js';
import { collectEvents, connectWs, startTestServer, tempDir, type TestServer } from '../support/server.js';

const MAX_MB = 2;
let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { WARM_PREWARM: 'false', MAX_ATTACHMENT_MB: String(MAX_MB) } });
});
afterAll(async () => {
  await server.close();
});

const b64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');
const marker = (mediaType: string, bytes: Buffer) =>
  `[image ${mediaType} ${bytes.length} bytes sha256:${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}]`;
const png = (name = 'shot.png') => ({ name, mediaType: 'image/png', data: b64(PNG_1X1) });

/** The assistant's text of a finished run (the scripted CLI echoes what it was sent). */
async function answerOf(session: SessionJson, runId: string): Promise<string> {
  const events = await runEvents(server, session.id, runId);
  return only(events, 'assistant.message').map((e) => e.text).join('\n');
}

describe('attachments', () => {
  it('sends images as image blocks and names text files in the prompt; both are kept under attachments/', async () => {
    const session = await newSession(server);
    const notes = 'line one\nline two\n';
    const { runId } = await queuePrompt(server, session.id, 'What is in these?', {
      attachments: [png(), { name: 'notes.txt', mediaType: 'text/plain; charset=utf-8', data: b64(notes) }, { name: 'anim.gif', mediaType: 'image/gif', data: `data:image/gif;base64,${b64(GIF_1X1)}` }],
    });
    const answer = await answerOf(session, runId);
    expect(answer).toBe(
      `Echo: ${marker('image/png', PNG_1X1)}\n${marker('image/gif', GIF_1X1)}\nWhat is in these?\n\nAttached files (in this folder): attachments/notes.txt`,
    );
    expect(await readFile(join(session.cwd, 'attachments/notes.txt'), 'utf8')).toBe(notes);
    expect((await readFile(join(session.cwd, 'attachments/shot.png'))).equals(PNG_1X1)).toBe(true);

    const infos = [
      { name: 'shot.png', mediaType: 'image/png', size: PNG_1X1.length, kind: 'image', path: 'attachments/shot.png' },
      { name: 'notes.txt', mediaType: 'text/plain', size: notes.length, kind: 'text', path: 'attachments/notes.txt' },
      { name: 'anim.gif', mediaType: 'image/gif', size: GIF_1X1.length, kind: 'image', path: 'attachments/anim.gif' },
    ];
    const run = (await server.api('GET', `/api/sessions/${session.id}/runs/${runId}`)).body;
    expect(run).toMatchObject({ prompt: 'What is in these?', attachments: infos });
    const queued = only(await runEvents(server, session.id, runId), 'run.queued')[0];
    expect(queued?.attachments).toEqual(infos);
    // The transcript's thumbnail comes from the file browser.
    const thumb = await fetch(`${server.url}/api/sessions/${session.id}/files/raw?path=attachments/shot.png`);
    expect(thumb.headers.get('content-type')).toBe('image/png');
    await thumb.arrayBuffer();
  });

  it('takes a picture with no words, and numbers a name already used instead of overwriting it', async () => {
    const session = await newSession(server);
    const first = await queuePrompt(server, session.id, '', { attachments: [png()] });
    expect(await answerOf(session, first.runId)).toBe(`Echo: ${marker('image/png', PNG_1X1)}`);
    const second = await queuePrompt(server, session.id, 'again', { attachments: [png()] });
    await answerOf(session, second.runId);
    expect((await readdir(join(session.cwd, 'attachments'))).sort()).toEqual(['shot-2.png', 'shot.png']);
  });

  it('accepts a picture larger than the 1 MiB JSON limit, within MAX_ATTACHMENT_MB', async () => {
    const session = await newSession(server);
    const big = Buffer.concat([PNG_1X1, Buffer.alloc(1.5 * 1024 * 1024, 7)]);
    const { runId } = await queuePrompt(server, session.id, 'big', { attachments: [{ name: 'big.png', mediaType: 'image/png', data: b64(big) }] });
    expect(await answerOf(session, runId)).toContain(marker('image/png', big));
    // Other routes keep the small limit.
    const patch = await server.api('PATCH', `/api/sessions/${session.id}`, { name: 'x', systemPrompt: 'y'.repeat(2 * 1024 * 1024) });
    expect(patch.status).toBe(413);
  });

  it('gives back the first run for a repeated request id, without saving its attachments twice', async () => {
    const session = await newSession(server);
    const body = { clientRequestId: 'same-1', attachments: [png()] };
    const first = await queuePrompt(server, session.id, 'once', body);
    const again = await queuePrompt(server, session.id, 'once', body);
    expect(again).toMatchObject({ runId: first.runId, duplicate: true });
    await answerOf(session, first.runId);
    expect(await readdir(join(session.cwd, 'attachments'))).toEqual(['shot.png']);
  });

  it('takes attachments in a WebSocket submit frame larger than the usual frame limit', async () => {
    const session = await newSession(server);
    const big = Buffer.concat([PNG_1X1, Buffer.alloc(600 * 1024, 1)]);
    const client = await connectWs(server.url);
    try {
      client.send({ type: 'submit', id: 'f1', sessionId: session.id, prompt: 'over ws', clientRequestId: 'ws-1', attachments: [{ name: 'ws.png', mediaType: 'image/png', data: b64(big) }] });
      const reply = await client.waitFor((f): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === 'f1');
      expect(reply.ok, JSON.stringify(reply)).toBe(true);
      const runId = (reply as { data: { runId: string } }).data.runId;
      expect(await answerOf(session, runId)).toBe(`Echo: ${marker('image/png', big)}\nover ws`);
      client.send({ type: 'submit', id: 'f2', sessionId: session.id, prompt: 'pdf', clientRequestId: 'ws-2', attachments: [{ name: 'a.pdf', mediaType: 'application/pdf', data: b64('%PDF') }] });
      const refused = await client.waitFor((f): f is Extract<ServerFrame, { type: 'reply' }> => f.type === 'reply' && f.id === 'f2');
      expect(refused).toMatchObject({ ok: false, error: { code: 'unsupported_media_type' } });
    } finally {
      await client.close();
    }
  });
});

describe('attachments refused: nothing queued, nothing saved', () => {
  const cases: Array<[string, unknown[], number, RegExp, string?]> = [
    ['more than ten', Array.from({ length: 11 }, (_, i) => png(`p${i}.png`)), 413, /11 files are attached; at most 10/],
    ['one over MAX_ATTACHMENT_MB', [png(), { name: 'huge.png', mediaType: 'image/png', data: b64(Buffer.alloc(MAX_MB * 1024 * 1024 + 1)) }], 413, /huge.png is 2.0 MB; an attached file may be at most 2.0 MB/],
    ['a type that is neither image nor text', [{ name: 'doc.pdf', mediaType: 'application/pdf', data: b64('%PDF-1.7') }], 415, /doc.pdf is application\/pdf: attach images/],
    ['an SVG (it can hold script)', [{ name: 'a.svg', mediaType: 'image/svg+xml', data: b64('<svg/>') }], 415, /a.svg is image\/svg\+xml/],
    ['an image whose bytes are another type', [{ name: 'fake.png', mediaType: 'image/png', data: b64(GIF_1X1) }], 415, /fake.png does not look like image\/png/],
    ['a text file that is not UTF-8', [{ name: 'x.txt', mediaType: 'text/plain', data: b64(Buffer.from([0x66, 0x00, 0xff])) }], 415, /x.txt is not UTF-8 text/],
    ['data that is not base64', [{ name: 'n.txt', mediaType: 'text/plain', data: 'not base64!' }], 400, /n.txt: data is not base64/],
    ['a missing name', [{ mediaType: 'text/plain', data: '' }], 400, /attachments.0.name/],
    ['no prompt and no attachment', [], 400, /prompt must not be empty/, ''],
  ];
  for (const [what, attachments, status, message, prompt] of cases) {
    it(`refuses ${what} with ${status}`, async () => {
      const session = await newSession(server);
      const res = await server.api('POST', `/api/sessions/${session.id}/messages`, { prompt: prompt ?? 'look', attachments });
      expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(status);
      expect(res.body.error.message).toMatch(message);
      expect((await server.api('GET', `/api/sessions/${session.id}/runs`)).body.runs).toEqual([]);
      expect(existsSync(join(session.cwd, 'attachments')) ? await readdir(join(session.cwd, 'attachments')) : []).toEqual([]);
    });
  }

  it('refuses malformed JSON on the attachments route as on any other (400 invalid_json)', async () => {
    const session = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${session.id}/messages`, '{"prompt": "x", "attachments": [');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
    expect((await server.api('GET', `/api/sessions/${session.id}/runs`)).body.runs).toEqual([]);
    expect((await server.api('POST', '/api/sessions/nope/messages', { prompt: 'x', attachments: [png()] })).body.error.code).toBe('session_not_found');
  });

  it('refuses a body over the attachments limit with 413, before reading it all', async () => {
    const session = await newSession(server);
    const res = await server.api('POST', `/api/sessions/${session.id}/messages`, { prompt: 'x', attachments: [{ name: 'a.txt', mediaType: 'text/plain', data: 'A'.repeat(40 * 1024 * 1024) }] });
    expect(res.status).toBe(413);
    expect(res.body.error.message).toMatch(/request body is too large \(the limit here is \d+ bytes\)/);
  });

  it('removes what it saved when the queue is full', async () => {
    const full = await startTestServer({ maxQueueLength: 1, maxConcurrentRuns: 1, config: { WARM_PREWARM: 'false' } });
    try {
      const session = await newSession(full);
      const running = await queuePrompt(full, session.id, 'FAKE {"sleep":30000}');
      await collectEvents(full, session.id, (all) => all.some((e) => e.type === 'run.started' && e.runId === running.runId));
      await queuePrompt(full, session.id, 'second waits');
      const res = await full.api('POST', `/api/sessions/${session.id}/messages`, { prompt: 'third', attachments: [png()] });
      expect(res.status).toBe(429);
      expect(await readdir(join(session.cwd, 'attachments'))).toEqual([]);
    } finally {
      await full.close();
    }
  });
});

describe('an attachment gone before its prompt runs', () => {
  it('ends that run as refused, saying which file, and the queue goes on', async () => {
    const session = await newSession(server);
    // The first run waits for a permission answer, so the picture's prompt cannot start before it is gone.
    const blocker = await queuePrompt(server, session.id, 'FAKE {"tool":{"name":"Bash","input":{"command":"ls"},"output":"","ask":true}}');
    const { runId } = await queuePrompt(server, session.id, 'look', { attachments: [png('gone.png')] });
    const next = await queuePrompt(server, session.id, 'next');
    const asked = await collectEvents(server, session.id, (all) => all.some((e) => e.type === 'permission.requested'));
    const request = only(asked, 'permission.requested')[0];
    await rm(join(session.cwd, 'attachments', 'gone.png'));
    await server.api('POST', `/api/sessions/${session.id}/permissions/${request?.requestId}`, { behavior: 'deny' });
    await runEvents(server, session.id, blocker.runId);
    expect(finishedOf(await runEvents(server, session.id, runId))).toMatchObject({
      status: 'error',
      errorKind: 'refused',
      error: 'The attached image attachments/gone.png is no longer in the session folder.',
    });
    expect(finishedOf(await runEvents(server, session.id, next.runId)).status).toBe('success');
  });
});

describe('attachments across a restart', () => {
  it('a queued prompt keeps its picture: after a restart it runs with the same bytes', async () => {
    const dataDir = await tempDir('cr-attach-restart-');
    const first = await startTestServer({ dataDir, maxConcurrentRuns: 1, config: { WARM_PREWARM: 'false' } });
    const session = await newSession(first);
    const running = await queuePrompt(first, session.id, 'FAKE {"sleep":60000}');
    await collectEvents(first, session.id, (all) => all.some((e) => e.type === 'run.started' && e.runId === running.runId));
    const { runId } = await queuePrompt(first, session.id, 'after', { attachments: [png('kept.png')] });
    await first.close();
    const second = await startTestServer({ dataDir, allowedRoots: [first.root], maxConcurrentRuns: 1, config: { WARM_PREWARM: 'false' } });
    try {
      const events = await runEvents(second, session.id, runId);
      expect(only(events, 'assistant.message').map((e) => e.text)).toEqual([`Echo: ${marker('image/png', PNG_1X1)}\nafter`]);
    } finally {
      await second.close();
    }
  });
});
