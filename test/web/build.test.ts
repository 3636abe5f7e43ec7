/**
 * The built web app is an installable PWA: a manifest with real icons of the
 * sizes it claims, a service worker that precaches the shell, and a small
 * download for the phone. Reads dist/web as `npx vite build` left it (npm test
 * builds it before vitest runs).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { WEB_DIR } from '../support/browser.js';

/** The gzipped JavaScript of the page (dist/web/assets/*.js) stays under this. */
const JS_GZIP_BUDGET = 100 * 1024;

interface ManifestIcon {
  src: string;
  sizes: string;
  type?: string;
  purpose?: string;
}

interface Manifest {
  name: string;
  short_name?: string;
  display: string;
  start_url: string;
  scope?: string;
  theme_color?: string;
  background_color?: string;
  icons: ManifestIcon[];
}

const read = (path: string) => readFileSync(join(WEB_DIR, path));

/** Width and height from a PNG's IHDR chunk (signature, length, "IHDR", then two big-endian u32). */
function pngSize(data: Buffer): { width: number; height: number } {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (data.length < 24 || !data.subarray(0, 8).equals(signature)) throw new Error('not a PNG');
  if (data.toString('latin1', 12, 16) !== 'IHDR') throw new Error('PNG without IHDR first');
  return { width: data.readUInt32BE(16), height: data.readUInt32BE(20) };
}

