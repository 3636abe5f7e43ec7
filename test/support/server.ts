/**
 * Test helpers: start the real server (the same factory main.ts uses) on
 * port 0 with a real SQLite file, and talk to it with fetch, an SSE reader
 * and a ws client.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { loadConfig } from '../../server/config.js';
import { startServer, type RunningServer, type ServerOverrides } from '../../server/main.js';
import { createLogger } from '../../server/log.js';
import type { ServerEvent } from '../../server/protocol/events.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { freePort } from './ports.js';

export const FAKE_CLAUDE = fileURLToPath(new URL('./fake-claude.mjs', import.meta.url));

export interface TestServerOptions {
  /** The CLI executable (default: the scripted fake). */
  claudePath?: string;
  /** Environment of CLI processes (merged over this process's env). */
  cliEnv?: Record<string, string>;
  maxConcurrentRuns?: number;
  maxQueueLength?: number;
  /** Reuse a data directory (restart tests). */
  dataDir?: string;
  /** Allowed roots (default: one fresh temp folder, `root`). */
  allowedRoots?: string[];
  killGraceMs?: number;
  permissionTimeoutS?: number;
  permissionPrompts?: boolean;
  /** Serve this built web app (default: none). */
  webDir?: string;
  /** More configuration, as environment variables (AUTH_PASSWORD, ...). */
  config?: Record<string, string>;
  /** Passed to startServer (tunnel seams, tunnel URL callback, timeouts, the clock, a logger to read, the push services' TLS agent). */
  overrides?: Pick<ServerOverrides, 'tunnel' | 'onTunnelUrl' | 'timeouts' | 'clock' | 'log' | 'push'>;
}

export interface TestServer extends RunningServer {
  dataDir: string;
  root: string;
  /** fetch with a JSON body; returns status and parsed JSON (or text). */
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<ApiResponse>;
}

export interface ApiResponse {
  status: number;
  /** The answer as JSON.parse read it (or its text): tests read the fields they check. */
  body: ReturnType<typeof JSON.parse>;
  headers: Headers;
}

export async function tempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = options.dataDir ?? (await tempDir('cr-data-'));
  const root = options.allowedRoots?.[0] ?? (await tempDir('cr-root-'));
  await mkdir(root, { recursive: true });
  const env: Record<string, string> = {
    PORT: '0',
    HOST: '127.0.0.1',
    DATA_DIR: dataDir,
    ALLOWED_ROOTS: (options.allowedRoots ?? [root]).join(','),
    CLAUDE_PATH: options.claudePath ?? FAKE_CLAUDE,
    MAX_CONCURRENT_RUNS: String(options.maxConcurrentRuns ?? 2),
    MAX_QUEUE_LENGTH: String(options.maxQueueLength ?? 100),
    KILL_GRACE_MS: String(options.killGraceMs ?? 1000),
    PERMISSION_TIMEOUT_S: String(options.permissionTimeoutS ?? 600),
    PERMISSION_PROMPTS: String(options.permissionPrompts ?? true),
    WEB_DIR: options.webDir ?? join(dataDir, 'no-web'),
    LOG_LEVEL: 'error',
    ...options.config,
  };
  const config = loadConfig({ env });
  const cliEnv: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) cliEnv[k] = v;
  delete cliEnv.NODE_OPTIONS;
  Object.assign(cliEnv, options.cliEnv ?? {});
  const running = await startServer(config, { cliEnv, log: createLogger('error'), ...options.overrides });
  const api = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const init: RequestInit = { method, headers: { ...headers } };
    if (body !== undefined) {
      init.body = typeof body === 'string' ? body : JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
    }
    const res = await fetch(running.url + path, init);
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // not JSON; keep the text
    }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    ...running,
    dataDir,
    root,
    api,
    close: async () => {
      await running.close();
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface SseMessage {
  id?: string;
  event?: string;
  data: string;
}

/** Reads an SSE response until `until` returns true or the stream ends; returns every message. */
export async function readSse(
  res: Response,
  until: (msg: SseMessage, all: SseMessage[]) => boolean = () => false,
  timeoutMs = 30_000,
): Promise<SseMessage[]> {
  const messages: SseMessage[] = [];
  if (!res.body) return messages;
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const timer = setTimeout(() => void reader.cancel(), timeoutMs);
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let sep = buffer.indexOf('\n\n');
      while (sep !== -1) {
        const block = buffer.slice(0, sep);
        buffer = buffer.slice(sep + 2);
        sep = buffer.indexOf('\n\n');
        const msg = parseSseBlock(block);
        if (!msg) continue;
        messages.push(msg);
        if (until(msg, messages)) {
          await reader.cancel();
          return messages;
        }
      }
    }
  } finally {
    clearTimeout(timer);
  }
  return messages;
}

