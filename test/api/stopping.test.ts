/**
 * A server stops cleanly on SIGTERM (runs stopped, store closed, exit 0)
 * whenever the signal comes. Two ways it once did not, both found by
 * `npm run soak` (docs/reliability.md):
 *
 * - A SIGTERM sent as soon as the server said "listening on" (what a script
 *   or a supervisor waits for) met Node's default action, because the
 *   handlers were installed a moment after that line: the server died on
 *   the spot, by the signal.
 * - When whoever read its log went away (a `claude-remote | tee log` whose
 *   tee ended, a closed terminal), each write to stderr failed with EPIPE;
 *   that failure became an uncaught exception, logged, failing again: the
 *   server spun and never finished a SIGTERM.
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, tempDir, type ServerProcess } from '../support/server.js';

const started: ServerProcess[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const server of started.splice(0)) {
    if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

async function start(): Promise<ServerProcess> {
  dirs.push(await tempDir('cr-stop-'), await tempDir('cr-stop-root-'));
  const server = await spawnServerProcess({ DATA_DIR: dirs.at(-2) as string, ALLOWED_ROOTS: dirs.at(-1) as string });
  started.push(server);
  return server;
}

/** How the process ended: its exit code, or the signal that killed it, or that it did not within 20 s. */
function ending(server: ServerProcess): Promise<number | string> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve('still running after 20 s'), 20_000);
    const report = () => {
      clearTimeout(timer);
      resolve(server.child.exitCode ?? `killed by ${server.child.signalCode}`);
    };
    if (server.child.exitCode !== null || server.child.signalCode !== null) report();
    else server.child.once('exit', report);
  });
}

describe('stopping on SIGTERM', () => {
  it('stops cleanly when the signal comes the moment the server says it listens', async () => {
    // The window was a few lines of code wide: three tries hit it nearly always.
    for (let i = 0; i < 3; i++) {
      const server = await start();
      server.child.kill('SIGTERM');
      expect(await ending(server)).toBe(0);
    }
  }, 60_000);

  it('still stops cleanly once its log lines have nowhere to go', async () => {
    const server = await start();
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    // The SIGTERM handler logs first ("SIGTERM: stopping runs and closing"): that write meets the closed pipe.
    server.child.kill('SIGTERM');
    expect(await ending(server)).toBe(0);
  }, 40_000);
});
