#!/usr/bin/env node
// Runs before `npm test`: the browser tests need Debian's Chromium (no
// browser is downloaded: playwright-core drives the system one) and the Redis
// store tests a real redis-server. On a fresh Debian machine where we are
// root, install what is missing with apt-get; elsewhere, say what to install.
// CHROMIUM_PATH points the tests at another browser binary.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const onPath = (command) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
const missing = [];
if (!existsSync(chromium)) missing.push({ pkg: 'chromium', why: `the browser tests need Chromium at ${chromium} (or set CHROMIUM_PATH)` });
if (!onPath('redis-server')) missing.push({ pkg: 'redis-server', why: 'the Redis store tests start a real redis-server' });
if (missing.length === 0) process.exit(0);

const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
if (!isRoot || !onPath('apt-get')) {
  for (const m of missing) console.error(`Missing ${m.pkg}: ${m.why}. Install it (Debian/Ubuntu: sudo apt-get install ${m.pkg}).`);
  process.exit(1);
}
const pkgs = missing.map((m) => m.pkg);
console.log(`Installing ${pkgs.join(' and ')} with apt-get (${missing.map((m) => m.why).join('; ')})...`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], { stdio: 'inherit', env });
