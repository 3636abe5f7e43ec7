/**
 * The app's one WebSocket: connects, says hello with the last seq of every
 * followed session (so the server replays exactly what we missed), and
 * reconnects with capped, jittered backoff when the connection drops.
 *
 * Requests carry an id and resolve with the server's reply. A request marked
 * `retry` (submits: they carry a clientRequestId, so the server drops repeats)
 * survives a reconnect and is sent again after the next hello; every other
 * pending request fails when the connection goes.
 */
import type { ClientFrame, ReplyData, ServerFrame } from '../../server/protocol/ws.js';

export type ConnectionState = 'connecting' | 'connected' | 'reconnecting';

/** A client frame without its id; the client numbers requests itself. */
export type RequestFrame = ClientFrame extends infer F ? (F extends unknown ? Omit<F, 'id'> : never) : never;

/** The part of a WebSocket the client uses: the browser's, or the `ws` package's in tests. */
export interface SocketLike {
  readonly readyState: number;
  /** Bytes sent but not yet on the wire (a large frame going out slowly). */
  readonly bufferedAmount: number;
  send(data: string): void;
  close(): void;
  addEventListener(type: 'open', listener: () => void): void;
  addEventListener(type: 'close', listener: () => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export interface WsClientOptions {
  url: string;
  /** Sessions to follow and the last seq we have of each, read at every (re)connect. */
  resume(): Record<string, number>;
  onFrame(frame: ServerFrame): void;
  onState(state: ConnectionState): void;
  /** Opens a socket (default: the browser's WebSocket). */
  connect?(url: string): SocketLike;
  /**
   * Calls `wake` when reconnecting at once is worth a try (default: the
   * network or the tab came back); returns how to stop.
   */
  onWake?(wake: () => void): () => void;
  /** For the backoff's jitter (default: Math.random). */
  random?(): number;
}

export class RequestError extends Error {
  override name = 'RequestError';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface Pending {
  frame: ClientFrame & { id: string };
  retry: boolean;
  /** The socket it was last sent on; a retried request goes again on a new one. */
  sentOn?: SocketLike | undefined;
  resolve(data: unknown): void;
  reject(err: Error): void;
}

export const BACKOFF_FIRST_MS = 500;
export const BACKOFF_MAX_MS = 15_000;
/** Phones lose networks without a close: ping, and give up on a silent socket. */
export const PING_EVERY_MS = 25_000;
export const PONG_WITHIN_MS = 10_000;
/** WebSocket.OPEN: the same number in every implementation. */
const OPEN = 1;

export class WsClient {
  readonly #options: WsClientOptions;
  readonly #connectSocket: (url: string) => SocketLike;
  readonly #random: () => number;
  #socket: SocketLike | undefined;
  #stopWaking: (() => void) | undefined;
  #stopped = false;
  #state: ConnectionState = 'connecting';
  #attempt = 0;
  #nextId = 1;
  #pending = new Map<string, Pending>();
  #retryTimer: ReturnType<typeof setTimeout> | undefined;
  #pingTimer: ReturnType<typeof setInterval> | undefined;
  #pongTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: WsClientOptions) {
    this.#options = options;
    this.#connectSocket = options.connect ?? ((url) => new WebSocket(url));
    this.#random = options.random ?? Math.random;
  }

  get state(): ConnectionState {
    return this.#state;
  }

  start(): void {
    this.#connect();
    this.#stopWaking = (this.#options.onWake ?? wakeOnNetworkOrTab)(() => this.#reconnectNow());
  }

  /** Closes the connection for good: pending requests fail, nothing reconnects. */
  stop(): void {
    this.#stopped = true;
    this.#stopWaking?.();
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#stopPing();
    const socket = this.#socket;
    this.#socket = undefined;
    socket?.close();
    for (const pending of this.#pending.values()) pending.reject(new RequestError('disconnected', 'The connection was closed.'));
    this.#pending.clear();
  }

  /** Sends a frame and resolves with the reply's data; rejects with a RequestError on an error reply. */
  request<F extends RequestFrame>(frame: F, options: { retry?: boolean } = {}): Promise<ReplyData[F['type']]> {
    const id = `r${this.#nextId++}`;
    const full = { ...frame, id } as ClientFrame & { id: string };
    return new Promise<ReplyData[F['type']]>((resolve, reject) => {
      // The server answers a frame of this type with this type's data (ReplyData).
      const pending: Pending = { frame: full, retry: options.retry === true, resolve: resolve as (data: unknown) => void, reject };
      const socket = this.#socket;
      if (socket?.readyState === OPEN) {
        // The hello went out first on this socket; the server handles frames in order.
        pending.sentOn = socket;
        this.#send(full);
      } else if (!pending.retry) {
        reject(new RequestError('disconnected', 'Not connected to the server; try again when it reconnects.'));
        return;
      }
      this.#pending.set(id, pending);
    });
  }

  /** Sends a frame that needs no reply, if connected. */
  send(frame: RequestFrame): void {
    if (this.#socket?.readyState === OPEN) this.#send(frame as ClientFrame);
  }

  #connect(): void {
    clearTimeout(this.#retryTimer);
    this.#retryTimer = undefined;
    this.#setState(this.#attempt === 0 ? 'connecting' : 'reconnecting');
    const socket = this.#connectSocket(this.#options.url);
    this.#socket = socket;
    socket.addEventListener('open', () => {
      if (this.#socket !== socket) return;
      this.#send({ type: 'hello', resume: this.#options.resume() });
      this.#startPing();
    });
    socket.addEventListener('message', (e) => {
      if (this.#socket !== socket || typeof e.data !== 'string') return;
      this.#socketOnMessage(e.data);
    });
    socket.addEventListener('close', () => {
      if (this.#socket !== socket) return;
      this.#socketOnClose();
    });
  }

  /** Gives up on the current socket without waiting for its close handshake (a dead network never completes it). */
  #abandon(): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socketOnClose();
    socket.close();
  }

  #socketOnMessage(text: string): void {
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    this.#clearPongWait();
    if (frame.type === 'welcome') {
      this.#attempt = 0;
      this.#setState('connected');
      this.#options.onFrame(frame);
      // After the hello: the server now follows our sessions, so a re-sent submit lands in order.
      for (const pending of this.#pending.values()) {
        if (pending.sentOn === this.#socket) continue;
        pending.sentOn = this.#socket;
        this.#send(pending.frame);
      }
      return;
    }
    if (frame.type === 'reply') {
      const pending = this.#pending.get(frame.id);
      if (!pending) return;
      this.#pending.delete(frame.id);
      if (frame.ok) pending.resolve(frame.data);
      else pending.reject(new RequestError(frame.error.code, frame.error.message));
      return;
    }
    if (frame.type === 'pong') return;
    this.#options.onFrame(frame);
  }

  #socketOnClose(): void {
    this.#socket = undefined;
    this.#stopPing();
    for (const [id, pending] of this.#pending) {
      if (pending.retry) continue;
      this.#pending.delete(id);
      pending.reject(new RequestError('disconnected', 'The connection dropped before the server answered.'));
    }
    if (this.#stopped) return;
    this.#attempt++;
    this.#setState('reconnecting');
    const cap = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (this.#attempt - 1));
    // Full jitter, at least the first step: many tabs must not come back in lockstep.
    const delay = BACKOFF_FIRST_MS + this.#random() * (cap - BACKOFF_FIRST_MS);
    this.#retryTimer = setTimeout(() => this.#connect(), delay);
  }

  #reconnectNow(): void {
    if (this.#socket || this.#retryTimer === undefined) return;
    this.#connect();
  }

  #send(frame: ClientFrame): void {
    this.#socket?.send(JSON.stringify(frame));
  }

  #setState(state: ConnectionState): void {
    if (state === this.#state && state !== 'connecting') return;
    this.#state = state;
    this.#options.onState(state);
  }

  #startPing(): void {
    this.#stopPing();
    this.#pingTimer = setInterval(() => {
      this.#send({ type: 'ping' });
      if (this.#pongTimer === undefined) this.#awaitPong(this.#socket?.bufferedAmount ?? 0);
    }, PING_EVERY_MS);
  }

  /**
   * Gives the socket up when no pong came within PONG_WITHIN_MS, unless it
   * is still sending a large frame (a prompt with pictures, over a slow
   * uplink): the ping waits behind it, so while the bytes left to send go
   * down the connection is alive and the wait starts again. A socket whose
   * buffer does not move is as dead as a silent one.
   */
  #awaitPong(bufferedBefore: number): void {
    this.#pongTimer = setTimeout(() => {
      const buffered = this.#socket?.bufferedAmount ?? 0;
      if (buffered > 0 && buffered < bufferedBefore) this.#awaitPong(buffered);
      else this.#abandon();
    }, PONG_WITHIN_MS);
  }

  #clearPongWait(): void {
    clearTimeout(this.#pongTimer);
    this.#pongTimer = undefined;
  }

  #stopPing(): void {
    clearInterval(this.#pingTimer);
    this.#pingTimer = undefined;
    this.#clearPongWait();
  }
}

/** Come back at once when the network or the tab does, instead of waiting out the backoff. */
function wakeOnNetworkOrTab(wake: () => void): () => void {
  const onVisible = () => {
    if (document.visibilityState === 'visible') wake();
  };
  window.addEventListener('online', wake);
  document.addEventListener('visibilitychange', onVisible);
  return () => {
    window.removeEventListener('online', wake);
    document.removeEventListener('visibilitychange', onVisible);
  };
}