function parseSseBlock(block: string): SseMessage | undefined {
  const data: string[] = [];
  const msg: SseMessage = { data: '' };
  let any = false;
  for (const line of block.split('\n')) {
    if (line.startsWith(':') || line === '') continue;
    const i = line.indexOf(':');
    const field = i === -1 ? line : line.slice(0, i);
    const value = i === -1 ? '' : line.slice(i + 1).replace(/^ /, '');
    any = true;
    if (field === 'data') data.push(value);
    else if (field === 'id') msg.id = value;
    else if (field === 'event') msg.event = value;
  }
  if (!any) return undefined;
  msg.data = data.join('\n');
  return msg;
}

/** Follows a session's events over SSE until a predicate on the collected events holds. */
export async function collectEvents(
  server: { url: string },
  sessionId: string,
  until: (events: ServerEvent[]) => boolean,
  opts: { after?: number; lastEventId?: string; timeoutMs?: number; headers?: Record<string, string> } = {},
): Promise<ServerEvent[]> {
  const controller = new AbortController();
  const headers: Record<string, string> = { ...opts.headers, accept: 'text/event-stream' };
  if (opts.lastEventId !== undefined) headers['last-event-id'] = opts.lastEventId;
  const res = await fetch(`${server.url}/api/sessions/${sessionId}/events?after=${opts.after ?? 0}`, {
    headers,
    signal: controller.signal,
  });
  if (res.status !== 200) throw new Error(`events stream answered ${res.status}: ${await res.text()}`);
  const events: ServerEvent[] = [];
  await readSse(
    res,
    (msg) => {
      events.push(JSON.parse(msg.data) as ServerEvent);
      return until(events);
    },
    opts.timeoutMs ?? 45_000,
  );
  controller.abort();
  if (!until(events)) throw new Error(`stream ended before the condition held; got ${events.map((e) => e.type).join(', ')}`);
  return events;
}

export const finishedRuns = (events: ServerEvent[]) =>
  events.filter((e): e is Extract<ServerEvent, { type: 'run.finished' }> => e.type === 'run.finished');

/** A ws client that records every frame and can wait for one. */
export async function connectWs(url: string, headers: Record<string, string> = {}) {
  const ws = new WebSocket(url.replace(/^http/, 'ws') + '/ws', { headers });
  const frames: ServerFrame[] = [];
  const waiters: Array<() => void> = [];
  ws.on('message', (data) => {
    frames.push(JSON.parse(data.toString()) as ServerFrame);
    for (const wake of waiters.splice(0)) wake();
  });
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
  const waitFor = async <T extends ServerFrame>(pred: (f: ServerFrame) => f is T, timeoutMs = 30_000): Promise<T> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = frames.find(pred);
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`timed out; frames: ${frames.map((f) => f.type).join(',')}`);
      await new Promise<void>((r) => {
        waiters.push(r);
        setTimeout(r, 200);
      });
    }
  };
  const close = () =>
    new Promise<void>((resolve) => {
      if (ws.readyState === ws.CLOSED) return resolve();
      ws.once('close', () => resolve());
      ws.close();
    });
  return { ws, frames, waitFor, send: (frame: unknown) => ws.send(JSON.stringify(frame)), close };
}

/** Polls until the function returns a truthy value. */
export async function waitUntil<T>(fn: () => T | Promise<T>, timeoutMs = 30_000, what = 'condition'): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** True while a process (or, with a negative pid, a process group) exists. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The script for the fake CLI, as a prompt. */
export const fake = (steps: unknown[]) => `FAKE ${JSON.stringify(steps)}`;

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  text: string;
}

