/**
 * The server as a process of its own (spawnServerProcess, as a user starts
 * it), for figures that must be the server's alone: its CPU time and memory
 * from /proc, its start-up. The benchmark's clients then do not share its
 * event loop.
 */
import { execFile } from 'node:child_process';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { rawRequest, spawnServerProcess, tempDir, type ServerProcess } from '../test/support/server.js';

let built: Promise<unknown> | undefined;

/** `npm run build:server` once per benchmark run, for the sections that start the compiled server. */
export function buildServerOnce(): Promise<unknown> {
  built ??= promisify(execFile)('npm', ['run', 'build:server'], { cwd: new URL('..', import.meta.url).pathname });
  return built;
}

export interface ChildServer {
  url: string;
  pid: number;
  dataDir: string;
  process: ServerProcess;
  api<T>(method: string, path: string, body?: unknown): Promise<T>;
  /** SIGTERM, then wait for it to exit (it stops runs and closes the store). */
  stop(): Promise<void>;
  /** stop() and remove the data directory (unless it was given). */
  close(): Promise<void>;
}

export async function startChildServer(env: Record<string, string>, options: { dataDir?: string; built?: boolean } = {}): Promise<ChildServer> {
  const dataDir = options.dataDir ?? (await tempDir('cr-bench-'));
  const root = join(dataDir, 'root');
  await mkdir(root, { recursive: true });
  const process = await spawnServerProcess({ DATA_DIR: dataDir, ALLOWED_ROOTS: root, WEB_DIR: join(dataDir, 'no-web'), ...env }, [], { built: options.built ?? false });
  const pid = process.child.pid ?? -1;
  // A connection per request (no agent): a kept-alive one the server times
  // out while idle can be reset just as it is reused.
  const api = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await rawRequest(process.url, { method, path, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    if (res.status >= 300) throw new Error(`${method} ${path} answered ${res.status}: ${res.text}`);
    return JSON.parse(res.text) as T;
  };
  const stop = async () => {
    if (process.child.exitCode === null && process.child.signalCode === null) process.child.kill('SIGTERM');
    await process.exited;
  };
  return {
    url: process.url,
    pid,
    dataDir,
    process,
    api,
    stop,
    close: async () => {
      await stop();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}
