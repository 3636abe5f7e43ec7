import express from 'express';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { openSse, type SseStream } from './sse.js';

let server: Server | undefined;
afterEach(
  () =>
    new Promise<void>((resolve) => {
      if (!server) return resolve();
      server.closeAllConnections();
      server.close(() => resolve());
    }),
);

/** A real HTTP server whose one route opens a stream and hands it to `use`. */
async function serve(use: (sse: SseStream) => void, openStream = () => () => {}): Promise<string> {
  const app = express();
  app.get('/s', (req, res) => use(openSse(req, res, { openStream })));
  server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server!.once('listening', r));
  return `http://127.0.0.1:${(server!.address() as AddressInfo).port}/s`;
}

describe('openSse', () => {
  it('writes data with CR, LF or CRLF as separate data lines, and id and event on one line each', async () => {
    const url = await serve((sse) => {
      sse.send({ id: '7\nevent: forged', event: 'message\r\ndata: forged', data: 'a\rb\nc\r\nd' });
      sse.close();
    });
    const res = await fetch(url);
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const text = await res.text();
    expect(text).toBe('id: 7 event: forged\nevent: message  data: forged\ndata: a\ndata: b\ndata: c\ndata: d\n\n');
  });

  it('refuses to open past the client\'s cap without writing anything, and frees its place when it closes', async () => {
    let open = 0;
    let released = 0;
    const url = await serve(
      (sse) => {
        sse.comment('hi');
        sse.close();
      },
      () => {
        if (open >= 1) throw new Error('over the cap');
        open += 1;
        return () => {
          released += 1;
          open -= 1;
        };
      },
    );
    expect((await fetch(url)).status).toBe(200);
    expect(released).toBe(1);
    expect(open).toBe(0);
  });

  it('runs what was registered with onClose when the client goes away', async () => {
    let closed!: () => void;
    const gone = new Promise<void>((r) => (closed = r));
    const url = await serve((sse) => {
      sse.onClose(closed);
      sse.comment('waiting');
    });
    const controller = new AbortController();
    const res = await fetch(url, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await gone;
  });
});
