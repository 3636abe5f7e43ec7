#!/usr/bin/env node
/**
 * Generates every app icon from the one source, icons/icon.svg:
 *
 *   public/favicon.svg                     the source itself (modern browsers)
 *   public/favicon.ico                     16, 32 and 48 px PNGs in one ICO (/favicon.ico requests)
 *   public/icons/favicon-32.png            for browsers without SVG favicons
 *   public/icons/icon-192.png, -512.png    manifest icons, purpose "any" (rounded tile, clear corners)
 *   public/icons/maskable-192.png, -512.png  purpose "maskable": the corners filled, full bleed
 *   public/icons/apple-touch-icon-180.png  opaque (iOS rounds it itself)
 *
 * The mark sits inside the central 80% circle of the source, so filling the
 * corners with the tile's colour is all a maskable icon needs. The outputs
 * are committed: `npm start` needs no image tooling. Run after editing the
 * source: `node scripts/generate-icons.mjs`.
 *
 * sharp comes with @vite-pwa/assets-generator (a dev dependency).
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const SOURCE = join(ROOT, 'icons', 'icon.svg');
const PUBLIC = join(ROOT, 'public');
const ICONS = join(PUBLIC, 'icons');

const svg = await readFile(SOURCE);
const text = svg.toString('utf8');
const viewBox = /viewBox="\s*0\s+0\s+(\d+(?:\.\d+)?)\s+(\d+(?:\.\d+)?)\s*"/.exec(text);
if (!viewBox || viewBox[1] !== viewBox[2]) throw new Error(`${SOURCE}: expected a square viewBox "0 0 N N"`);
const sourceSize = Number(viewBox[1]);
// The tile's colour is the first rect's fill: it fills the corners of the opaque icons.
const tile = /<rect\b[^>]*\bfill="(#[0-9a-fA-F]{3,8})"/.exec(text)?.[1];
if (!tile) throw new Error(`${SOURCE}: expected a background <rect fill="#…">`);

/** Renders the source at `size` px; `opaque` fills the transparent corners with the tile colour. */
async function render(size, { opaque = false } = {}) {
  // Rasterise at 4x and scale down: crisper edges at favicon sizes than librsvg's own antialiasing.
  const density = (72 * size * 4) / sourceSize;
  let image = sharp(svg, { density }).resize(size, size, { kernel: 'lanczos3' });
  if (opaque) image = image.flatten({ background: tile }).removeAlpha();
  return image.png({ compressionLevel: 9, adaptiveFiltering: true }).toBuffer();
}

/** An ICO holding PNG images (every browser since IE 11 reads these). */
function ico(images) {
  const header = Buffer.alloc(6);
  header.writeUInt16LE(0, 0); // reserved
  header.writeUInt16LE(1, 2); // 1 = icon
  header.writeUInt16LE(images.length, 4);
  const entries = [];
  let offset = 6 + 16 * images.length;
  for (const { size, png } of images) {
    const entry = Buffer.alloc(16);
    entry.writeUInt8(size >= 256 ? 0 : size, 0);
    entry.writeUInt8(size >= 256 ? 0 : size, 1);
    entry.writeUInt8(0, 2); // no palette
    entry.writeUInt8(0, 3);
    entry.writeUInt16LE(1, 4); // planes
    entry.writeUInt16LE(32, 6); // bits per pixel
    entry.writeUInt32LE(png.length, 8);
    entry.writeUInt32LE(offset, 12);
    offset += png.length;
    entries.push(entry);
  }
  return Buffer.concat([header, ...entries, ...images.map((i) => i.png)]);
}

const outputs = new Map([
  [join(ICONS, 'favicon-32.png'), () => render(32)],
  [join(ICONS, 'icon-192.png'), () => render(192)],
  [join(ICONS, 'icon-512.png'), () => render(512)],
  [join(ICONS, 'maskable-192.png'), () => render(192, { opaque: true })],
  [join(ICONS, 'maskable-512.png'), () => render(512, { opaque: true })],
  [join(ICONS, 'apple-touch-icon-180.png'), () => render(180, { opaque: true })],
  [
    join(PUBLIC, 'favicon.ico'),
    async () => ico(await Promise.all([16, 32, 48].map(async (size) => ({ size, png: await render(size) })))),
  ],
  // Comments out; the drawing stays exactly the source.
  [join(PUBLIC, 'favicon.svg'), async () => Buffer.from(text.replace(/<!--[\s\S]*?-->\s*/g, ''))],
]);

await mkdir(ICONS, { recursive: true });
for (const [file, make] of outputs) {
  const data = await make();
  await writeFile(file, data);
  console.log(`${relative(ROOT, file)}  ${data.length} bytes`);
}
