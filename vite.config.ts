/**
 * Builds the web app from web/ into dist/web, which the server serves with a
 * strict CSP (no inline scripts or styles: Vite emits external files only).
 * `npx vite` serves web/ with hot reload and proxies the server's routes to a
 * server started separately on port 8765 (e.g. `npm run demo`).
 *
 * vite-plugin-pwa writes the web app manifest and a Workbox service worker
 * (sw.js) that precaches the built shell, so the app opens offline; the app
 * keeps its own offline data (web/pwa/offline-store.ts), so no API response
 * is ever cached here. web/pwa/register.ts registers the worker and asks
 * before an update takes over. Icons: public/icons, from icons/icon.svg by
 * scripts/generate-icons.mjs.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig, type Plugin } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';
import { serverPathPrefixes } from './server/protocol/routes.js';

const SERVER = 'http://127.0.0.1:8765';

/**
 * Pages and endpoints the server answers itself, read from its route table:
 * the service worker never answers them with the app shell, and the dev
 * server proxies them to the server.
 */
const SERVER_ROUTES = serverPathPrefixes();

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** Push in the service worker (web/sw/push-sw.ts), loaded by the generated worker with importScripts. */
const PUSH_WORKER = 'push-sw.js';

/**
 * Builds web/sw/push-sw.ts into dist/web/push-sw.js, a name the generated
 * worker can import. It imports types only, so its chunk has no imports of
 * its own and is a plain script, as importScripts needs; wrapped in a
 * function, so its minified names stay out of the worker's global scope.
 */
function pushWorker(): Plugin {
  return {
    name: 'claude-remote:push-worker',
    apply: 'build',
    buildStart() {
      this.emitFile({ type: 'chunk', id: fileURLToPath(new URL('./web/sw/push-sw.ts', import.meta.url)), fileName: PUSH_WORKER });
    },
    generateBundle(_options, bundle) {
      const chunk = bundle[PUSH_WORKER];
      if (chunk?.type !== 'chunk') return;
      if (/^\s*(import|export)\b/m.test(chunk.code)) this.error(`${PUSH_WORKER} must not import or export at run time (importScripts loads it)`);
      chunk.code = `(() => {\n${chunk.code}\n})();\n`;
    },
  };
}

export default defineConfig({
  root: 'web',
  publicDir: '../public',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  plugins: [
    pushWorker(),
    VitePWA({
      registerType: 'prompt',
      // web/pwa/register.ts registers the worker (workbox-window); no inline script is injected.
      injectRegister: false,
      strategies: 'generateSW',
      filename: 'sw.js',
      manifestFilename: 'manifest.webmanifest',
      // globPatterns below already takes every icon (public/ is copied into dist/web).
      includeManifestIcons: false,
      manifest: {
        id: '/',
        name: 'Claude Remote',
        short_name: 'Claude',
        description: 'Run and follow Claude Code sessions on your own machine, from your phone or desktop.',
        lang: 'en',
        display: 'standalone',
        start_url: '/',
        scope: '/',
        orientation: 'any',
        theme_color: '#f5f5f4',
        background_color: '#ffffff',
        categories: ['developer', 'productivity'],
        icons: [
          { src: '/icons/icon-192.png', sizes: '192x192', type: 'image/png', purpose: 'any' },
          { src: '/icons/icon-512.png', sizes: '512x512', type: 'image/png', purpose: 'any' },
          { src: '/icons/maskable-192.png', sizes: '192x192', type: 'image/png', purpose: 'maskable' },
          { src: '/icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      workbox: {
        // The built shell: html, js, css, the icons; the plugin adds the manifest itself.
        globPatterns: ['**/*.{html,js,css,svg,png,ico}'],
        // Loaded by importScripts, which the browser caches with the worker itself.
        globIgnores: [PUSH_WORKER],
        importScripts: [PUSH_WORKER],
        navigateFallback: '/index.html',
        navigateFallbackDenylist: SERVER_ROUTES.map((route) => new RegExp(`^${escape(route)}`)),
        // No runtimeCaching: API data is never cached by the worker.
        cleanupOutdatedCaches: true,
        // Take over only when the reader says so (SKIP_WAITING from register.ts).
        skipWaiting: false,
        clientsClaim: false,
        sourcemap: false,
      },
    }),
  ],
  server: {
    proxy: Object.fromEntries(SERVER_ROUTES.map((prefix) => [prefix, prefix === '/ws' ? { target: SERVER, ws: true } : SERVER])),
  },
});
