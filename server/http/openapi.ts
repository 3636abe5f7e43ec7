/**
 * The API described for machines (OpenAPI 3.1 at /api/openapi.json) and for
 * people (/docs, a self-contained page: no CDN, so it works offline and under
 * our strict CSP), generated from the route table (server/protocol/routes.ts)
 * and the same zod schemas the doors validate and answer with, so the
 * description cannot drift from the checks.
 */
import { z } from 'zod';
import { ROUTES, type RouteSpec } from '../protocol/routes.js';
import { escapeHtml } from './html.js';

/** The docs page has its own inline styles and nothing else. */
export const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

const jsonSchema = (schema: z.ZodType, io: 'input' | 'output') => z.toJSONSchema(schema, { io, unrepresentable: 'any' });

/** Query parameters of a route: the fields of its query schema. */
function queryParameters(route: RouteSpec): unknown[] {
  if (!route.query) return [];
  const schema = jsonSchema(route.query, 'input') as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(schema.properties ?? {}).map(([name, s]) => ({
    name,
    in: 'query',
    required: schema.required?.includes(name) ?? false,
    schema: s,
  }));
}

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

/** The media type of answers that are not JSON. */
const KIND_TYPES = { sse: 'text/event-stream', html: 'text/html', prometheus: 'text/plain' } as const;

export function openApiDocument(version: string): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const [id, route] of Object.entries(ROUTES) as [string, RouteSpec][]) {
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    const params = [...path.matchAll(/\{(\w+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const statuses = Object.entries(route.statuses).map(([status, description], i) => {
      if (Number(status) >= 400) return [status, { description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } }];
      const content = route.kind === undefined || route.kind === 'file-or-json' || route.kind === 'upgrade' ? undefined : { [KIND_TYPES[route.kind]]: {} };
      const schema = i === 0 && route.response ? { 'application/json': { schema: jsonSchema(route.response, 'output') } } : undefined;
      return [status, { description, ...(content || schema ? { content: { ...content, ...schema } } : {}) }];
    });
    (paths[path] ??= {})[route.method] = {
      operationId: id,
      summary: route.summary,
      ...(route.access === 'public' ? { security: [] } : {}),
      parameters: [...params, ...queryParameters(route)],
      ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(route.body, 'input') } } } } : {}),
      responses: Object.fromEntries(statuses),
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
        cookie: { type: 'apiKey', in: 'cookie', name: 'cr_session' },
      },
    },
    security: [{ bearer: [] }, { basic: [] }, { cookie: [] }],
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
