/**
 * Event-stream clients for the benchmarks, over SSE and over WebSocket, that
 * note the time each chunk arrives and do as little else as they can while a
 * measurement runs: a hundred of them share this process, and parsing JSON
 * on arrival would put their own work into the latencies they report.
 * Events are parsed afterwards (`received()`); waiting for "the k-th
 * run.finished" only counts a marker in the raw text.
 *
 * Times are epoch milliseconds with sub-millisecond precision
 * (`performance.timeOrigin + performance.now()`), the clock the fake CLI's
 * `stamped` step writes with.
 */
import { request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { WebSocket, type RawData } from 'ws';
import type { ServerEvent } from '../server/protocol/events.js';
import type { ServerFrame } from '../server/protocol/ws.js';

export const now = (): number => performance.timeOrigin + performance.now();

export const RUN_FINISHED = '"type":"run.finished"';
/** Once per event: `"lastSeq":` in session views does not match (case). */
export const ANY_EVENT = '"seq":';

export interface Received {
  event: ServerEvent;
  /** When the chunk that completed it arrived. */
  at: number;
}

export interface EventClient {
  /** Resolves once `marker` (one of the client's `markers`) has arrived `count` times in all. */
  waitFor(marker: string, count: number, timeoutMs?: number): Promise<void>;
  /** Every event so far, parsed now. */
  received(): Received[];
  close(): void;
}

export interface ClientOptions {
  /** Connect from this loopback address: the server caps streams per client address. */
  localAddress?: string | undefined;
  /** What `waitFor` can count (default: run.finished). */
  markers?: readonly string[] | undefined;
}

/** Counts markers across chunk boundaries; wakes waiters. */
class MarkerCounter {
  readonly #counts = new Map<string, number>();
  readonly #tails = new Map<string, string>();
  readonly #waiters = new Set<() => void>();

  constructor(markers: readonly string[]) {
    for (const marker of markers) {
      this.#counts.set(marker, 0);
      this.#tails.set(marker, '');
    }
  }

  feed(text: string): void {
    for (const marker of this.#counts.keys()) {
      const hay = (this.#tails.get(marker) ?? '') + text;
      let n = 0;
      for (let i = hay.indexOf(marker); i !== -1; i = hay.indexOf(marker, i + marker.length)) n++;
      if (n > 0) this.#counts.set(marker, (this.#counts.get(marker) ?? 0) + n);
      // Keep less than one marker's length: a match inside it can then only be a new one.
      this.#tails.set(marker, hay.slice(-(marker.length - 1)));
    }
    for (const wake of [...this.#waiters]) wake();
  }

  wait(marker: string, count: number, timeoutMs: number): Promise<void> {
    if (!this.#counts.has(marker)) return Promise.reject(new Error(`not counting ${marker}`));
    return new Promise((resolve, reject) => {
      const check = () => {
        if ((this.#counts.get(marker) ?? 0) < count) return;
        clearTimeout(timer);
        this.#waiters.delete(check);
        resolve();
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(check);
        reject(new Error(`timed out waiting for ${count}x ${marker} (have ${this.#counts.get(marker) ?? 0})`));
      }, timeoutMs);
      this.#waiters.add(check);
      check();
    });
  }
}

/** Follows a session's events over SSE from `after`. Resolves once the server answered 200. */
export function openSseClient(baseUrl: string, sessionId: string, after: number, options: ClientOptions = {}): Promise<EventClient> {
  const url = new URL(`/api/sessions/${sessionId}/events?after=${after}`, baseUrl);
  const chunks: Array<[number, string]> = [];
  const counter = new MarkerCounter(options.markers ?? [RUN_FINISHED]);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: url.hostname,
        port: url.port,
        path: url.pathname + url.search,
        headers: { accept: 'text/event-stream' },
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`events stream answered ${res.statusCode}`));
          res.resume();
          return;
        }
        res.setEncoding('utf8');
        res.on('data', (text: string) => {
          chunks.push([now(), text]);
          counter.feed(text);
        });
        res.on('error', () => undefined);
        resolve({
          waitFor: (marker, count, timeoutMs = 120_000) => counter.wait(marker, count, timeoutMs),
          received: () => parseSse(chunks),
          close: () => req.destroy(),
        });
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function parseSse(chunks: ReadonlyArray<[number, string]>): Received[] {
  const out: Received[] = [];
  let buffer = '';
  for (const [at, text] of chunks) {
    buffer += text;
    for (let sep = buffer.indexOf('\n\n'); sep !== -1; sep = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      const data = block
        .split('\n')
        .filter((l) => l.startsWith('data: '))
        .map((l) => l.slice(6))
        .join('\n');
      if (data !== '') out.push({ event: JSON.parse(data) as ServerEvent, at });
    }
  }
  return out;
}

/**
 * Follows a session's events over the WebSocket from `after`; resolves once
 * the subscribe was answered. Without a session: only the summaries every
 * connection gets of every session (run.started, run.finished, ...).
 */
export function openWsClient(baseUrl: string, sessionId: string | undefined, after: number, options: ClientOptions = {}): Promise<EventClient> {
  const ws = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, options.localAddress ? { localAddress: options.localAddress } : {});
  const frames: Array<[number, string]> = [];
  const counter = new MarkerCounter(options.markers ?? [RUN_FINISHED]);
  const client: EventClient = {
    waitFor: (marker, count, timeoutMs = 120_000) => counter.wait(marker, count, timeoutMs),
    received: () => parseWs(frames),
    close: () => ws.terminate(),
  };
  return new Promise((resolve, reject) => {
    let ready = false;
    ws.on('message', (data: RawData) => {
      const at = now();
      const text = data.toString();
      // A connection following a session also gets summaries of every other
      // session (their run.finished too): not what it waits for or measures.
      if (sessionId !== undefined && text.startsWith('{"type":"summary"')) return;
      frames.push([at, text]);
      counter.feed(text);
      // Only until the answer: after that, nothing is parsed while measuring.
      if (ready) return;
      if (sessionId === undefined && text.startsWith('{"type":"welcome"')) {
        ready = true;
        resolve(client);
      } else if (text.includes('"type":"reply"')) {
        const frame = JSON.parse(text) as ServerFrame;
        if (frame.type !== 'reply' || frame.id !== 'bench-sub') return;
        ready = true;
        if (frame.ok) resolve(client);
        else reject(new Error(`subscribe refused: ${JSON.stringify(frame)}`));
      }
    });
    ws.once('open', () => ws.send(JSON.stringify(sessionId === undefined ? { type: 'hello' } : { type: 'subscribe', id: 'bench-sub', sessionId, after })));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

function parseWs(frames: ReadonlyArray<[number, string]>): Received[] {
  const out: Received[] = [];
  for (const [at, text] of frames) {
    const frame = JSON.parse(text) as ServerFrame;
    if (frame.type === 'event' || frame.type === 'summary') out.push({ event: frame.event, at });
  }
  return out;
}

export type Transport = 'sse' | 'ws';

export const openClient = (transport: Transport, baseUrl: string, sessionId: string, after: number, options: ClientOptions = {}) =>
  transport === 'sse' ? openSseClient(baseUrl, sessionId, after, options) : openWsClient(baseUrl, sessionId, after, options);

/** The n-th loopback address past 127.0.0.1, so each client counts as its own. */
export const loopback = (n: number): string => `127.0.${1 + Math.floor(n / 250)}.${1 + (n % 250)}`;
