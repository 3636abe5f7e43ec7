/**
 * The composition root: config -> adapters -> engine -> doors -> listen ->
 * signals -> shutdown. Tests start the server through `startServer`, exactly
 * as the command line does.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createCliLocator } from './cli/locate.js';
import { createChildProcessRunner } from './cli/runner.js';
import { ConfigError, helpText, loadConfig, SETTING_ENV_NAMES, type Config } from './config.js';
import { createEngine, type Engine } from './core/engine.js';
import { systemClock, type Clock } from './core/ports.js';
import { createAppHandle } from './http/app.js';
import { createAuth } from './http/auth.js';
import { buildForwardOptions, printTunnelBanner, startNgrokTunnel, type NgrokTunnelOptions, type Tunnel } from './tunnel/ngrok.js';
import { createLogger, type Logger } from './log.js';
import { createSqliteStore } from './store/sqlite.js';
import { attachWebSocket } from './ws/upgrade.js';

export interface ServerOverrides {
  log?: Logger;
  clock?: Clock;
  /** Called each time the tunnel comes online with a new public URL (the CLI prints a QR code). */
  onTunnelUrl?: (url: string) => void;
  /** Tunnel timing and SDK seams, for tests. */
  tunnel?: Pick<NgrokTunnelOptions, 'connectTimeoutMs' | 'backoff' | 'forward'>;
  /** Environment of the CLI processes (default: this process's, minus NODE_OPTIONS). */
  cliEnv?: Record<string, string>;
}

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  close(): Promise<void>;
}

const SHUTDOWN_DEADLINE_MS = 15_000;
const DRAIN_DEADLINE_MS = 2_000;

/** The package root: where package.json is, whether we run from server/ or dist/. */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'claude-remote') return dir;
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * The CLI's environment: the user's own (their login, API key, PATH), minus
 * our Node flags (as the Agent SDK does) and minus every setting of ours.
 * Claude's tools can read and print their environment: AUTH_PASSWORD,
 * AUTH_TOKEN or NGROK_AUTHTOKEN must never be within their reach.
 */
export function defaultCliEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ours = new Set([...SETTING_ENV_NAMES, 'NODE_OPTIONS']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined && !ours.has(key)) env[key] = value;
  return env;
}

export async function startServer(config: Readonly<Config>, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const log = overrides.log ?? createLogger(config.logLevel);
  checkExposure(config, log);
  if (config.tunnel) {
    try {
      buildForwardOptions(config.port, config.host, config.tunnel);
    } catch (err) {
      throw new ConfigError(`Tunnel settings: ${(err as Error).message}`);
    }
  }
  const version = packageVersion();
  const store = createSqliteStore({ file: join(config.dataDir, 'claude-remote.db') });
  const cliEnv = overrides.cliEnv ?? defaultCliEnv();
  const locator = createCliLocator({ claudePath: config.claudePath, home: homedir(), env: cliEnv });
  const engine = createEngine(
    {
      store,
      runner: createChildProcessRunner({ killGraceMs: config.killGraceMs }),
      locator,
      clock: overrides.clock ?? systemClock,
      log: (level, message, extra) => log[level](message, extra),
    },
    {
      dataDir: config.dataDir,
      allowedRoots: config.allowedRoots,
      maxConcurrentRuns: config.maxConcurrentRuns,
      maxQueueLength: config.maxQueueLength,
      cliEnv,
      permissionPrompts: config.permissionPrompts,
      permissionTimeoutMs: config.permissionTimeoutMs,
    },
  );
  await engine.start();
  const auth = createAuth({
    password: config.authPassword,
    token: config.authToken,
    user: config.authUser,
    sessionTtlMs: config.authSessionTtlMs,
    store,
    clock: overrides.clock ?? systemClock,
    log,
  });
  let tunnel: Tunnel | undefined;
  const { app, drain } = createAppHandle({
    engine,
    locator,
    log,
    version,
    auth,
    tunnelState: () => tunnel?.state ?? { status: 'off' },
    startedAt: new Date(),
    webDir: config.webDir ?? join(packageRoot(), 'dist', 'web'),
  });
  const server = createServer(app);
  // SSE streams and slow phones: no request timeout on long-lived responses.
  server.requestTimeout = 0;
  server.headersTimeout = 30_000;
  const ws = attachWebSocket(server, { engine, log, version, authenticate: async (req) => (await auth.check(req)) !== undefined });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolveListen());
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  if (config.tunnel) {
    // In the background: a tunnel that cannot connect never stops the local server.
    tunnel = startNgrokTunnel({ port, host: config.host, settings: config.tunnel, log, ...overrides.tunnel });
    let shown: string | undefined;
    tunnel.onChange((state) => {
      if (state.status !== 'online' || state.url === shown) return;
      shown = state.url;
      overrides.onTunnelUrl?.(state.url);
    });
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await tunnel?.close();
      server.close();
      await ws.close();
      await withDeadline(engine.close(), SHUTDOWN_DEADLINE_MS, () => log.warn('runs did not stop in time'));
      // Requests in flight finish (new ones get 503), so none meets a closed
      // database; then the long-lived streams are cut.
      await drain(DRAIN_DEADLINE_MS);
      server.closeAllConnections();
      await store.close();
    })());

  return { url, port, engine, close };
}

/**
 * Whoever reaches this server can run commands as this user. Beyond loopback
 * (another address, or a tunnel) a secret is required, unless the loudly
 * named opt-out is set, and then every start says so.
 */
export function checkExposure(config: Readonly<Config>, log: Logger): void {
  const exposed = !isLoopback(config.host) || config.tunnel !== undefined;
  if (!exposed || config.authPassword || config.authToken) return;
  const where = config.tunnel ? 'an ngrok tunnel' : `${config.host}`;
  if (config.allowUnauthenticatedRemote) {
    log.warn(
      `UNAUTHENTICATED on ${where}: anyone who can reach this server can run any command as this user. ` +
        'Set AUTH_PASSWORD and drop --dangerously-allow-unauthenticated-remote.',
    );
    return;
  }
  throw new ConfigError(
    `Refusing to start on ${where} without authentication: anyone who reaches it could run commands on this computer.\n` +
      'Set AUTH_PASSWORD (the app asks for it) and/or AUTH_TOKEN (for API clients: Authorization: Bearer), ' +
      'or listen on 127.0.0.1 only (HOST=127.0.0.1).',
  );
}

async function withDeadline(work: Promise<unknown>, ms: number, onLate: () => void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((r) => {
    timer = setTimeout(() => {
      onLate();
      r();
    }, ms);
  });
  await Promise.race([work, late]);
  clearTimeout(timer);
}

export async function main(argv: string[]): Promise<void> {
  if (argv.includes('--help') || argv.includes('-h')) {
    process.stdout.write(`${helpText()}\n`);
    return;
  }
  let config: Readonly<Config>;
  try {
    config = loadConfig({ argv, env: process.env, envFile: resolve('.env') });
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
  const log = createLogger(config.logLevel);
  let running: RunningServer;
  try {
    running = await startServer(config, {
      log,
      onTunnelUrl: (url) => void printTunnelBanner(url, (text) => process.stdout.write(text)),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  log.info(`Claude Remote ${packageVersion()} listening on ${running.url}`);
  log.info(`data in ${config.dataDir}; sessions may use ${config.allowedRoots.join(', ') || '(no folders: own folders only)'}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: stopping runs and closing`);
    running.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', err);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
