import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { DataDirInUseError, LOCK_FILE, lockDataDir, processStartTicks } from './data-lock.js';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'data-lock-'));
  dirs.push(dir);
  return dir;
}

const writeLock = (dir: string, content: { pid: number; startTicks?: number }) =>
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ startedAt: new Date().toISOString(), ...content }));

/** A Node process that waits. */
async function liveNode(): Promise<ChildProcess & { pid: number }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000); console.log("up")'], { stdio: ['ignore', 'pipe', 'ignore'] });
  children.push(child);
  await new Promise((resolve) => child.stdout?.once('data', resolve));
  return child as ChildProcess & { pid: number };
}

const REPO = fileURLToPath(new URL('..', import.meta.url));
const DATA_LOCK = fileURLToPath(new URL('./data-lock.ts', import.meta.url));

/**
 * How to run a process in a pid namespace of its own, where pids start again
 * from 1 as in a new container (as root, else in a user namespace too), or
 * undefined where the system does not allow it.
 */
const UNSHARE = [
  ['--pid', '--fork', '--mount-proc', '--kill-child'],
  ['--user', '--map-root-user', '--pid', '--fork', '--mount-proc', '--kill-child'],
].find((flags) => spawnSync('unshare', [...flags, 'true'], { stdio: 'ignore', timeout: 10_000 }).status === 0);

/** A server's start in a fresh pid namespace: takes the lock, says its pid, and ends without releasing it, as a crash would. */
function startInNewContainer(dir: string): Promise<{ code: number | null; out: string }> {
  const script = `import { lockDataDir } from ${JSON.stringify(DATA_LOCK)};
lockDataDir(process.argv[1], new Date());
console.log(JSON.stringify({ pid: process.pid }));
process.exit(0);`;
  const child = spawn('unshare', [...(UNSHARE ?? []), process.execPath, '--import', 'tsx', '--input-type=module', '-e', script, dir], {
    cwd: REPO,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (out += c.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, out })));
}

describe('the data folder lock', () => {
  it('refuses a second server while the first holds it, and is free again once released', () => {
    const dir = dataDir();
    const release = lockDataDir(dir, new Date());
    expect(JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8'))).toMatchObject({ pid: process.pid, startTicks: processStartTicks(process.pid) });
    expect(() => lockDataDir(dir, new Date())).toThrow(DataDirInUseError);
    release();
    expect(existsSync(join(dir, LOCK_FILE))).toBe(false);
    lockDataDir(dir, new Date())();
  });

  it('refuses a lock held by another live server, and one that does not say when its holder started', async () => {
    const dir = dataDir();
    const { pid } = await liveNode();
    writeLock(dir, { pid, startTicks: processStartTicks(pid) as number });
    expect(() => lockDataDir(dir, new Date())).toThrow(new RegExp(`Another Claude Remote server \\(pid ${pid},`));
    writeLock(dir, { pid });
    expect(() => lockDataDir(dir, new Date())).toThrow(DataDirInUseError);
  });

  it('takes a lock whose server is gone', async () => {
    const dir = dataDir();
    const child = await liveNode();
    const startTicks = processStartTicks(child.pid) as number;
    await new Promise((resolve) => {
      child.once('exit', resolve);
      child.kill('SIGKILL');
    });
    writeLock(dir, { pid: child.pid, startTicks });
    lockDataDir(dir, new Date())();
  });

  it('takes a lock whose pid now belongs to another process, as after a container restart', async () => {
    const dir = dataDir();
    // The crashed server had the pid this process has now (pids start again from 1 in a new container)...
    writeLock(dir, { pid: process.pid, startTicks: (processStartTicks(process.pid) as number) - 500 });
    lockDataDir(dir, new Date())();
    // ...or that of another Node process of the new start (the supervisor).
    const { pid } = await liveNode();
    writeLock(dir, { pid, startTicks: (processStartTicks(pid) as number) - 1 });
    lockDataDir(dir, new Date())();
    // A lock of the older format, without the start, naming this process's pid: not written by this process.
    writeLock(dir, { pid: process.pid });
    lockDataDir(dir, new Date())();
  });

  it('tells when a process started, in clock ticks since boot', async () => {
    const mine = processStartTicks(process.pid) as number;
    expect(Number.isSafeInteger(mine)).toBe(true);
    const { pid } = await liveNode();
    expect(processStartTicks(pid)).toBeGreaterThanOrEqual(mine);
    expect(processStartTicks(2 ** 22 + 1)).toBeUndefined();
  });

  it.skipIf(UNSHARE === undefined)('takes the lock a crashed server left when the next start gets the same pid, in a new pid namespace', async () => {
    const dir = dataDir();
    const first = await startInNewContainer(dir);
    expect(first).toMatchObject({ code: 0 });
    const crashed = JSON.parse(readFileSync(join(dir, LOCK_FILE), 'utf8')) as { pid: number };

    const second = await startInNewContainer(dir);
    expect(second.out).not.toContain('uses the data folder');
    expect(second.code).toBe(0);
    // The point of the test: the new start really had the crashed server's pid.
    expect(JSON.parse(second.out)).toEqual({ pid: crashed.pid });
  }, 30_000);
});
