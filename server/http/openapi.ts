/**
 * The API described for machines (OpenAPI 3.1 at /api/openapi.json) and for
 * people (/docs, a self-contained page: no CDN, so it works offline and under
 * our strict CSP). Request bodies come from the same zod schemas the doors
 * validate with, so the description cannot drift from the checks.
 */
import { z } from 'zod';
import {
  chatSchema,
  createSessionSchema,
  executeSchema,
  permissionAnswerSchema,
  submitSchema,
  updateSessionSchema,
} from '../protocol/api.js';
import { escapeHtml } from './html.js';

interface Route {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  summary: string;
  body?: z.ZodType;
  responses: Record<string, string>;
  query?: Record<string, string>;
}

const ROUTES: Route[] = [
  { method: 'get', path: '/health', summary: 'Liveness and CLI detection. No auth.', responses: { 200: 'status, version, claude {found, path, version}, uptimeS' } },
  { method: 'post', path: '/api/sessions', summary: 'Create a session (cwd inside ALLOWED_ROOTS, or a fresh folder of its own).', body: createSessionSchema, responses: { 201: 'the session', 400: 'bad input or path not allowed' } },
  { method: 'get', path: '/api/sessions', summary: 'List sessions.', responses: { 200: '{sessions: [...]}' } },
  { method: 'get', path: '/api/sessions/{id}', summary: 'One session: ids, name, cwd, options, status, queueLength, totals.', responses: { 200: 'the session', 404: 'session_not_found' } },
  { method: 'patch', path: '/api/sessions/{id}', summary: 'Rename, change options.', body: updateSessionSchema, responses: { 200: 'the session' } },
  { method: 'delete', path: '/api/sessions/{id}', summary: 'Stop its run, drop its queue, forget it. ?purge=true also removes a folder the server made.', query: { purge: 'true|false' }, responses: { 200: '{deleted, purged}' } },
  { method: 'post', path: '/api/sessions/{id}/messages', summary: 'Enqueue a prompt. With Accept: text/event-stream, streams that run\'s events until it finishes (with ?raw=1, its raw CLI lines as /chat does).', query: { raw: '1 for raw CLI lines' }, body: submitSchema, responses: { 202: '{runId, position, duplicate}', 413: 'prompt too large', 429: 'queue_full', 503: 'cli_unavailable' } },
  { method: 'post', path: '/api/sessions/{id}/execute', summary: 'Enqueue, wait for the run, answer with its result.', body: executeSchema, responses: { 200: '{success, output, error, cost_usd, duration_ms, num_turns, session_id, run_id}', 504: 'timeout' } },
  { method: 'get', path: '/api/sessions/{id}/events', summary: 'SSE: events after ?after=SEQ (or Last-Event-ID), then live. id: seq, event: type, data: JSON.', query: { after: 'seq' }, responses: { 200: 'text/event-stream' } },
  { method: 'get', path: '/api/sessions/{id}/history', summary: 'For "load earlier": the events of the `runs` runs (default 50) before run `beforeRun`, compact (no deltas or usage of finished runs).', query: { beforeRun: 'run id', runs: 'how many runs' }, responses: { 200: '{events, fromSeq, hasEarlier, firstRunId}', 404: 'run_not_found' } },
  { method: 'get', path: '/api/sessions/{id}/queue', summary: 'Pending runs, in order.', responses: { 200: '{pending: [...]}' } },
  { method: 'delete', path: '/api/sessions/{id}/queue/{runId}', summary: 'Cancel a queued run (a running one is interrupted).', responses: { 200: '{runId, status}', 404: 'run_not_found', 409: 'already ended' } },
  { method: 'get', path: '/api/sessions/{id}/runs', summary: 'All runs of the session, oldest first.', responses: { 200: '{runs: [...]}' } },
  { method: 'get', path: '/api/sessions/{id}/runs/{runId}', summary: 'One run.', responses: { 200: 'the run' } },
  { method: 'get', path: '/api/sessions/{id}/runs/{runId}/raw', summary: 'SSE: the run\'s raw CLI lines (event: message), then event: done.', responses: { 200: 'text/event-stream' } },
  { method: 'post', path: '/api/sessions/{id}/interrupt', summary: 'Interrupt the running run (SIGINT, SIGTERM, SIGKILL to its process group).', responses: { 202: '{runId, status}', 409: 'not_running' } },
  { method: 'post', path: '/api/sessions/{id}/clear', summary: 'Start a new conversation in this session.', responses: { 200: 'the session' } },
  { method: 'post', path: '/api/sessions/{id}/permissions/{requestId}', summary: 'Answer a permission request. First answer wins.', body: permissionAnswerSchema, responses: { 200: 'ok', 404: 'unknown request', 409: 'already_answered' } },
  { method: 'get', path: '/api/sessions/{id}/storage', summary: 'List a folder or download a file of the session folder, never outside it.', query: { path: 'relative path' }, responses: { 200: 'listing (JSON) or file (attachment)', 400: 'path_not_allowed', 404: 'file_not_found' } },
  { method: 'get', path: '/api/processes', summary: 'Running CLI processes: run, session, pid, cwd, model, startedAt, cpu, rss.', responses: { 200: '{processes: [...]}' } },
  { method: 'get', path: '/api/roots', summary: 'The allowed roots session folders must be inside.', responses: { 200: '{roots: [...]}' } },
  { method: 'get', path: '/api/folders', summary: 'Sub-folders of a folder inside the allowed roots (a folder chooser).', query: { path: 'absolute path inside a root' }, responses: { 200: '{path, folders, truncated}', 400: 'path_not_allowed' } },
  { method: 'get', path: '/api/usage', summary: 'Today\'s totals (cost, tokens, runs since local midnight).', responses: { 200: '{today: {since, costUsd, runs, usage}}' } },
  { method: 'post', path: '/chat', summary: 'Gateway: SSE of raw CLI JSON lines (event: message), then event: done {process_id}.', body: chatSchema, responses: { 200: 'text/event-stream' } },
  { method: 'delete', path: '/chat/{processId}', summary: 'Interrupt a /chat process.', responses: { 200: '{status: "cancelled", process_id}', 404: 'process_not_found' } },
  { method: 'get', path: '/processes', summary: 'Gateway: running processes.', responses: { 200: '{processes: [...], count}' } },
  { method: 'get', path: '/ws', summary: 'WebSocket upgrade: the app\'s protocol (docs/protocol.md).', responses: { 101: 'switching protocols' } },
];

