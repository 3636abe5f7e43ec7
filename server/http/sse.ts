/**
 * Server-sent events on an Express response, with the guards a long-lived
 * stream needs: `event` and `id` never carry a line break and `data` is split
 * on every kind of one (either would let data forge events), a client holds
 * a bounded number of streams, a heartbeat keeps proxies from timing out, and a client that
 * reads too slowly is dropped rather than buffered without bound (it comes
 * back with Last-Event-ID and loses nothing).
 */
import type { Request, Response } from 'express';
import type { RequestGuard } from './guard.js';

export const SSE_HEARTBEAT_MS = 15_000;
/** Bytes queued for one slow client before it is dropped. */
export const SSE_MAX_BUFFER_BYTES = 8 * 1024 * 1024;

export interface SseStream {
  send(message: { event?: string; id?: string | number; data: string }): void;
  comment(text: string): void;
  close(): void;
  readonly closed: boolean;
  onClose(fn: () => void): void;
}

/** Opens the stream; throws (429, nothing written yet) when the client holds too many. */
export function openSse(req: Request, res: Response, guard: Pick<RequestGuard, 'openStream'>): SseStream {
  const release = guard.openStream(req, 'sse');
  res.status(200);
  res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  res.setHeader('Cache-Control', 'no-cache, no-transform');
  res.setHeader('Connection', 'keep-alive');
  res.setHeader('X-Accel-Buffering', 'no');
  res.flushHeaders();
  req.socket.setNoDelay(true);
  req.socket.setKeepAlive(true);

  let closed = false;
  const closers: Array<() => void> = [release];
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(heartbeat);
    for (const fn of closers.splice(0)) fn();
    res.end();
  };
  const heartbeat = setInterval(() => write(': keep-alive\n\n'), SSE_HEARTBEAT_MS);
  heartbeat.unref();
  res.on('close', close);

  const write = (chunk: string) => {
    if (closed) return;
    if (res.writableLength > SSE_MAX_BUFFER_BYTES) {
      res.destroy();
      close();
      return;
    }
    res.write(chunk);
  };

  return {
    send({ event, id, data }) {
      let chunk = '';
      if (id !== undefined) chunk += `id: ${oneLine(String(id))}\n`;
      if (event !== undefined) chunk += `event: ${oneLine(event)}\n`;
      // CR, LF and CRLF all end a line for an SSE parser: split on each, or
      // a CR inside the data would let it forge `event:` and `data:` lines.
      for (const line of data.split(/\r\n|\r|\n/)) chunk += `data: ${line}\n`;
      write(`${chunk}\n`);
    },
    comment(text) {
      write(`: ${oneLine(text)}\n\n`);
    },
    close,
    get closed() {
      return closed;
    },
    onClose(fn) {
      if (closed) fn();
      else closers.push(fn);
    },
  };
}

function oneLine(text: string): string {
  return text.replace(/[\r\n]/g, ' ');
}
