/**
 * Attacks on the doors, each reproduced against a real server (real HTTP,
 * WebSocket, files and symlinks), each shown refused with nothing created,
 * run or changed, and the server still answering. The findings they come
 * from are listed in docs/security.md.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { attachmentsBodyBytes } from '../../server/protocol/limits.js';
import {
  collectEvents,
  connectWs,
  fake,
  finishedRuns,
  rawRequest,
  spawnServerProcess,
  startTestServer,
  tempDir,
  upgradeStatus,
  waitUntil,
  type ServerProcess,
  type TestServer,
} from '../support/server.js';

const TOKEN = 'tok_attack_suite_0123456789';
const bearer = { authorization: `Bearer ${TOKEN}` };
const processes: ServerProcess[] = [];
afterEach(() => {
  for (const p of processes.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

describe('1. no client input ends the process', () => {
  it('survives a subscribe to a session that does not exist (and other hostile frames), without needing the last line of defence', async () => {
    const root = await tempDir('cr-frames-root-');
    const server = await spawnServerProcess({ DATA_DIR: await tempDir('cr-frames-'), ALLOWED_ROOTS: root, MAX_ATTACHMENT_MB: '1' });
    processes.push(server);
    const client = await connectWs(server.url);
    client.send({ type: 'subscribe', id: 'a', sessionId: 'deleted-on-another-device', after: 0 });
    client.send({ type: 'subscribe', id: 'b', sessionId: 'deleted-on-another-device', after: 0, tailRuns: 50 });
    client.send({ type: 'hello', id: 'c', resume: { 'also-gone': 3 } });
    client.send({ type: 'unsubscribe', id: 'd', sessionId: 'never-followed' });
    client.send({ type: 'subscribe', id: 'e', sessionId: 'x'.repeat(100), after: -1 });
    client.ws.send('{not json');
    client.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    const reply = await client.waitFor((f): f is Extract<typeof f, { type: 'reply' }> => f.type === 'reply' && f.id === 'e');
    expect(reply.ok).toBe(false);
    const first = client.frames.find((f) => f.type === 'reply' && f.id === 'a');
    expect(first).toMatchObject({ ok: false, error: { code: 'session_not_found' } });
    await client.close();
    // A frame past the size limit closes that socket, not the server.
    const big = await connectWs(server.url);
    const closed = new Promise<number>((resolve) => big.ws.once('close', (code) => resolve(code)));
    big.ws.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(attachmentsBodyBytes(1024 * 1024)) }));
    expect(await closed).toBe(1009);

    // A full round trip after every hostile frame: the server has long handled them all.
    const after = await connectWs(server.url);
    after.send({ type: 'ping', id: 'p' });
    await after.waitFor((f): f is Extract<typeof f, { type: 'pong' }> => f.type === 'pong');
    await after.close();
    expect(server.child.exitCode).toBeNull();
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    // Fixed at the source: the safety net below had nothing to catch.
    expect(server.output()).not.toContain('BUG:');
  });

  it('keeps serving when a promise rejects unhandled or an exception escapes: the last line of defence logs it', async () => {
    const main = fileURLToPath(new URL('../../server/main.ts', import.meta.url));
    const log = fileURLToPath(new URL('../../server/log.ts', import.meta.url));
    const script = `
      import { installLastLineOfDefence } from ${JSON.stringify(main)};
      import { createLogger } from ${JSON.stringify(log)};
      installLastLineOfDefence(createLogger('info'));
      Promise.reject(new Error('a rejection nobody handled'));
      setTimeout(() => { throw new Error('an exception nobody caught'); }, 10);
      setTimeout(() => { console.log('still serving'); process.exit(0); }, 300);`;
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    expect(code).toBe(0);
    expect(out).toContain('still serving');
    // Logged as JSON lines (stderr is a pipe), each with the error and its stack.
    const logged = out
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as { msg: string; err: { message: string; stack: string } });
    const bug = (msg: RegExp, message: string) =>
      expect.objectContaining({ msg: expect.stringMatching(msg), err: expect.objectContaining({ message, stack: expect.stringContaining(`Error: ${message}`) }) });
    expect(logged).toContainEqual(bug(/^BUG: an unhandled promise rejection/, 'a rejection nobody handled'));
    expect(logged).toContainEqual(bug(/^BUG: an uncaught exception/, 'an exception nobody caught'));
  });
});

describe('2. a web page cannot drive the default install (DNS rebinding, foreign origins)', () => {
  let server: TestServer;
  let marker: string;
  beforeAll(async () => {
    server = await startTestServer({ config: { MCP_CONFIG: 'any' } });
    marker = join(server.root, 'pwned');
  });
  afterAll(() => server.close());

  const port = () => new URL(server.url).port;
  const sessionsCount = async () => (await server.api('GET', '/api/sessions')).body.sessions.length as number;
  // What the rebinding page sent: a session whose MCP server is a shell command, then a prompt.
  const evilSession = () => ({ mcpConfig: { mcpServers: { x: { command: 'sh', args: ['-c', `touch ${marker}`] } } } });

  it('refuses a rebound host name on every request, before anything is created', async () => {
    const before = await sessionsCount();
    const host = `rebound.example:${port()}`;
    const origin = `http://${host}`;
    const made = await rawRequest(server.url, { method: 'POST', path: '/api/sessions', headers: { host, origin }, body: JSON.stringify(evilSession()) });
    expect(made.status).toBe(403);
    expect(JSON.parse(made.text).error).toMatchObject({ code: 'host_not_allowed' });
    expect(JSON.parse(made.text).error.message).toContain('ALLOWED_HOSTS');
    const read = await rawRequest(server.url, { path: '/api/sessions', headers: { host } });
    expect(read.status).toBe(403);
    expect(read.text).not.toContain('"sessions"');
    expect(await upgradeStatus(server.url, { host, origin })).toBe(403);
    expect(await sessionsCount()).toBe(before);
    expect(existsSync(marker)).toBe(false);
  });

  it('refuses state-changing requests and upgrades from a foreign Origin even on a loopback host name', async () => {
    const before = await sessionsCount();
    const s = (await server.api('POST', '/api/sessions', {})).body;
    for (const origin of ['http://evil.example', 'null', `https://127.0.0.1:${port()}`, 'http://127.0.0.1:1']) {
      const made = await server.api('POST', '/api/sessions', evilSession(), { origin });
      expect(made.status, origin).toBe(403);
      expect(made.body.error.code).toBe('origin_not_allowed');
      const sent = await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'hi' }, { origin });
      expect(sent.status, origin).toBe(403);
      expect(await upgradeStatus(server.url, { origin }), origin).toBe(403);
    }
    expect(await sessionsCount()).toBe(before + 1);
    expect((await server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs).toEqual([]);
  });

  it('still serves scripts (no Origin) and the app itself (its own Origin) on every loopback name', async () => {
    for (const host of [`127.0.0.1:${port()}`, `localhost:${port()}`, `[::1]:${port()}`, 'localhost']) {
      const res = await rawRequest(server.url, { method: 'POST', path: '/api/sessions', headers: { host }, body: '{}' });
      expect(res.status, host).toBe(201);
    }
    const own = await server.api('POST', '/api/sessions', {}, { origin: server.url });
    expect(own.status).toBe(201);
    expect(await upgradeStatus(server.url, { origin: server.url })).toBe(101);
  });

  it('answers to the host names the owner lists in ALLOWED_HOSTS, and only those', async () => {
    const other = await startTestServer({ config: { ALLOWED_HOSTS: 'devbox, build.lan:9000' } });
    try {
      const p = new URL(other.url).port;
      expect((await rawRequest(other.url, { path: '/api/sessions', headers: { host: `devbox:${p}` } })).status).toBe(200);
      expect((await rawRequest(other.url, { path: '/api/sessions', headers: { host: 'build.lan:9000' } })).status).toBe(200);
      expect((await rawRequest(other.url, { path: '/api/sessions', headers: { host: 'build.lan:9001' } })).status).toBe(403);
      expect((await rawRequest(other.url, { path: '/api/sessions', headers: { host: `devbox.evil.example:${p}` } })).status).toBe(403);
    } finally {
      await other.close();
    }
  });

  it('lets any host name through once a secret is set (the tunnel, a LAN name): the secret is what counts', async () => {
    const guarded = await startTestServer({ config: { AUTH_TOKEN: TOKEN } });
    try {
      const host = 'you.ngrok.app';
      expect((await rawRequest(guarded.url, { path: '/api/sessions', headers: { host, ...bearer } })).status).toBe(200);
      expect((await rawRequest(guarded.url, { path: '/api/sessions', headers: { host } })).status).toBe(401);
    } finally {
      await guarded.close();
    }
  });
});

describe('3. one failure limit for every door', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ config: { AUTH_TOKEN: TOKEN } });
  });
  afterAll(() => server.close());

  const api = (from: string, headers: Record<string, string>) => rawRequest(server.url, { path: '/api/sessions', headers, localAddress: from });

  it('counts failed WebSocket upgrades, and honours the lock there', async () => {
    const from = '127.0.4.1';
    for (let i = 0; i < 10; i++) expect(await upgradeStatus(server.url, { authorization: `Bearer wrong-${i}` }, { localAddress: from })).toBe(401);
    expect(await upgradeStatus(server.url, bearer, { localAddress: from })).toBe(429);
    expect((await api(from, bearer)).status).toBe(429);
    expect(await upgradeStatus(server.url, bearer, { localAddress: '127.0.4.11' })).toBe(101);
  });

  it('answers /health with a wrong secret exactly as with none, and counts it', async () => {
    const from = '127.0.4.2';
    const none = await rawRequest(server.url, { path: '/health', localAddress: from });
    const wrong = await rawRequest(server.url, { path: '/health', headers: { authorization: 'Bearer guess' }, localAddress: from });
    expect(wrong.status).toBe(none.status);
    expect(wrong.text).toBe(none.text);
    expect(wrong.headers['content-type']).toBe(none.headers['content-type']);
    expect(wrong.headers['www-authenticate']).toBe(none.headers['www-authenticate']);
    for (let i = 0; i < 9; i++) await rawRequest(server.url, { path: '/health', headers: { authorization: `Bearer guess-${i}` }, localAddress: from });
    // Ten guesses through /health lock the client out of every door; the right secret gets no special answer there either.
    expect((await api(from, bearer)).status).toBe(429);
    const right = await rawRequest(server.url, { path: '/health', headers: bearer, localAddress: from });
    expect(right.text).toBe(none.text);
  });

  it('does not believe X-Forwarded-For from a loopback connection', async () => {
    const from = '127.0.4.3';
    for (let i = 0; i < 10; i++) {
      const res = await api(from, { authorization: `Bearer wrong-${i}`, 'x-forwarded-for': `198.51.100.${i}` });
      expect(res.status).toBe(401);
    }
    expect((await api(from, { ...bearer, 'x-forwarded-for': '198.51.100.200' })).status).toBe(429);
  });
});

describe('4. no work before authentication, and limits that hold', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      config: { AUTH_TOKEN: TOKEN },
      overrides: { timeouts: { headersMs: 400, requestMs: 800, checkIntervalMs: 100 } },
    });
  });
  afterAll(() => server.close());

  it('refuses a body without credentials before parsing it: invalid JSON is a 401, not a 400', async () => {
    const res = await rawRequest(server.url, { method: 'POST', path: '/api/sessions', body: '{"name": ' });
    expect(res.status).toBe(401);
  });

  it('answers an unauthenticated request announcing a large body at once, without waiting for the body', async () => {
    const { url } = server;
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1', () => {
        socket.write('POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n[[[[[[');
      });
      let text = '';
      socket.on('data', (c: Buffer) => {
        text += c.toString();
        if (text.includes('\r\n\r\n')) {
          socket.destroy();
          resolve(text);
        }
      });
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 401/);
  });

  it('drops a client that sends its headers or body too slowly, and keeps serving others', async () => {
    const port = Number(new URL(server.url).port);
    const endsWithin = (send: (s: ReturnType<typeof connect>) => void) =>
      new Promise<string>((resolve, reject) => {
        let text = '';
        const socket = connect(port, '127.0.0.1', () => send(socket));
        socket.on('data', (c: Buffer) => (text += c.toString()));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
        setTimeout(() => reject(new Error('the slow connection was never closed')), 20_000).unref();
      });
    // Headers that never finish.
    const slowHeaders = await endsWithin((s) => s.write('GET /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    expect(slowHeaders).toMatch(/^(HTTP\/1\.1 408|$)/);
    // A body that never finishes.
    const slowBody = await endsWithin((s) =>
      s.write(`POST /api/sessions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"na`),
    );
    expect(slowBody).toMatch(/^(HTTP\/1\.1 408|$)/);
    expect((await server.api('GET', '/api/sessions', undefined, bearer)).status).toBe(200);
  });

  it('caps the event streams and WebSockets one client holds open, and says so', async () => {
    const s = (await server.api('POST', '/api/sessions', {}, bearer)).body;
    const from = '127.0.5.1';
    const open: Array<{ destroy(): void }> = [];
    const openStream = () =>
      new Promise<number>((resolve, reject) => {
        const socket = connect({ port: Number(new URL(server.url).port), host: '127.0.0.1', localAddress: from }, () =>
          socket.write(`GET /api/sessions/${s.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${TOKEN}\r\n\r\n`),
        );
        let text = '';
        socket.on('data', (c: Buffer) => {
          text += c.toString();
          const status = /^HTTP\/1\.1 (\d+)/.exec(text);
          if (status) resolve(Number(status[1]));
        });
        socket.on('error', reject);
        open.push(socket);
      });
    try {
      for (let i = 0; i < 32; i++) expect(await openStream()).toBe(200);
      const over = await rawRequest(server.url, { path: `/api/sessions/${s.id}/events`, headers: bearer, localAddress: from });
      expect(over.status).toBe(429);
      expect(JSON.parse(over.text).error).toMatchObject({ code: 'too_many_connections' });
      expect(JSON.parse(over.text).error.message).toContain('32');
      expect(await upgradeStatus(server.url, bearer, { localAddress: from })).toBe(429);
      // Nothing was queued by a refused streaming submit either.
      const submit = await rawRequest(server.url, {
        method: 'POST',
        path: `/api/sessions/${s.id}/messages`,
        headers: { ...bearer, accept: 'text/event-stream' },
        body: JSON.stringify({ prompt: 'hi' }),
        localAddress: from,
      });
      expect(submit.status).toBe(429);
      expect((await server.api('GET', `/api/sessions/${s.id}/runs`, undefined, bearer)).body.runs).toEqual([]);
      // Another client is not affected; a closed stream frees its place.
      expect(await upgradeStatus(server.url, bearer, { localAddress: '127.0.5.2' })).toBe(101);
      open.pop()?.destroy();
      await waitUntil(async () => (await upgradeStatus(server.url, bearer, { localAddress: from })) === 101, 5000, 'a freed place');
    } finally {
      for (const socket of open) socket.destroy();
    }
  });
});

describe('5. the allowed roots are checked at every use', () => {
  let server: TestServer;
  let outside: string;
  beforeAll(async () => {
    server = await startTestServer({ killGraceMs: 200 });
    outside = await tempDir('cr-outside-');
    writeFileSync(join(outside, 'secret.txt'), 'the private key');
  });
  afterAll(() => server.close());

  const swapForLink = (folder: string) => {
    rmSync(folder, { recursive: true, force: true });
    symlinkSync(outside, folder);
  };
  const restore = (folder: string) => {
    rmSync(folder, { force: true });
    mkdirSync(folder);
  };

  it('refuses storage reads and runs once the folder was swapped for a link outside, and the queue goes on', async () => {
    const folder = join(server.root, 'project');
    mkdirSync(folder);
    const s = (await server.api('POST', '/api/sessions', { cwd: folder })).body;
    swapForLink(folder);
    for (const path of ['', 'secret.txt']) {
      const res = await server.api('GET', `/api/sessions/${s.id}/storage?path=${path}`);
      expect(res.status).toBe(400);
      expect(res.body.error.code).toBe('path_not_allowed');
      expect(JSON.stringify(res.body)).not.toContain('private key');
      expect(JSON.stringify(res.body)).not.toContain('secret.txt"');
    }
    const a = (await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: fake([{ raw: 'never' }]) })).body;
    const b = (await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'hello' })).body;
    let events = await collectEvents(server, s.id, (e) => finishedRuns(e).length >= 2);
    expect(finishedRuns(events).map((e) => [e.runId, e.status, e.errorKind])).toEqual([
      [a.runId, 'error', 'refused'],
      [b.runId, 'error', 'refused'],
    ]);
    expect(finishedRuns(events)[0]?.error).toContain('outside the allowed roots');
    expect(events.some((e) => e.type === 'run.started')).toBe(false);
    restore(folder);
    const c = (await server.api('POST', `/api/sessions/${s.id}/messages`, { prompt: 'hello' })).body;
    events = await collectEvents(server, s.id, (e) => finishedRuns(e).length >= 3);
    expect(finishedRuns(events)[2]).toMatchObject({ runId: c.runId, status: 'success' });
  });

  it('checks a session of its own against the data folder, and extra folders against the roots', async () => {
    const own = (await server.api('POST', '/api/sessions', {})).body;
    swapForLink(own.cwd);
    expect((await server.api('GET', `/api/sessions/${own.id}/storage`)).status).toBe(400);
    await server.api('POST', `/api/sessions/${own.id}/messages`, { prompt: 'hello' });
    let events = await collectEvents(server, own.id, (e) => finishedRuns(e).length >= 1);
    expect(finishedRuns(events)[0]).toMatchObject({ status: 'error', errorKind: 'refused' });

    const extra = join(server.root, 'extra');
    mkdirSync(extra);
    const withDir = (await server.api('POST', '/api/sessions', { addDirs: [extra] })).body;
    swapForLink(extra);
    await server.api('POST', `/api/sessions/${withDir.id}/messages`, { prompt: 'hello' });
    events = await collectEvents(server, withDir.id, (e) => finishedRuns(e).length >= 1);
    expect(finishedRuns(events)[0]).toMatchObject({ status: 'error', errorKind: 'refused' });
  });

  it('lists a link that leads outside the folder without its target\'s size or time', async () => {
    const s = (await server.api('POST', '/api/sessions', {})).body;
    writeFileSync(join(s.cwd, 'inside.txt'), 'hello');
    symlinkSync(join(outside, 'secret.txt'), join(s.cwd, 'out-link'));
    symlinkSync(join(s.cwd, 'inside.txt'), join(s.cwd, 'in-link'));
    const entries = (await server.api('GET', `/api/sessions/${s.id}/storage`)).body.entries as Array<Record<string, unknown>>;
    expect(entries.find((e) => e.name === 'out-link')).toEqual({ name: 'out-link', type: 'link' });
    expect(entries.find((e) => e.name === 'in-link')).toMatchObject({ name: 'in-link', type: 'file', size: 5 });
    expect((await server.api('GET', `/api/sessions/${s.id}/storage?path=out-link`)).status).toBe(400);
  });

  it('gives the same answer for a folder outside the roots whether it exists or not', async () => {
    const existing = await server.api('POST', '/api/sessions', { cwd: outside });
    const missing = await server.api('POST', '/api/sessions', { cwd: `${outside}-no-such-folder/deeper` });
    expect(existing.status).toBe(400);
    expect(missing.status).toBe(400);
    const shape = (body: { error: { code: string; message: string } }, path: string) => ({ ...body.error, message: body.error.message.replace(path, 'P') });
    expect(shape(existing.body, outside)).toEqual(shape(missing.body, `${outside}-no-such-folder/deeper`));
    const listed = await server.api('GET', `/api/folders?path=${encodeURIComponent(outside)}`);
    const notThere = await server.api('GET', `/api/folders?path=${encodeURIComponent('/no/such/place')}`);
    expect(shape(listed.body, outside)).toEqual(shape(notThere.body, '/no/such/place'));
    // Inside the roots, a missing folder is simply missing.
    expect((await server.api('POST', '/api/sessions', { cwd: join(server.root, 'not-yet') })).body.error.message).toContain('does not exist');
  });
});

describe('6. logins end, with their sockets', () => {
  const PASSWORD = 'revocable-password-1';
  const loginCookie = async (url: string) => {
    const res = await fetch(`${url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    expect(res.status).toBe(200);
    return (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  };
  const socketWith = async (url: string, cookie: string) => {
    const ws = new WebSocket(`${url.replace('http', 'ws')}/ws`, { headers: { cookie, origin: url } });
    await new Promise((resolve, reject) => {
      ws.once('open', resolve);
      ws.once('error', reject);
    });
    const closed = new Promise<number>((resolve) => ws.once('close', (code) => resolve(code)));
    return { ws, closed };
  };

  it('closes the sockets of a login when it logs out, and only those', async () => {
    const server = await startTestServer({ config: { AUTH_PASSWORD: PASSWORD } });
    try {
      const [mine, other] = [await loginCookie(server.url), await loginCookie(server.url)];
      const a = await socketWith(server.url, mine);
      const b = await socketWith(server.url, other);
      const out = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie: mine, origin: server.url } });
      expect(out.status).toBe(200);
      expect(await a.closed).toBe(4401);
      expect(b.ws.readyState).toBe(WebSocket.OPEN);
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: mine } })).status).toBe(401);
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: other } })).status).toBe(200);
      b.ws.close();
    } finally {
      await server.close();
    }
  });

  it('logs out everywhere: every browser login and its sockets end; API secrets keep working', async () => {
    const server = await startTestServer({ config: { AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: TOKEN } });
    try {
      const [phone, desk] = [await loginCookie(server.url), await loginCookie(server.url)];
      const a = await socketWith(server.url, phone);
      const b = await socketWith(server.url, desk);
      const foreign = await fetch(`${server.url}/api/auth/logout-everywhere`, { method: 'POST', headers: { cookie: desk, origin: 'https://evil.example' } });
      expect(foreign.status).toBe(403);
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: phone } })).status).toBe(200);
      const res = await fetch(`${server.url}/api/auth/logout-everywhere`, { method: 'POST', headers: { cookie: desk, origin: server.url } });
      expect(await res.json()).toMatchObject({ ok: true, ended: 2 });
      expect([await a.closed, await b.closed]).toEqual([4401, 4401]);
      for (const cookie of [phone, desk]) expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie } })).status).toBe(401);
      expect((await fetch(`${server.url}/api/sessions`, { headers: bearer })).status).toBe(200);
    } finally {
      await server.close();
    }
  });

  it('ends every login made with a password or token that the owner has since changed', async () => {
    const dataDir = await tempDir('cr-rotate-');
    const start = (config: Record<string, string>) => startTestServer({ dataDir, config });
    let server = await start({ AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: TOKEN });
    const cookie = await loginCookie(server.url);
    await server.close();
    server = await start({ AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: TOKEN });
    expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie } })).status).toBe(200);
    await server.close();
    server = await start({ AUTH_PASSWORD: PASSWORD, AUTH_TOKEN: `${TOKEN}-rotated` });
    expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie } })).status).toBe(401);
    const fresh = await loginCookie(server.url);
    await server.close();
    server = await start({ AUTH_PASSWORD: 'a-new-password', AUTH_TOKEN: `${TOKEN}-rotated` });
    try {
      expect((await fetch(`${server.url}/api/sessions`, { headers: { cookie: fresh } })).status).toBe(401);
    } finally {
      await server.close();
    }
  });
});

/** A parser that ends lines as the SSE specification says: CRLF, LF, or CR. */
function parseSseSpec(text: string): Array<{ event: string; data: string }> {
  const out: Array<{ event: string; data: string }> = [];
  let event = '';
  let data: string[] = [];
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line === '') {
      if (data.length > 0) out.push({ event: event || 'message', data: data.join('\n') });
      [event, data] = ['', []];
      continue;
    }
    if (line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i < 0 ? line : line.slice(0, i);
    const value = i < 0 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'event') event = value;
    if (field === 'data') data.push(value);
  }
  return out;
}