/** An app-absolute URL ("/icons/x.png" or "icons/x.png") as a path inside dist/web. */
const fileOf = (url: string) => url.replace(/^\//, '').split(/[?#]/)[0] ?? '';

beforeAll(() => {
  if (!existsSync(join(WEB_DIR, 'index.html'))) {
    throw new Error(`${WEB_DIR} is not built: run \`npx vite build\` (npm test runs it before vitest)`);
  }
});

describe('the built web app (dist/web)', () => {
  it('has a web app manifest with the name, standalone display, start URL and icons', () => {
    expect(existsSync(join(WEB_DIR, 'manifest.webmanifest')), 'manifest.webmanifest').toBe(true);
    const manifest = JSON.parse(read('manifest.webmanifest').toString('utf8')) as Manifest;
    expect(manifest.name).toBe('Claude Remote');
    expect(manifest.short_name).toBeTruthy();
    expect(manifest.display).toBe('standalone');
    expect(manifest.start_url).toBe('/');
    expect(manifest.scope).toBe('/');
    expect(manifest.theme_color).toMatch(/^#[0-9a-f]{6}$/i);
    expect(manifest.background_color).toMatch(/^#[0-9a-f]{6}$/i);

    const sizes = (icon: ManifestIcon) => icon.sizes.split(/\s+/);
    const any = manifest.icons.filter((i) => (i.purpose ?? 'any').split(/\s+/).includes('any'));
    const maskable = manifest.icons.filter((i) => (i.purpose ?? '').split(/\s+/).includes('maskable'));
    expect(any.some((i) => sizes(i).includes('192x192')), 'a 192 px icon').toBe(true);
    expect(any.some((i) => sizes(i).includes('512x512')), 'a 512 px icon').toBe(true);
    expect(maskable.length, 'a maskable icon').toBeGreaterThan(0);
  });

  it('has every icon the manifest names, at the pixel size it claims', () => {
    const manifest = JSON.parse(read('manifest.webmanifest').toString('utf8')) as Manifest;
    for (const icon of manifest.icons) {
      const file = fileOf(icon.src);
      expect(existsSync(join(WEB_DIR, file)), `${icon.src} exists in dist/web`).toBe(true);
      expect(icon.type).toBe('image/png');
      const [w, h] = icon.sizes.split('x').map(Number);
      expect(pngSize(read(file)), icon.src).toEqual({ width: w, height: h });
    }
  });

  it('links the manifest, the Apple touch icon and the favicon from index.html', () => {
    const html = read('index.html').toString('utf8');
    const links = [...html.matchAll(/<link\b[^>]*>/g)].map((m) => m[0]);
    const href = (rel: string) =>
      links.filter((l) => new RegExp(`\\brel="${rel}"`).test(l)).map((l) => /\bhref="([^"]+)"/.exec(l)?.[1] ?? '');
    expect(href('manifest')).toContain('/manifest.webmanifest');
    const touch = href('apple-touch-icon');
    expect(touch).toHaveLength(1);
    expect(pngSize(read(fileOf(touch[0] ?? '')))).toEqual({ width: 180, height: 180 });
    expect(href('icon')).toContain('/favicon.svg');
    for (const icon of href('icon')) expect(existsSync(join(WEB_DIR, fileOf(icon))), icon).toBe(true);
    // No inline script may sneak in: the CSP would block it.
    expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(html).toMatch(/<meta name="theme-color"[^>]*media="\(prefers-color-scheme: dark\)"/);
  });

  it('has a service worker that precaches the shell and leaves the server routes alone', () => {
    expect(existsSync(join(WEB_DIR, 'sw.js')), 'sw.js').toBe(true);
    const sw = read('sw.js').toString('utf8');
    const precached = [...sw.matchAll(/\burl:\s*"([^"]+)"/g)].map((m) => m[1]);
    expect(precached).toContain('index.html');
    expect(precached).toContain('manifest.webmanifest');
    expect(precached.some((u) => /^assets\/.+\.js$/.test(u ?? ''))).toBe(true);
    expect(precached.some((u) => /^assets\/.+\.css$/.test(u ?? ''))).toBe(true);
    // Everything it precaches is in the build.
    for (const url of precached) expect(existsSync(join(WEB_DIR, url ?? '')), url).toBe(true);
    // Navigations fall back to the shell, except the server's own pages and API.
    expect(sw).toContain('NavigationRoute');
    for (const route of ['api', 'ws', 'chat', 'docs', 'health', 'processes']) expect(sw).toContain(`/^\\/${route}`);
  });

  it('has the push handlers in a plain script the service worker imports, outside the precache', () => {
    const sw = read('sw.js').toString('utf8');
    expect(sw).toContain('importScripts("push-sw.js")');
    expect(sw).not.toMatch(/url:\s*"push-sw\.js"/);
    const push = read('push-sw.js').toString('utf8');
    for (const event of ['push', 'notificationclick', 'pushsubscriptionchange']) expect(push).toMatch(new RegExp(`addEventListener\\([\`"']${event}[\`"']`));
    // importScripts runs classic scripts: no module syntax, and its names kept out of the worker's globals.
    expect(push).not.toMatch(/^\s*(import|export)\b/m);
    expect(push.trimStart().startsWith('(() => {')).toBe(true);
  });

  it(`sends the phone under ${JS_GZIP_BUDGET / 1024} KB of gzipped JavaScript`, () => {
    const assets = join(WEB_DIR, 'assets');
    const files = readdirSync(assets).filter((f) => f.endsWith('.js'));
    expect(files.length).toBeGreaterThan(0);
    let raw = 0;
    let gzipped = 0;
    for (const file of files) {
      const data = readFileSync(join(assets, file));
      raw += data.length;
      gzipped += gzipSync(data, { level: 9 }).length;
    }
    console.log(
      `web JS: ${files.length} file(s), ${(raw / 1024).toFixed(1)} KB, ${(gzipped / 1024).toFixed(1)} KB gzipped (budget ${JS_GZIP_BUDGET / 1024} KB)`,
    );
    expect(gzipped).toBeLessThan(JS_GZIP_BUDGET);
  });

  it('leaves the server\'s validation library out of the app: the protocol\'s values come zod-free', () => {
    const assets = join(WEB_DIR, 'assets');
    for (const file of readdirSync(assets).filter((f) => f.endsWith('.js'))) {
      expect(readFileSync(join(assets, file), 'utf8'), file).not.toMatch(/ZodError|\$ZodType/);
    }
  });
});
