/**
 * The route table is the one source: every route the server serves is in it
 * (and so in the OpenAPI document, /docs, the dev proxy and the service
 * worker's list of server paths), and every route in it is served.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES, serverPathPrefixes, type RouteSpec } from '../../server/protocol/routes.js';
import { startTestServer, type TestServer } from '../support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

const documented = (Object.values(ROUTES) as RouteSpec[]).map((r) => `${r.method.toUpperCase()} ${r.path}`).sort();

describe('the route table', () => {
  it('describes every route the server serves, and the server serves every route it describes', () => {
    const served = server
      .routes()
      .map((r) => `${r.method.toUpperCase()} ${r.path}`)
      .filter((r) => r !== 'GET /') // the note that the web app is not built (tests serve none)
      .sort();
    expect(served).toEqual(documented);
  });

  it('is what the OpenAPI document and the docs page list', async () => {
    const doc = (await server.api('GET', '/api/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
    const listed = Object.entries(doc.paths)
      .flatMap(([path, methods]) => Object.keys(methods).map((m) => `${m.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`))
      .sort();
    expect(listed).toEqual(documented);
    const page = (await server.api('GET', '/docs')).body as string;
    for (const route of Object.values(ROUTES) as RouteSpec[]) expect(page).toContain(route.path.replace(/:(\w+)/g, '{$1}'));
  });

  it('gives the dev proxy and the service worker every path prefix the server answers', () => {
    const prefixes = serverPathPrefixes();
    for (const route of Object.values(ROUTES) as RouteSpec[]) expect(prefixes.some((p) => route.path.startsWith(p.replace(/\/$/, '')))).toBe(true);
    const sw = readFileSync(fileURLToPath(new URL('../../dist/web/sw.js', import.meta.url)), 'utf8');
    for (const prefix of prefixes) expect(sw).toContain(prefix.replace(/\//g, '\\/'));
  });
});
