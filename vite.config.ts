/**
 * Builds the web app from web/ into dist/web, which the server serves with a
 * strict CSP (no inline scripts or styles: Vite emits external files only).
 * `npx vite` serves web/ with hot reload and proxies the server's routes to a
 * server started separately on port 8765 (e.g. `npm run demo`).
 */
import { defineConfig } from 'vite';

const SERVER = 'http://127.0.0.1:8765';

export default defineConfig({
  root: 'web',
  publicDir: '../public',
  build: {
    outDir: '../dist/web',
    emptyOutDir: true,
    sourcemap: false,
    target: 'es2022',
  },
  server: {
    proxy: {
      '/api': SERVER,
      '/ws': { target: SERVER, ws: true },
      '/health': SERVER,
      '/chat': SERVER,
      '/docs': SERVER,
    },
  },
});
