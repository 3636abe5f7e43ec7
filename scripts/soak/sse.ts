/**
 * A minimal SSE client on node:http: it can choose its loopback source
 * address (the server caps open streams per client address, and the soak's
 * followers are meant to be different devices) and it can be cut at any
 * moment, which is the point.
 */
import { request, type ClientRequest } from 'node:http';
import type { ServerEvent } from '../../server/protocol/events.js';

export interface SseOptions {
  /** Sent as Last-Event-ID (what a reconnecting browser sends with the original URL). */
  lastEventId?: string | undefined;
  localAddress?: string | undefined;
  onEvent(event: ServerEvent, id: string | undefined): void;
}

export interface SseConnection {
  /** Resolves when the stream ends, however it ends (cut, server gone, refused). Never rejects. */
  ended: Promise<{ status: number; error?: string | undefined }>;
  close(): void;
}

export function openSse(url: string, options: SseOptions): SseConnection {
  const target = new URL(url);
  let req: ClientRequest | undefined;
  const ended = new Promise<{ status: number; error?: string | undefined }>((resolve) => {
    const headers: Record<string, string> = { accept: 'text/event-stream' };
    if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
    req = request(
      {
        host: target.hostname,
        port: target.port,
        path: target.pathname + target.search,
        headers,
        agent: false,
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
      },
      (res) => {
        const status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        let buffer = '';
        res.on('data', (chunk: string) => {
          if (status !== 200) return;
          buffer += chunk;
          for (let sep = buffer.indexOf('\n\n'); sep !== -1; sep = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, sep);
            buffer = buffer.slice(sep + 2);
            const message = parseBlock(block);
            if (message) options.onEvent(JSON.parse(message.data) as ServerEvent, message.id);
          }
        });
        res.on('close', () => resolve({ status }));
        res.on('error', (err) => resolve({ status, error: err.message }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, error: err.message }));
    req.end();
  });
  return { ended, close: () => req?.destroy() };
}

function parseBlock(block: string): { id?: string; data: string } | undefined {
  const data: string[] = [];
  let id: string | undefined;
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    if (field === 'data') data.push(value);
    else if (field === 'id') id = value;
  }
  if (data.length === 0) return undefined;
  return { ...(id !== undefined ? { id } : {}), data: data.join('\n') };
}
