/**
 * The server under soak, across its two lives: started as its own process
 * (so that `kill -9` is real), killed, started again on the same data folder,
 * and shut down with SIGTERM at the end. It samples the server's memory all
 * along and keeps what both lives printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { FAKE_CLAUDE, SERVER_MAIN } from '../../test/support/server.js';
import { processesMarked, RssSampler, stillOurs } from './procs.js';
import { sleep, type Target } from './target.js';

/** The server's mark on every CLI process (server/process/child-process.ts: OWNER_TAG_VAR). */
export const OWNER_VAR = 'CLAUDE_REMOTE_OWNER';
const RSS_EVERY_MS = 250;
/** About what a supervisor (systemd, claude-remote) takes to start it again. */
const RESTART_AFTER_MS = 1000;

/** A server that has not said "listening on" by then is reported, not waited for. */
const LISTEN_DEADLINE_MS = 90_000;

interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Its log (stderr). */
  output(): string;
  /** V8's --trace-gc lines (stdout). */
  gcOutput(): string;
  exited: Promise<number | null>;
}

/**
 * `node --import tsx server/main.ts`, as a user starts it (test/support's
 * spawnServerProcess does the same), but with a deadline: a restart that
 * never listens must end the soak with its output, not hang it.
 */
async function spawnServer(env: Record<string, string>): Promise<ServerProcess> {
  // --trace-gc: V8 prints each collection on stdout, and a major one
  // (Mark-Compact) says what the heap holds after it, the figure a leak grows.
  const child = spawn(process.execPath, ['--trace-gc', '--import', 'tsx', SERVER_MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', CLAUDE_PATH: FAKE_CLAUDE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Kept apart, so that a chunk of one never splits a line of the other.
  let log = '';
  let gcLog = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    let listening = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the server did not listen within ${LISTEN_DEADLINE_MS / 1000} s; it printed:\n${log}`));
    }, LISTEN_DEADLINE_MS);
    child.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString();
      if (listening) return;
      // The URL ends where the line's text does (a JSON line goes on with `"}`).
      const match = /listening on (http:\/\/[^\s"]+)/.exec(log);
      if (!match) return;
      listening = true;
      clearTimeout(timer);
      resolve(match[1] as string);
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      gcLog += chunk.toString();
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`the server exited with ${code} before listening; it printed:\n${log}`));
    });
  });
  return { child, url, output: () => log, gcOutput: () => gcLog, exited };
}

/** The V8 heap after the last major collection in a --trace-gc output (MiB), if there was one. */
export function heapAfterLastMajorGc(gcOutput: string): number | undefined {
  const at = gcOutput.lastIndexOf('Mark-Compact');
  if (at < 0) return undefined;
  const match = /Mark-Compact[^\d]*[\d.]+ \([\d.]+\) -> ([\d.]+) \(/.exec(gcOutput.slice(at, at + 400));
  return match ? Number(match[1]) : undefined;
}

export interface KillReport {
  killTime: Date;
  /** CLI processes (and their tools) carrying the mark when the server was killed. */
  markedAtKill: number;
  /** Of those, still alive a second after the new server listened (it sweeps them at start). */
  leftAfterRestart: number;
}

/** The server's RSS (bytes): the first life's start and last sample, the second's first and last, and the peak of both. */
export interface MemoryReport {
  start: number | undefined;
  atKill: number | undefined;
  restart: number | undefined;
  end: number | undefined;
  peak: number;
}

export class ServerLife {
  readonly #env: Record<string, string>;
  readonly #target: Target;
  readonly #lives: ServerProcess[] = [];
  readonly #rss: RssSampler[] = [];
  readonly #expectedExit = new Set<ServerProcess>();
  #onUnexpectedExit: (() => void) | undefined;

  private constructor(env: Record<string, string>, target: Target) {
    this.#env = env;
    this.#target = target;
  }

  static async start(env: Record<string, string>, target: Target, onUnexpectedExit: () => void): Promise<ServerLife> {
    const life = new ServerLife(env, target);
    life.#onUnexpectedExit = onUnexpectedExit;
    await life.#startOne();
    return life;
  }

  get #current(): ServerProcess {
    return this.#lives[this.#lives.length - 1] as ServerProcess;
  }

  async #startOne(): Promise<void> {
    const server = await spawnServer(this.#env);
    this.#lives.push(server);
    // A server that dies when nobody killed it is a finding, not something to wait out.
    void server.exited.then((code) => {
      if (this.#expectedExit.has(server)) return;
      const tail = server.output().trimEnd().split('\n').slice(-15).join('\n');
      console.error(`\nTHE SERVER DIED BY ITSELF (exit ${code}, signal ${server.child.signalCode}); its last lines:\n${tail}`);
      this.#onUnexpectedExit?.();
    });
    this.#target.url = server.url;
    const sampler = new RssSampler();
    sampler.start(server.child.pid as number, RSS_EVERY_MS);
    this.#rss.push(sampler);
  }

  /** kill -9, then a new server on the same data folder; `owner` is the mark its CLIs carry. */
  async killAndRestart(owner: string): Promise<KillReport> {
    const marked = (await processesMarked(OWNER_VAR, owner)).filter((p) => p.state === 'alive');
    const killTime = new Date();
    const dead = this.#current;
    this.#expectedExit.add(dead);
    dead.child.kill('SIGKILL');
    await dead.exited;
    this.#rss[this.#rss.length - 1]?.stop();
    await sleep(RESTART_AFTER_MS);
    await this.#startOne();
    await sleep(1000);
    let leftAfterRestart = 0;
    for (const p of marked) if ((await stillOurs(p.pid, OWNER_VAR, owner)) === 'alive') leftAfterRestart++;
    return { killTime, markedAtKill: marked.length, leftAfterRestart };
  }

  /** SIGTERM, as systemd stops it; resolves with its exit code and how long it took. */
  async shutdown(): Promise<{ exitCode: number | null; ms: number }> {
    this.#rss[this.#rss.length - 1]?.stop();
    const t0 = Date.now();
    this.#expectedExit.add(this.#current);
    this.#current.child.kill('SIGTERM');
    const exitCode = await this.#current.exited;
    return { exitCode, ms: Date.now() - t0 };
  }

  /** The current server's V8 heap after its last major collection (MiB), if it had one. */
  heapAfterGc(): number | undefined {
    return heapAfterLastMajorGc(this.#current.gcOutput());
  }

  /** The server's RSS at the last sample (bytes), while it lives. */
  currentRss(): number | undefined {
    return this.#rss[this.#rss.length - 1]?.last;
  }

  memory(): MemoryReport {
    const [first, second] = this.#rss;
    return { start: first?.first, atKill: first?.last, restart: second?.first, end: second?.last, peak: Math.max(0, ...this.#rss.map((s) => s.peak)) };
  }

  /** Everything both lives printed, line by line. */
  logLines(): string[] {
    return this.#lives.flatMap((s) => s.output().split('\n'));
  }

  /** For the soak's own failure: nothing of ours may outlive it. */
  killAll(): void {
    for (const s of this.#lives) this.#expectedExit.add(s);
    for (const sampler of this.#rss) sampler.stop();
    for (const s of this.#lives) if (s.child.exitCode === null && s.child.signalCode === null) s.child.kill('SIGKILL');
  }
}
