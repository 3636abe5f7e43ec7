/**
 * A real `redis-server` for tests: its own loopback port and temp folder, no
 * persistence (`--save '' --appendonly no`) unless asked, gone when the test
 * is. `stop()` and `start()` take it down and bring it back on the same port,
 * for tests of what a client does while Redis is away; with `persist`, it
 * comes back with its data (an append-only file synced on every write), as a
 * production Redis restarts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { freePort } from './ports.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** How long redis-server gets to say it is ready, or to exit when stopped. */
const READY_DEADLINE_MS = 15_000;
const EXIT_DEADLINE_MS = 5_000;

export interface RedisServerOptions {
  /** `requirepass`: the default user needs this password. */
  password?: string;
  /** A further ACL user with every permission and this password (`redis://user:pass@…`). */
  user?: { name: string; password: string };
  /** Keep the data over stop() and start() (appendonly, fsync always). */
  persist?: boolean;
}

export interface RedisServer {
  readonly port: number;
  /** `redis://127.0.0.1:<port>`, without credentials. */
  readonly url: string;
  /** Stops the server (SIGTERM, or SIGKILL for a crash); resolves once it exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  /** Starts it again on the same port (empty unless `persist`). */
  start(): Promise<void>;
  /** SIGSTOP / SIGCONT: a server that holds its connections but answers nothing. */
  pause(): void;
  resume(): void;
  /** Stops it and removes its folder. */
  close(): Promise<void>;
}

export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const dir = mkdtempSync(join(tmpdir(), 'cr-redis-'));
  let child: ChildProcess | undefined;
  let port = 0;
  // A free port can be taken between our probe and redis-server's bind: try a few.
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    try {
      child = await launch(port, dir, options);
      break;
    } catch (err) {
      if (attempt >= 5 || !String(err).includes('in use')) {
        rmSync(dir, { recursive: true, force: true });
        throw err;
      }
    }
  }
  const stop = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM') => {
    const running = child;
    child = undefined;
    if (running) await exit(running, signal);
  };
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    stop,
    async start() {
      if (!child) child = await launch(port, dir, options);
    },
    pause() {
      child?.kill('SIGSTOP');
    },
    resume() {
      child?.kill('SIGCONT');
    },
    async close() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

function redisArgs(port: number, dir: string, options: RedisServerOptions): string[] {
  const persistence = options.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', ...persistence, '--dir', dir, '--daemonize', 'no'];
  if (options.password !== undefined) args.push('--requirepass', options.password);
  if (options.user) args.push('--user', options.user.name, 'on', `>${options.user.password}`, '~*', '&*', '+@all');
  return args;
}

/** Spawns redis-server and resolves once it accepts connections (it says so on stdout). */
function launch(port: number, dir: string, options: RedisServerOptions): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn('redis-server', redisArgs(port, dir, options), { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const childOnOutput = (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('Ready to accept connections')) settle();
    };
    const childOnError = (err: NodeJS.ErrnoException) =>
      settle(err.code === 'ENOENT' ? 'could not start: install redis-server (Debian: apt-get install redis-server)' : `failed: ${err.message}`);
    const childOnExit = (code: number | null, signal: string | null) =>
      settle(`exited (${code ?? signal})${output.includes('Address already in use') ? ': port in use' : ''}`);
    const timer = setTimeout(() => settle('was not ready in time'), READY_DEADLINE_MS);
    function settle(failure?: string) {
      clearTimeout(timer);
      child.stdout?.off('data', childOnOutput);
      child.stderr?.off('data', childOnOutput);
      child.off('error', childOnError);
      child.off('exit', childOnExit);
      // Keep draining its output so a chatty server never blocks on a full pipe.
      child.stdout?.resume();
      child.stderr?.resume();
      if (failure === undefined) return resolve(child);
      child.kill('SIGKILL');
      reject(new Error(`redis-server on port ${port} ${failure}:\n${output.slice(-2000)}`));
    }
    child.stdout?.on('data', childOnOutput);
    child.stderr?.on('data', childOnOutput);
    child.once('error', childOnError);
    child.once('exit', childOnExit);
  });
}

function exit(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_DEADLINE_MS);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill(signal);
    // A paused server would not act on SIGTERM.
    child.kill('SIGCONT');
  });
}
