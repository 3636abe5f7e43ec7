/**
 * WebSocket upgrades at /ws. Everything is checked on the raw upgrade request,
 * before `handleUpgrade`, so a refused client never gets a socket: the path,
 * the Host and the Origin (guard.ts: a page on another site must not drive a
 * shell through the user's browser), the credentials through the same
 * counted check as every door, and the client's cap on open streams. A socket
 * opened with a browser login closes when that login ends.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import type { Presence } from '../core/presence.js';
import type { Auth } from '../http/auth.js';
import type { RequestGuard } from '../http/guard.js';
import type { Logger } from '../log.js';
import { MAX_WS_MESSAGE_BYTES } from '../protocol/limits.js';
import { serveConnection } from './connection.js';

export const WS_PATH = '/ws';
const HEARTBEAT_MS = 30_000;

export interface UpgradeOptions {
  engine: Engine;
  log: Logger;
  version: string;
  /** When this server started: the welcome frame carries it, so a client notices a restart. */
  startedAt: Date;
  guard: RequestGuard;
  auth: Pick<Auth, 'verify' | 'onRevoke'>;
  /** Where the clients' `presence` frames go (pushes wait while someone looks). */
  presence: Presence;
  /** The largest frame (a submit may carry attachments; default MAX_WS_MESSAGE_BYTES). Larger: close 1009. */
  maxPayloadBytes?: number | undefined;
}

export function attachWebSocket(server: Server, options: UpgradeOptions): { close(): Promise<void>; attach(server: Server): void } {
  const { guard, auth, log } = options;
  const wss = new WebSocketServer({ noServer: true, maxPayload: options.maxPayloadBytes ?? MAX_WS_MESSAGE_BYTES, perMessageDeflate: false });
  const alive = new WeakMap<WebSocket, boolean>();
  /** Sockets opened with a browser login, so that logging out closes them. */
  const byLogin = new Map<string, Set<WebSocket>>();

  const offRevoke = auth.onRevoke((loginId) => {
    const logins = loginId === undefined ? [...byLogin.keys()] : [loginId];
    for (const id of logins) {
      for (const ws of byLogin.get(id) ?? []) ws.close(4401, 'logged out');
      byLogin.delete(id);
    }
  });

  const accept = (req: IncomingMessage, socket: Duplex, head: Buffer, loginId: string | undefined, release: () => void) =>
    wss.handleUpgrade(req, socket, head, (ws) => {
      alive.set(ws, true);
      ws.on('pong', () => alive.set(ws, true));
      ws.on('error', (err) => log.debug('websocket error', err));
      ws.once('close', release);
      if (loginId !== undefined) {
        let set = byLogin.get(loginId);
        if (!set) byLogin.set(loginId, (set = new Set()));
        set.add(ws);
        ws.once('close', () => {
          set.delete(ws);
          if (set.size === 0 && byLogin.get(loginId) === set) byLogin.delete(loginId);
        });
      }
      serveConnection(ws, options.engine, log, { version: options.version, startedAt: options.startedAt }, options.presence);
    });

  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== WS_PATH) return refuse(socket, 404, 'Not Found');
    if (!guard.hostAllowed(req)) {
      log.warn(`refused a WebSocket for host ${JSON.stringify(req.headers.host ?? '')}`);
      return refuse(socket, 403, 'Forbidden');
    }
    if (!guard.originAllowed(req)) {
      log.warn(`refused a WebSocket from origin ${req.headers.origin}`);
      return refuse(socket, 403, 'Forbidden');
    }
    auth.verify(req).then(
      (verdict) => {
        if (!verdict.ok) {
          if (verdict.reason === 'locked') return refuse(socket, 429, 'Too Many Requests', Math.ceil(verdict.retryAfterMs / 1000));
          return refuse(socket, 401, 'Unauthorized');
        }
        let release: () => void;
        try {
          release = guard.openStream(req, 'ws');
        } catch {
          return refuse(socket, 429, 'Too Many Requests');
        }
        accept(req, socket, head, verdict.ok ? verdict.loginId : undefined, release);
      },
      (err: unknown) => {
        log.error('WebSocket authentication failed', err);
        refuse(socket, 500, 'Internal Server Error');
      },
    );
  };
  server.on('upgrade', onUpgrade);

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
    /** Serves upgrades of another listener too (the tunnel's). */
    attach: (other) => void other.on('upgrade', onUpgrade),
    close: () =>
      new Promise<void>((resolve) => {
        clearInterval(heartbeat);
        offRevoke();
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

function refuse(socket: Duplex, status: number, text: string, retryAfterS?: number): void {
  const retry = retryAfterS !== undefined ? `Retry-After: ${retryAfterS}\r\n` : '';
  socket.end(`HTTP/1.1 ${status} ${text}\r\n${retry}Connection: close\r\nContent-Length: 0\r\n\r\n`);
}
