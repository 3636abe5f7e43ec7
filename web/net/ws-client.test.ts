/**
 * The app's WebSocket client against a real peer: a `ws` WebSocketServer on
 * port 0, reached through the `ws` package's WebSocket (the client's
 * `connect` option). Timers are faked (setTimeout and setInterval only), so
 * backoff, ping and pong deadlines are stepped through exactly while the
 * sockets do real I/O; `until` waits for that I/O without moving the clock.
 */
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ClientFrame, ServerFrame } from '../../server/protocol/ws.js';
import { BACKOFF_FIRST_MS, PING_EVERY_MS, PONG_WITHIN_MS, RequestError, WsClient, type ConnectionState, type SocketLike } from './ws-client.js';

/** How long real I/O may take before a wait gives up (a deadline, not a measurement). */
const IO_DEADLINE_MS = 10_000;

/** Waits, in real time, until `check` holds; the faked clock does not move meanwhile. */
async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = performance.now() + IO_DEADLINE_MS;
  while (!check()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** One connection the peer accepted, and the frames the client sent on it. */
interface PeerConnection {
  socket: WebSocket;
  frames: ClientFrame[];
  send(frame: ServerFrame): void;
}

interface Peer {
  url: string;
  connections: PeerConnection[];
  /** Answer each hello with a welcome (on), or close every connection at once (off). */
  welcome: boolean;
  close(): Promise<void>;
}

async function startPeer(): Promise<Peer> {
  const server = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const peer: Peer = {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}/ws`,
    connections: [],
    welcome: true,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
  server.on('connection', (socket) => {
    if (!peer.welcome) {
      socket.close();
      return;
    }
    const connection: PeerConnection = { socket, frames: [], send: (frame) => socket.send(JSON.stringify(frame)) };
    peer.connections.push(connection);
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as ClientFrame;
      connection.frames.push(frame);
      if (frame.type === 'hello' && peer.welcome) connection.send({ type: 'welcome', version: 'test', startedAt: '2026-11-26T12:00:00.000Z', sessions: [] });
    });
  });
  return peer;
}

interface Harness {
  client: WsClient;
  states: ConnectionState[];
  frames: ServerFrame[];
  /** Every socket the client opened, in order. */
  sockets: WebSocket[];
  /** What the browser's `online` or a visible tab would do. */
  wake(): void;
}

function startClient(
  url: string,
  options: { resume?: () => Record<string, number>; random?: () => number; buffered?: () => number } = {},
): Harness {
  const harness: Harness = { client: undefined as unknown as WsClient, states: [], frames: [], sockets: [], wake: () => undefined };
  harness.client = new WsClient({
    url,
    resume: options.resume ?? (() => ({})),
    onFrame: (frame) => harness.frames.push(frame),
    onState: (state) => harness.states.push(state),
    connect(target) {
      const socket = new WebSocket(target);
      // A refused connection is reported by 'close' as in browsers; without a listener 'error' would throw.
      socket.on('error', () => undefined);
      harness.sockets.push(socket);
      const buffered = options.buffered;
      if (!buffered) return socket;
      // The same socket, with the bytes still to send as the test says (a large frame going out slowly).
      return {
        get readyState() {
          return socket.readyState;
        },
        get bufferedAmount() {
          return buffered();
        },
        send: (data: string) => socket.send(data),
        close: () => socket.close(),
        addEventListener: socket.addEventListener.bind(socket) as SocketLike['addEventListener'],
      };
    },
    onWake(wake) {
      harness.wake = wake;
      return () => (harness.wake = () => undefined);
    },
    random: options.random ?? (() => 0),
  });
  harness.client.start();
  return harness;
}

/** Resolves once `socket` has closed and every earlier 'close' listener (the client's) has run. */
function closed(socket: WebSocket): Promise<void> {
  if (socket.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => socket.addEventListener('close', () => resolve()));
}

const connected = (h: Harness) => until(() => h.client.state === 'connected', 'the client is connected');
const submitFrame = { type: 'submit', sessionId: 's1', prompt: 'hello', clientRequestId: 'c1' } as const;

let peer: Peer;
let harness: Harness | undefined;

beforeEach(async () => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
  peer = await startPeer();
});

afterEach(async () => {
  harness?.client.stop();
  harness = undefined;
  await peer.close();
  vi.useRealTimers();
});

describe('WsClient', () => {
  it('says hello with the last seq of each followed session, and again after a reconnect with what it has by then', async () => {
    let resume: Record<string, number> = { s1: 3 };
    harness = startClient(peer.url, { resume: () => resume });
    await connected(harness);
    expect(peer.connections[0]!.frames).toEqual([{ type: 'hello', resume: { s1: 3 } }]);
    expect(harness.frames.map((f) => f.type)).toEqual(['welcome']);

    resume = { s1: 7, s2: 2 };
    peer.connections[0]!.socket.terminate();
    await until(() => harness!.client.state === 'reconnecting', 'the drop is noticed');
    vi.advanceTimersByTime(BACKOFF_FIRST_MS);
    await connected(harness);
    expect(peer.connections[1]!.frames).toEqual([{ type: 'hello', resume: { s1: 7, s2: 2 } }]);
    expect(harness.states).toEqual(['connecting', 'connected', 'reconnecting', 'connected']);
  });

  it('reconnects after a doubling wait capped at 15 s, and starts over from the first step after a welcome', async () => {
    peer.welcome = false;
    // The jitter at its largest: each wait is the whole step.
    harness = startClient(peer.url, { random: () => 1 });
    for (const step of [500, 1000, 2000, 4000, 8000, 15_000, 15_000]) {
      const opened = harness.sockets.length;
      await closed(harness.sockets[opened - 1]!);
      vi.advanceTimersByTime(step - 1);
      expect(harness.sockets).toHaveLength(opened);
      vi.advanceTimersByTime(1);
      expect(harness.sockets).toHaveLength(opened + 1);
    }
    expect(harness.states).toEqual(['connecting', 'reconnecting']);

    peer.welcome = true;
    await connected(harness);
    const opened = harness.sockets.length;
    peer.connections[0]!.socket.terminate();
    await closed(harness.sockets[opened - 1]!);
    vi.advanceTimersByTime(BACKOFF_FIRST_MS - 1);
    expect(harness.sockets).toHaveLength(opened);
    vi.advanceTimersByTime(1);
    expect(harness.sockets).toHaveLength(opened + 1);
  });

  it('never waits less than the first step, however the jitter falls', async () => {
    peer.welcome = false;
    harness = startClient(peer.url, { random: () => 0 });
    for (let attempt = 1; attempt <= 4; attempt++) {
      await closed(harness.sockets[attempt - 1]!);
      vi.advanceTimersByTime(BACKOFF_FIRST_MS - 1);
      expect(harness.sockets).toHaveLength(attempt);
      vi.advanceTimersByTime(1);
      expect(harness.sockets).toHaveLength(attempt + 1);
    }
  });

  it('resolves a request with the data of its reply, and rejects it with the code of an error reply', async () => {
    harness = startClient(peer.url);
    await connected(harness);
    const server = peer.connections[0]!;
    const ok = harness.client.request({ type: 'subscribe', sessionId: 's1', after: 0 });
    const refused = harness.client.request({ type: 'interrupt', sessionId: 's2' });
    await until(() => server.frames.length === 3, 'both requests arrive');
    const [, subscribe, interrupt] = server.frames as Array<ClientFrame & { id: string }>;
    expect(subscribe).toMatchObject({ type: 'subscribe', sessionId: 's1', after: 0 });
    expect(subscribe!.id).not.toBe(interrupt!.id);
    server.send({ type: 'reply', id: interrupt!.id, ok: false, error: { code: 'not_running', message: 'Nothing is running.' } });
    server.send({ type: 'reply', id: subscribe!.id, ok: true, data: { fromSeq: 0, hasEarlier: false } });
    await expect(ok).resolves.toEqual({ fromSeq: 0, hasEarlier: false });
    await expect(refused).rejects.toEqual(new RequestError('not_running', 'Nothing is running.'));
  });

  it('fails an ordinary request when the connection drops, and sends a retried one again after the next welcome, where it resolves', async () => {
    harness = startClient(peer.url);
    await connected(harness);
    const first = peer.connections[0]!;
    const submit = harness.client.request(submitFrame, { retry: true });
    const subscribe = harness.client.request({ type: 'subscribe', sessionId: 's1', after: 0 });
    await until(() => first.frames.length === 3, 'both requests arrive');
    first.socket.terminate();
    await expect(subscribe).rejects.toMatchObject({ code: 'disconnected' });

    vi.advanceTimersByTime(BACKOFF_FIRST_MS);
    await until(() => peer.connections[1]?.frames.length === 2, 'the submit is sent again');
    const second = peer.connections[1]!;
    // The same frame (same id, same clientRequestId, so the server keeps it once), after the hello.
    expect(second.frames).toEqual([{ type: 'hello', resume: {} }, first.frames[1]]);
    const id = (second.frames[1] as ClientFrame & { id: string }).id;
    second.send({ type: 'reply', id, ok: true, data: { runId: 'r1', position: 0, duplicate: false } });
    await expect(submit).resolves.toEqual({ runId: 'r1', position: 0, duplicate: false });
  });

  it('fails an ordinary request at once while disconnected, and sends a retried one once connected', async () => {
    peer.welcome = false;
    harness = startClient(peer.url);
    await closed(harness.sockets[0]!);
    await expect(harness.client.request({ type: 'interrupt', sessionId: 's1' })).rejects.toMatchObject({ code: 'disconnected' });
    const submit = harness.client.request(submitFrame, { retry: true });

    peer.welcome = true;
    vi.advanceTimersByTime(BACKOFF_FIRST_MS);
    await until(() => peer.connections[0]?.frames.length === 2, 'the submit is sent');
    const server = peer.connections[0]!;
    expect(server.frames[1]).toMatchObject(submitFrame);
    server.send({ type: 'reply', id: (server.frames[1] as ClientFrame & { id: string }).id, ok: true });
    await expect(submit).resolves.toBeUndefined();
  });

  it('pings a quiet connection; an answer keeps it, and silence after a ping gives it up and reconnects', async () => {
    harness = startClient(peer.url);
    await connected(harness);
    const server = peer.connections[0]!;

    vi.advanceTimersByTime(PING_EVERY_MS);
    await until(() => server.frames.length === 2, 'the first ping arrives');
    expect(server.frames[1]).toEqual({ type: 'ping' });
    server.send({ type: 'pong' });
    // Frames are handled in order: once this one is through, so is the pong.
    server.send({ type: 'error', error: { code: 'internal', message: 'marker' } });
    await until(() => harness!.frames.length === 2, 'the pong is handled');
    vi.advanceTimersByTime(PONG_WITHIN_MS);
    expect(harness.client.state).toBe('connected');
    expect(harness.sockets).toHaveLength(1);

    // The next ping goes unanswered.
    vi.advanceTimersByTime(PING_EVERY_MS - PONG_WITHIN_MS);
    await until(() => server.frames.length === 3, 'the second ping arrives');
    vi.advanceTimersByTime(PONG_WITHIN_MS - 1);
    expect(harness.client.state).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(harness.client.state).toBe('reconnecting');
    vi.advanceTimersByTime(BACKOFF_FIRST_MS);
    await connected(harness);
    expect(harness.sockets).toHaveLength(2);
  });

  it('waits on for a pong while a large frame is still going out, and gives up once its bytes stop moving', async () => {
    let buffered = 0;
    harness = startClient(peer.url, { buffered: () => buffered });
    await connected(harness);
    const server = peer.connections[0]!;

    // A prompt with pictures is on its way: 3 MB still to send when the ping is queued behind it.
    buffered = 3_000_000;
    vi.advanceTimersByTime(PING_EVERY_MS);
    await until(() => server.frames.length === 2, 'the ping goes out');
    buffered = 2_000_000;
    vi.advanceTimersByTime(PONG_WITHIN_MS);
    expect(harness.client.state).toBe('connected');
    buffered = 500_000;
    vi.advanceTimersByTime(PONG_WITHIN_MS);
    expect(harness.client.state).toBe('connected');
    // Stuck: no byte went out in a whole wait.
    vi.advanceTimersByTime(PONG_WITHIN_MS);
    expect(harness.client.state).toBe('reconnecting');
    expect(harness.sockets).toHaveLength(1);
  });

  it('reconnects at once when woken (the network or the tab came back), without waiting out the backoff', async () => {
    peer.welcome = false;
    harness = startClient(peer.url, { random: () => 1 });
    await closed(harness.sockets[0]!);
    harness.wake();
    expect(harness.sockets).toHaveLength(2);

    // That socket is the one that connects (the peer takes it now).
    peer.welcome = true;
    await connected(harness);
    // Connected: waking changes nothing.
    harness.wake();
    expect(harness.sockets).toHaveLength(2);
  });

  it('stops for good: the socket closes, pending requests fail, nothing reconnects', async () => {
    harness = startClient(peer.url);
    await connected(harness);
    const pending = harness.client.request(submitFrame, { retry: true });
    harness.client.stop();
    await expect(pending).rejects.toMatchObject({ code: 'disconnected' });
    await closed(harness.sockets[0]!);
    vi.advanceTimersByTime(60_000);
    harness.wake();
    expect(harness.sockets).toHaveLength(1);
  });
});
