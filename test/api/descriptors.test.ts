/**
 * The server measures its CLI processes (warm pool caps, /api/processes)
 * from /proc. Reading every process's /proc file at once, for each warm
 * process, on every run's end, once took the server to its file descriptor
 * limit: spawns, sockets and the database then fail with EMFILE. Found by
 * `npm run soak` (docs/reliability.md).
 */
import { readdir, rm } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { spawnServerProcess, tempDir, waitUntil, type ServerProcess } from '../support/server.js';

let server: ServerProcess | undefined;
const dirs: string[] = [];
afterEach(async () => {
  if (server && server.child.exitCode === null) {
    server.child.kill('SIGTERM');
    await server.exited;
  }
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

const openDescriptors = async (pid: number) => (await readdir(`/proc/${pid}/fd`).catch(() => [])).length;

describe('file descriptors', () => {
  it('stay in the hundreds while twenty new sessions prewarm their CLIs and the pool is measured', async () => {
    dirs.push(await tempDir('cr-fds-'), await tempDir('cr-fds-root-'));
    server = await spawnServerProcess({ DATA_DIR: dirs[0] as string, ALLOWED_ROOTS: dirs[1] as string, WARM_MAX: '8' });
    const pid = server.child.pid as number;
    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await openDescriptors(pid));
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    const url = server.url;
    const post = () => fetch(`${url}/api/sessions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    // Each new session prewarms a CLI, and each prewarmed process that joins the pool has it measured.
    const created = await Promise.all(Array.from({ length: 20 }, post));
    expect(created.map((r) => r.status)).toEqual(Array(20).fill(201));
    type Listing = { processes: Array<{ state: string; rssBytes?: number }> };
    // Settled: the pool kept WARM_MAX of them, idle and measured (the others were ended over the cap).
    await waitUntil(async () => {
      const { processes } = (await (await fetch(`${url}/api/processes`)).json()) as Listing;
      return processes.length === 8 && processes.every((p) => p.state === 'idle' && (p.rssBytes ?? 0) > 0);
    }, 60_000, 'the warm pool to settle');
    sampling = false;
    await sampler;
    expect(peak).toBeLessThan(1000);
  }, 90_000);
});