export interface RawRequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Connect from this loopback address (127.x.y.z): another client, as the server sees it. */
  localAddress?: string;
  /** Connect to this Unix socket instead (the tunnel's private listener). */
  socketPath?: string;
}

/**
 * A plain node:http request, for what fetch cannot do: choose the source
 * address, talk over a Unix socket, send any Host header.
 */
export function rawRequest(baseUrl: string, options: RawRequestOptions): Promise<RawResponse> {
  const url = new URL(baseUrl);
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        method: options.method ?? 'GET',
        path: options.path,
        headers: { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers },
        ...(options.socketPath ? { socketPath: options.socketPath } : { host: url.hostname, port: url.port }),
        ...(options.localAddress ? { localAddress: options.localAddress } : {}),
        agent: false,
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

/** Opens a WebSocket (loopback TCP or a Unix socket) and resolves with 101, or with the refusal's status. */
export function upgradeStatus(
  baseUrl: string,
  headers: Record<string, string>,
  options: { socketPath?: string; localAddress?: string } = {},
): Promise<number> {
  const target = options.socketPath ? `ws+unix://${options.socketPath}:/ws` : `${baseUrl.replace(/^http/, 'ws')}/ws`;
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(target, { headers, ...(options.localAddress ? { localAddress: options.localAddress } : {}) });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
    ws.once('error', reject);
  });
}

export const SERVER_MAIN = fileURLToPath(new URL('../../server/main.ts', import.meta.url));
/**
 * The compiled server (`npm run build:server` first): what `claude-remote`'s
 * supervisor and the systemd unit run. Run directly, so the child's pid is the server's own.
 */
export const SERVER_BUILT = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

export interface ServerProcess {
  child: ChildProcess;
  url: string;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once it ended. */
  exited: Promise<number | null>;
}

/**
 * Starts the server as its own process, exactly as a user would (`claude-remote`), and waits for its URL.
 * From the sources through tsx by default; `built` runs the compiled server (no transpiling at start-up).
 */
export async function spawnServerProcess(env: Record<string, string>, args: string[] = [], options: { built?: boolean } = {}): Promise<ServerProcess> {
  const entry = options.built ? [SERVER_BUILT] : ['--import', 'tsx', SERVER_MAIN];
  const child = spawn(process.execPath, [...entry, ...args], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', CLAUDE_PATH: FAKE_CLAUDE, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      log += chunk.toString();
      // The URL ends where the line's text does (a JSON line goes on with `"}`).
      const match = /listening on (http:\/\/[^\s"]+)/.exec(log);
      if (match) resolve(match[1] as string);
    };
    child.stderr!.on('data', onData);
    child.stdout!.on('data', onData);
    void exited.then((code) => reject(new Error(`server exited with ${code}: ${log}`)));
  });
  return { child, url, output: () => log, exited };
}

const SUPERVISOR = fileURLToPath(new URL('../../server/supervisor.ts', import.meta.url));

export interface SupervisedServer {
  supervisor: ChildProcess;
  url: string;
  /** What the supervisor and its server wrote to stderr so far. */
  output(): string;
}

/**
 * The server under the `claude-remote` supervisor, as the command runs it,
 * on a fixed free port (a restarted server comes back on the same one).
 * Resolves once /health answers.
 */
export async function spawnSupervisedServer(env: Record<string, string>): Promise<SupervisedServer> {
  const port = await freePort();
  const script = `
    import { supervise } from ${JSON.stringify(SUPERVISOR)};
    process.exit(await supervise({ entry: ${JSON.stringify(SERVER_MAIN)}, nodeArgs: ['--import', 'tsx'], args: [] }));`;
  const supervisor = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
    env: { ...process.env, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'warn', CLAUDE_PATH: FAKE_CLAUDE, ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let output = '';
  supervisor.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const url = `http://127.0.0.1:${port}`;
  await waitUntil(() => fetch(`${url}/health`).then((r) => r.ok, () => false), 60_000, 'the supervised server to listen');
  return { supervisor, url, output: () => output };
}
