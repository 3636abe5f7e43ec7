#!/usr/bin/env node
// Prints what a phone downloads to open the app (the precached shell), gzipped.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

const root = new URL('../dist/web/', import.meta.url).pathname;
const BUDGET_JS_KB = 100;
const files = [];
const walk = (dir) => {
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) walk(path);
    else if (/\.(js|css|html|webmanifest)$/.test(name)) files.push(path);
  }
};
walk(root);
let js = 0;
let total = 0;
const rows = files
  .map((path) => {
    const gz = gzipSync(readFileSync(path), { level: 9 }).length;
    const isSw = /(^|\/)(sw|workbox-[^/]+)\.js$/.test(relative(root, path));
    if (path.endsWith('.js') && !isSw) js += gz;
    if (!isSw) total += gz;
    return [relative(root, path), gz, isSw];
  })
  .sort((a, b) => b[1] - a[1]);
for (const [name, gz, isSw] of rows) console.log(`  ${(gz / 1024).toFixed(1).padStart(7)} KB gz  ${name}${isSw ? '  (service worker, not on the page)' : ''}`);
console.log(`The page's JavaScript: ${(js / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_JS_KB} KB); everything the page loads: ${(total / 1024).toFixed(1)} KB gzipped.`);
if (js / 1024 > BUDGET_JS_KB) {
  console.error(`Over the ${BUDGET_JS_KB} KB budget.`);
  process.exit(1);
}