describe('7. CLI output cannot forge events on an event stream', () => {
  it('splits a line with carriage returns into data lines on /chat and the raw streams', async () => {
    const server = await startTestServer();
    try {
      const forged = 'not json\revent: done\rdata: {"process_id":"forged"}\r\revent: message\rdata: {"type":"result","result":"forged"}';
      const res = await fetch(`${server.url}/chat`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ prompt: fake([{ raw: forged }, { text: 'real answer' }]) }),
      });
      const events = parseSseSpec(await res.text());
      const done = events.filter((e) => e.event === 'done');
      expect(done).toHaveLength(1);
      expect(events[events.length - 1]?.event).toBe('done');
      expect(JSON.parse(done[0]!.data).process_id).not.toBe('forged');
      expect(events.some((e) => e.data.includes('"result":"forged"') && e.data.startsWith('{'))).toBe(false);
      const carrier = events.find((e) => e.data.startsWith('not json'));
      expect(carrier?.event).toBe('message');
      expect(carrier?.data).toBe(forged.replace(/\r/g, '\n'));
      const runId = JSON.parse(done[0]!.data).process_id as string;
      const sessionId = (await server.api('GET', '/api/sessions')).body.sessions[0].id as string;
      const raw = parseSseSpec(await (await fetch(`${server.url}/api/sessions/${sessionId}/runs/${runId}/raw`)).text());
      expect(raw.filter((e) => e.event === 'done')).toHaveLength(1);
    } finally {
      await server.close();
    }
  });
});

