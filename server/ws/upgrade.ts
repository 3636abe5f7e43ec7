/**
 * WebSocket upgrades at /ws. Everything is checked on the raw upgrade request,
 * before `handleUpgrade`, so a refused client never gets a socket: the path,
 * the Origin (a page on another site must not drive a shell through the
 * user's browser), and (with auth on) the credentials.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import type { Logger } from '../log.js';
import { MAX_WS_MESSAGE_BYTES } from '../protocol/limits.js';
import { serveConnection } from './connection.js';

export const WS_PATH = '/ws';
const HEARTBEAT_MS = 30_000;

export interface UpgradeOptions {
  engine: Engine;
  log: Logger;
  version: string;
  /** Extra origins allowed besides the server's own host (e.g. a tunnel domain). */
  allowedOrigins?: readonly string[];
  /** Checks credentials of the upgrade request; true when auth is off. */
  authenticate?: (req: IncomingMessage) => Promise<boolean>;
}

export function attachWebSocket(server: Server, options: UpgradeOptions): { close(): Promise<void> } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_WS_MESSAGE_BYTES, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!originAllowed(req, options.allowedOrigins ?? [])) {
      options.log.warn(`refused a WebSocket from origin ${req.headers.origin}`);
      return refuse(socket, 403, 'Forbidden');
    }
    const accept = () =>
      wss.handleUpgrade(req, socket, head, (ws) => {
        alive.set(ws, true);
        ws.on('pong', () => alive.set(ws, true));
        ws.on('error', (err) => options.log.debug('websocket error', err));
        serveConnection(ws, options.engine, options.log, options.version);
      });
    if (!options.authenticate) return accept();
    options.authenticate(req).then(
      (ok) => (ok ? accept() : refuse(socket, 401, 'Unauthorized')),
      () => refuse(socket, 500, 'Internal Server Error'),
    );
  });

  // A phone that lost its network never sends a close: find out by ping.
  const heartbeat = setInterval(() => {
    for (const ws of wss.clients) {
      if (alive.get(ws) === false) {
        ws.terminate();
        continue;
      }
      alive.set(ws, false);
      ws.ping();
    }
  }, HEARTBEAT_MS);
  heartbeat.unref();

  return {
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        for (const ws of wss.clients) ws.close(1001, 'server shutting down');
        const timer = setTimeout(() => {
          for (const ws of wss.clients) ws.terminate();
        }, 1000);
        timer.unref();
        wss.close(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}

/**
 * Browsers always send Origin on WebSocket upgrades; programs usually do not.
 * No Origin: allowed (a non-browser client). Otherwise its host must be ours
 * (the Host the request came to) or explicitly allowed.
 */
export function originAllowed(req: IncomingMessage, extra: readonly string[]): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (extra.includes(parsed.origin)) return true;
  const host = req.headers.host;
  return host !== undefined && parsed.host.toLowerCase() === host.toLowerCase();
}

function refuse(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
