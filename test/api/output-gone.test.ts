/**
 * The server writes its log to stderr. When whoever reads it goes away (a
 * `claude-remote | tee log` whose tee ended, a closed terminal), each write
 * fails with EPIPE; that failure once became an uncaught exception, logged,
 * failing again, forever: the server spun and never finished a SIGTERM.
 * Found by `npm run soak` (docs/reliability.md).
 */
import { rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, tempDir, type ServerProcess } from '../support/server.js';

let server: ServerProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (server && server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

describe('a server whose output nobody reads any more', () => {
  it('still stops cleanly on SIGTERM once its log lines have nowhere to go', async () => {
    dirs.push(await tempDir('cr-epipe-'), await tempDir('cr-epipe-root-'));
    server = await spawnServerProcess({ DATA_DIR: dirs[0] as string, ALLOWED_ROOTS: dirs[1] as string });
    server.child.stdout?.destroy();
    server.child.stderr?.destroy();
    // The SIGTERM handler logs first ("SIGTERM: stopping runs and closing"): that write meets the closed pipe.
    server.child.kill('SIGTERM');
    const code = await Promise.race([server.exited, new Promise<string>((r) => setTimeout(() => r('still running after 20 s'), 20_000))]);
    expect(code).toBe(0);
  }, 40_000);
});
