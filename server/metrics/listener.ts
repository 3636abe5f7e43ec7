/**
 * METRICS_PORT: /metrics alone, on a listener of its own, for a Prometheus
 * (or an agent) on this machine that should not hold the app's secret.
 *
 * Without credentials, so only on 127.0.0.1, and nothing but GET /metrics:
 * the metrics say how busy the server is and which tools ran, never a
 * prompt, a path or a secret; the app's API stays behind its auth on the
 * main port (where /metrics is served too, behind the same auth).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../log.js';
import type { Metrics } from './metrics.js';

export const METRICS_HOST = '127.0.0.1';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

export async function listenForMetrics(metrics: Metrics, port: number, log: Logger): Promise<MetricsListener> {
  const server = createServer((req, res) => void answer(metrics, req, res, log));
  // Scrapers send one short request; nobody may hold a connection for long.
  server.headersTimeout = 10_000;
  server.requestTimeout = 10_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, METRICS_HOST, () => resolve());
  });
  const url = `http://${METRICS_HOST}:${(server.address() as AddressInfo).port}/metrics`;
  return {
    url,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

async function answer(metrics: Metrics, req: IncomingMessage, res: ServerResponse, log: Logger): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (path !== '/metrics') return plain(res, 404, 'Only /metrics is served here.\n');
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('Allow', 'GET, HEAD');
    return plain(res, 405, 'GET /metrics\n');
  }
  try {
    const body = await metrics.render();
    res.writeHead(200, { 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' });
    res.end(req.method === 'HEAD' ? undefined : body);
  } catch (err) {
    log.error('could not collect the metrics', err);
    plain(res, 500, 'Could not collect the metrics.\n');
  }
}

function plain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(text);
}
