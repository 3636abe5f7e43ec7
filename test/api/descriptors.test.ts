/**
 * The server measures its CLI processes (warm pool caps, /api/processes)
 * from /proc. Reading every process's /proc file at once, for each warm
 * process, on every run's end, once took the server to its file descriptor
 * limit: spawns, sockets and the database then fail with EMFILE. Found by
 * `npm run soak` (docs/reliability.md).
 */
import { execFileSync } from 'node:child_process';
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

  it('when none is left to start a CLI, the run ends saying so and the server goes on', async () => {
    // When spawn() itself fails with EMFILE, Node hands back a child without
    // stdio and emits 'error' a tick later: reading child.stdout first threw
    // ("Cannot read properties of undefined"), the run ended as an internal
    // error, and the unheard 'error' became an uncaught exception. Found by
    // `npm run soak` (docs/reliability.md), before the descriptor fix above.
    dirs.push(await tempDir('cr-nofd-'), await tempDir('cr-nofd-root-'));
    server = await spawnServerProcess({ DATA_DIR: dirs[0] as string, ALLOWED_ROOTS: dirs[1] as string, WARM_MAX: '0', WARM_PREWARM: 'false' });
    const pid = server.child.pid as number;
    const url = server.url;
    const api = async (method: string, path: string, body?: unknown) =>
      (await fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })).json() as Promise<Record<string, unknown>>;
    const session = (await api('POST', '/api/sessions', {})) as { id: string };
    const runState = async (runId: string) => (await api('GET', `/api/sessions/${session.id}/runs/${runId}`)) as { state: string; errorKind?: string; error?: string };
    // Room for this client's connection and a little more, not for a CLI's three pipes.
    const limit = (await openDescriptors(pid)) + 2;
    const original = execFileSync('prlimit', ['--pid', String(pid), '--nofile', '--noheadings', '--output=SOFT'], { encoding: 'utf8' }).trim();
    execFileSync('prlimit', ['--pid', String(pid), `--nofile=${limit}:`]);
    let starved: { state: string; errorKind?: string; error?: string };
    try {
      const { runId } = (await api('POST', `/api/sessions/${session.id}/messages`, { prompt: 'no room' })) as { runId: string };
      starved = await waitUntil(async () => {
        const run = await runState(runId);
        return run.state === 'queued' || run.state === 'running' ? undefined : run;
      }, 20_000, 'the starved run to end');
    } finally {
      execFileSync('prlimit', ['--pid', String(pid), `--nofile=${original}:`]);
    }
    expect(starved).toMatchObject({ state: 'error', errorKind: 'cli_crashed' });
    expect(starved.error).toContain('EMFILE');
    const { runId } = (await api('POST', `/api/sessions/${session.id}/messages`, { prompt: 'room again' })) as { runId: string };
    const next = await waitUntil(async () => {
      const run = await runState(runId);
      return run.state === 'queued' || run.state === 'running' ? undefined : run;
    }, 20_000, 'the next run to end');
    expect(next).toMatchObject({ state: 'success' });
    expect(server.output()).not.toContain('uncaught exception');
  }, 60_000);
});