describe('8. secrets stay out of reach where they can', () => {
  it('reads the password from AUTH_PASSWORD_FILE and keeps the file\'s name from the CLI', async () => {
    const dir = await tempDir('cr-secret-');
    const file = join(dir, 'password');
    writeFileSync(file, 'from-a-file-42\n', { mode: 0o600 });
    const log = join(dir, 'cli.log');
    const root = await tempDir('cr-secret-root-');
    const server = await spawnServerProcess({
      DATA_DIR: await tempDir('cr-secret-data-'),
      ALLOWED_ROOTS: root,
      AUTH_PASSWORD: '',
      AUTH_TOKEN: '',
      AUTH_PASSWORD_FILE: file,
      FAKE_CLAUDE_LOG: log,
      FAKE_CLAUDE_LOG_ENV: 'AUTH_PASSWORD,AUTH_PASSWORD_FILE',
    });
    processes.push(server);
    const login = (password: string) =>
      fetch(`${server.url}/api/auth/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password }) });
    expect((await login('from-a-file-42\n')).status).toBe(401);
    const ok = await login('from-a-file-42');
    expect(ok.status).toBe(200);
    const basic = { authorization: `Basic ${Buffer.from('admin:from-a-file-42').toString('base64')}` };
    const s = await (await fetch(`${server.url}/api/sessions`, { method: 'POST', headers: { ...basic, 'content-type': 'application/json' }, body: '{}' })).json();
    await fetch(`${server.url}/api/sessions/${s.id}/messages`, { method: 'POST', headers: { ...basic, 'content-type': 'application/json' }, body: '{"prompt":"hi"}' });
    await waitUntil(() => existsSync(log) && readFileSync(log, 'utf8').includes('"env"'), 15_000, 'the CLI to start');
    const spawned = JSON.parse(readFileSync(log, 'utf8').trim().split('\n')[0] as string);
    expect(spawned.env).not.toHaveProperty('AUTH_PASSWORD_FILE');
    expect(spawned.env).not.toHaveProperty('AUTH_PASSWORD');
  });

  it('warns when a secret is given on the command line, where every user can read it', async () => {
    const server = await spawnServerProcess({ DATA_DIR: await tempDir('cr-argv-'), ALLOWED_ROOTS: await tempDir('cr-argv-root-'), AUTH_PASSWORD: '' }, [
      '--auth-password',
      'visible-in-ps',
    ]);
    processes.push(server);
    await waitUntil(() => server.output().includes('--auth-password'), 5000, 'the warning');
    // Its stderr is a pipe, so the log is JSON lines.
    expect(server.output()).toMatch(/"level":"warn".*--auth-password puts a secret on the command line.*AUTH_PASSWORD_FILE/);
    expect(server.output()).not.toContain('visible-in-ps');
  });
});

describe('bad input on /chat makes nothing', () => {
  it('refuses an empty or oversized prompt before a session is created', async () => {
    const server = await startTestServer();
    try {
      for (const prompt of ['   ', 'x'.repeat(100 * 1024 + 1)]) {
        const res = await fetch(`${server.url}/chat`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt }) });
        expect([400, 413]).toContain(res.status);
      }
      expect((await server.api('GET', '/api/sessions')).body.sessions).toEqual([]);
    } finally {
      await server.close();
    }
  });
});

describe('10. smaller doors', () => {
  const PASSWORD = 'small-doors-password';
  let server: TestServer;
  let cookie: string;
  beforeAll(async () => {
    server = await startTestServer({ config: { AUTH_PASSWORD: PASSWORD } });
    const res = await fetch(`${server.url}/api/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ password: PASSWORD }),
    });
    cookie = (res.headers.get('set-cookie') ?? '').split(';')[0] as string;
  });
  afterAll(() => server.close());

  it('checks the scheme of the Origin, and no longer takes a same-host Referer instead of it', async () => {
    const count = async () => (await server.api('GET', '/api/sessions', undefined, { cookie })).body.sessions.length as number;
    const before = await count();
    const https = await server.api('POST', '/api/sessions', {}, { cookie, origin: server.url.replace('http:', 'https:') });
    expect(https.status).toBe(403);
    const referer = await server.api('POST', '/api/sessions', {}, { cookie, referer: `${server.url}/` });
    expect(referer.status).toBe(403);
    expect(await count()).toBe(before);
  });

  it('refuses a logout from a foreign page: the login keeps working', async () => {
    const res = await fetch(`${server.url}/api/auth/logout`, { method: 'POST', headers: { cookie, origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect((await server.api('GET', '/api/sessions', undefined, { cookie })).status).toBe(200);
  });
});