const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' }, details: {} },
      required: ['code', 'message'],
    },
  },
};

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of ROUTES) {
    const params = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => ({
      name: m[1],
      in: 'path',
      required: true,
      schema: { type: 'string' },
    }));
    const query = Object.entries(route.query ?? {}).map(([name, description]) => ({
      name,
      in: 'query',
      required: false,
      description,
      schema: { type: 'string' },
    }));
    const responses = Object.fromEntries(
      Object.entries(route.responses).map(([status, description]) => [
        status,
        Number(status) >= 400
          ? { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }
          : { description },
      ]),
    );
    (paths[route.path] ??= {})[route.method] = {
      summary: route.summary,
      parameters: [...params, ...query],
      ...(route.body
        ? { requestBody: { required: true, content: { 'application/json': { schema: z.toJSONSchema(route.body, { io: 'input', unrepresentable: 'any' }) } } } }
        : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Claude Remote API',
      version,
      description: 'Drive the claude CLI: sessions, durable queues, live events. Errors are {error: {code, message}}.',
    },
    components: {
      schemas: { Error: errorSchema },
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer' },
        basic: { type: 'http', scheme: 'basic' },
      },
    },
    paths,
  };
}

export function docsPage(version: string): string {
  const doc = openApiDocument(version) as { paths: Record<string, Record<string, { summary: string; requestBody?: unknown }>> };
  const rows = Object.entries(doc.paths)
    .flatMap(([path, methods]) =>
      Object.entries(methods).map(([method, op]) => {
        const schema = (op.requestBody as { content?: { 'application/json'?: { schema?: unknown } } } | undefined)?.content?.[
          'application/json'
        ]?.schema;
        return `<section><h2><span class="m ${method}">${method.toUpperCase()}</span> <code>${escapeHtml(path)}</code></h2>
<p>${escapeHtml(op.summary)}</p>${schema ? `<details><summary>Body schema</summary><pre>${escapeHtml(JSON.stringify(schema, null, 2))}</pre></details>` : ''}</section>`;
      }),
    )
    .join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Claude Remote API</title><style>
body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1d1d1f}
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}pre{background:#222!important}}
h1{font-size:1.6rem}h2{font-size:1rem;margin:.2rem 0}section{border-top:1px solid #8884;padding:.6rem 0}
.m{display:inline-block;min-width:4.2rem;font-size:.8rem;padding:.1rem .4rem;border-radius:.3rem;color:#fff;text-align:center}
.get{background:#2b6cb0}.post{background:#2f855a}.patch{background:#b7791f}.delete{background:#c53030}
pre{background:#f4f4f5;padding:.6rem;overflow:auto;border-radius:.4rem;font-size:.8rem}</style></head>
<body><h1>Claude Remote API <small>${escapeHtml(version)}</small></h1>
<p>Machine-readable: <a href="/api/openapi.json">/api/openapi.json</a>. Errors are <code>{"error": {"code", "message"}}</code>.</p>
${rows}</body></html>`;
}
