/**
 * The transcript harness (transcript-harness.ts) as a page: bundled on the
 * fly with Vite (lib build, IIFE) and served by a tiny HTTP server, at `/`
 * with the app's CSP and at `/unsafe` with none at all (so that anything the
 * sanitiser let through would actually run). Used by transcript.test.ts and
 * by the phone benchmark (bench/phone.ts).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { APP_CSP } from '../../server/http/app.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const HARNESS_ENTRY = fileURLToPath(new URL('./transcript-harness.ts', import.meta.url));

export interface HarnessPage {
  url: string;
  close(): Promise<void>;
}

async function bundleHarness(): Promise<{ js: string; css: string }> {
  const out = await build({
    configFile: false,
    root: REPO,
    logLevel: 'warn',
    publicDir: false,
    define: { 'process.env.NODE_ENV': '"production"' },
    build: {
      write: false,
      minify: false,
      target: 'es2022',
      reportCompressedSize: false,
      lib: { entry: HARNESS_ENTRY, formats: ['iife'], name: 'TranscriptHarness', fileName: () => 'harness.js', cssFileName: 'harness' },
    },
  });
  const outputs = (Array.isArray(out) ? out : [out]) as Array<{ output: Array<{ type: string; fileName: string; code?: string; source?: string | Uint8Array }> }>;
  let js = '';
  let css = '';
  for (const file of outputs.flatMap((o) => o.output)) {
    if (file.type === 'chunk' && file.fileName.endsWith('.js')) js += file.code ?? '';
    else if (file.fileName.endsWith('.css')) css += typeof file.source === 'string' ? file.source : new TextDecoder().decode(file.source);
  }
  if (!js) throw new Error('the harness bundle has no JS');
  return { js, css };
}

export async function serveHarnessPage(): Promise<HarnessPage> {
  const bundle = await bundleHarness();
  const html = '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="color-scheme" content="light dark"><title>Transcript harness</title><link rel="stylesheet" href="/harness.css"><script src="/harness.js" defer></script></head><body></body></html>';
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    // /unsafe: no CSP, so a payload that got through would run and set window.__xss.
    if (path !== '/unsafe') res.setHeader('Content-Security-Policy', APP_CSP);
    if (path === '/' || path === '/unsafe') res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    else if (path === '/harness.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle.js);
    else if (path === '/harness.css') res.writeHead(200, { 'content-type': 'text/css' }).end(bundle.css);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
