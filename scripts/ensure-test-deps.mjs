#!/usr/bin/env node
// Runs before `npm test`: the browser tests need Debian's Chromium (no
// browser is downloaded: playwright-core drives the system one). On a fresh
// Debian machine where we are root, install it with apt-get; elsewhere, say
// what to install. CHROMIUM_PATH points the tests at another binary.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (existsSync(chromium)) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
const hasApt = spawnSync('sh', ['-c', 'command -v apt-get'], { stdio: 'ignore' }).status === 0;
if (!isRoot || !hasApt) {
  console.error(
    `The browser tests need Chromium at ${chromium}. Install it (Debian/Ubuntu: sudo apt-get install chromium), ` +
      'or set CHROMIUM_PATH to a Chromium or Chrome binary.',
  );
  process.exit(1);
}
console.log('Installing chromium with apt-get (the browser tests drive the system Chromium)...');
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', 'chromium'], { stdio: 'inherit', env });
