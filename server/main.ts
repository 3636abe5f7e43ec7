/**
 * The composition root: config -> adapters -> engine -> doors -> listen ->
 * signals -> shutdown. Tests start the server through `startServer`, exactly
 * as the command line does.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { Agent as HttpsAgent } from 'node:https';
import type { AddressInfo } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createChildProcessRunner } from './process/child-process.js';
import { attachmentsBodyBytes, MAX_WS_MESSAGE_BYTES } from './protocol/limits.js';
import { createGitRunner } from './process/git.js';
import { unifiedDiff } from './process/diff.js';
import { createCliLocator } from './process/locate.js';
import { ConfigError, helpText, loadConfig, type Config } from './config.js';
import { checkExposure, defaultCliEnv, packageRoot, packageVersion, warnAboutSecretsOnCommandLine } from './startup.js';
import { DataDirInUseError, lockDataDir } from './data-lock.js';
import { within } from './core/deadline.js';
import { createEngine, type Engine } from './core/engine.js';
import { systemClock, type Clock } from './core/ports.js';
import { Presence, PRESENCE_FRESH_MS } from './core/presence.js';
import { createAppHandle } from './http/app.js';
import { createAuth } from './http/auth.js';
import { createGuard } from './http/guard.js';
import {
  buildForwardOptions,
  printTunnelBanner,
  startNgrokTunnel,
  unixSocketAddr,
  type NgrokTunnelOptions,
  type Tunnel,
} from './tunnel/ngrok.js';
import { createLogger, type Logger } from './log.js';
import { listenForMetrics } from './metrics/listener.js';
import { createMetrics } from './metrics/metrics.js';
import { logRunEvents } from './run-log.js';
import { openStore } from './open-store.js';
import { createWebPushSender } from './push/sender.js';
import { createPushService } from './push/service.js';
import { loadOrCreateVapidKeys, sharedVapidKeys } from './push/vapid.js';
import { createUsageService, transcriptRoots } from './usage/index.js';
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
  /** HTTP timeouts, shortened by tests. */
  timeouts?: Partial<HttpTimeouts>;
  /**
   * POST /api/admin/restart: what restarting means here (the command line
   * closes and exits for its supervisor). Absent: restarting is refused.
   */
  restart?: () => void;
  /** The TLS agent for push services (tests trust their local one with it). */
  push?: { agent?: HttpsAgent };
}

export { RESTART_EXIT_CODE } from './supervisor.js';
export { checkExposure, defaultCliEnv, isLoopback, packageVersion } from './startup.js';
import { RESTART_EXIT_CODE } from './supervisor.js';

export interface HttpTimeouts {
  /** The request line and headers must arrive within this. */
  headersMs: number;
  /** The whole request, body included, must arrive within this (responses, e.g. event streams, are not limited). */
  requestMs: number;
  /** How often Node checks the two above. */
  checkIntervalMs: number;
}

const DEFAULT_TIMEOUTS: HttpTimeouts = { headersMs: 15_000, requestMs: 60_000, checkIntervalMs: 5_000 };

export interface RunningServer {
  url: string;
  port: number;
  /** The tunnel's private listener (a Unix socket), when the tunnel is on. */
  tunnelSocket?: string | undefined;
  /** The metrics' own listener (METRICS_PORT), when there is one. */
  metricsUrl?: string | undefined;
  /** Every HTTP route served (method and Express path). */
  routes(): Array<{ method: string; path: string }>;
  engine: Engine;
  close(): Promise<void>;
}

const SHUTDOWN_DEADLINE_MS = 15_000;
const DRAIN_DEADLINE_MS = 2_000;

export async function startServer(config: Readonly<Config>, overrides: ServerOverrides = {}): Promise<RunningServer> {
  const log = overrides.log ?? createLogger(config.logLevel, { format: config.logFormat });
  checkExposure(config, log);
  warnAboutSecretsOnCommandLine(config, log);
  if (config.tunnel) {
    try {
      buildForwardOptions(unixSocketAddr('/check'), config.tunnel);
    } catch (err) {
      throw new ConfigError(`Tunnel settings: ${(err as Error).message}`);
    }
  }
  const startedAt = new Date();
  mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  // Before the store is opened and leftovers of a crash are cleaned up: never another live server's.
  let unlock: () => void;
  try {
    unlock = lockDataDir(config.dataDir, startedAt);
  } catch (err) {
    if (err instanceof DataDirInUseError) throw new ConfigError(err.message);
    throw err;
  }
  try {
    return await startLocked(config, overrides, log, startedAt, unlock);
  } catch (err) {
    unlock();
    throw err;
  }
}

/** The rest of the start, holding the data folder's lock (`unlock` releases it at close). */
async function startLocked(
  config: Readonly<Config>,
  overrides: ServerOverrides,
  log: Logger,
  startedAt: Date,
  unlock: () => void,
): Promise<RunningServer> {
  const version = packageVersion();
  // Alone, before the store opens: an unreadable key file stops the start with nothing else to close.
  const ownVapid = config.redisUrl === undefined ? loadOrCreateVapidKeys(config.dataDir) : undefined;
  const opened = await openStore(config, (level, message, extra) => log[level](message, extra));
  const { store, instanceId } = opened;
  // Shared: one pair for every instance, kept in the store (see push/vapid.ts).
  const vapid = ownVapid ?? (await sharedVapidKeys(store, config.dataDir).catch(async (err: unknown) => {
    await opened.close();
    throw err;
  }));
  const cliEnv = overrides.cliEnv ?? defaultCliEnv();
  const locator = createCliLocator({ claudePath: config.claudePath, home: homedir(), env: cliEnv });
  const engine = createEngine(
    {
      store,
      runner: createChildProcessRunner({ owner: instanceId, killGraceMs: config.killGraceMs }),
      locator,
      clock: overrides.clock ?? systemClock,
      differ: unifiedDiff,
      git: createGitRunner({ gitPath: config.gitPath, env: cliEnv }),
      log: (level, message, extra) => log[level](message, extra),
      instanceId,
      cluster: opened.cluster,
    },
    {
      dataDir: config.dataDir,
      sessionsDir: config.sessionsDir,
      worktreesDir: config.worktreesDir,
      allowedRoots: config.allowedRoots,
      maxConcurrentRuns: config.maxConcurrentRuns,
      maxQueueLength: config.maxQueueLength,
      cliEnv,
      permissionPrompts: config.permissionPrompts,
      permissionTimeoutMs: config.permissionTimeoutMs,
      policy: { permissionModes: config.permissionModes, mcp: config.mcpPolicy },
      killGraceMs: config.killGraceMs,
      warm: config.warm,
      runTimeoutMs: config.runTimeoutMs,
      idleTimeoutMs: config.idleTimeoutMs,
      maxOutputBytes: config.maxOutputBytes,
      eventRetentionDays: config.eventRetentionDays,
      maxAttachmentBytes: config.maxAttachmentBytes,
    },
  );
  const guard = createGuard({
    authEnabled: Boolean(config.authPassword || config.authToken),
    allowedHosts: config.allowedHosts,
    trustProxy: config.trustProxy,
  });
  // Before start(): the runs a killed server left are logged and counted as they are found.
  logRunEvents(engine, log);
  const metrics = createMetrics({ engine, openStreams: () => guard.openStreams(), storeFile: opened.file });
  await engine.start();
  // After start (though notices.ts skips them anyway): the runs a previous life left are no news to push.
  const presence = new Presence(overrides.clock ?? systemClock, PRESENCE_FRESH_MS, opened.cluster);
  const push = createPushService(
    {
      store,
      engine,
      presence,
      sender: createWebPushSender({ vapid, subject: config.pushSubject, agent: overrides.push?.agent }),
      clock: overrides.clock ?? systemClock,
      log,
    },
    {
      publicKey: vapid.publicKey,
      permissionTimeoutS: Math.ceil(config.permissionTimeoutMs / 1000),
      instanceId: opened.cluster ? instanceId : undefined,
    },
  );
  const clock = overrides.clock ?? systemClock;
  const usage = createUsageService({
    roots: transcriptRoots(cliEnv, homedir()),
    scanIntervalMs: config.usageScanIntervalMs,
    now: () => clock.now().getTime(),
    log: (level, message, extra) => log[level](message, extra),
    serverTotals: () => engine.usageToday(),
  });
  usage.start();
  const auth = createAuth({
    password: config.authPassword,
    token: config.authToken,
    user: config.authUser,
    sessionTtlMs: config.authSessionTtlMs,
    store,
    clock: overrides.clock ?? systemClock,
    log,
    clientKey: guard.clientKey,
  });
  await auth.start();
  let tunnel: Tunnel | undefined;
  const { app, drain, routes } = createAppHandle({
    largeBodyBytes: attachmentsBodyBytes(config.maxAttachmentBytes),
    engine,
    log,
    version,
    auth,
    guard,
    usage,
    push,
    tunnelState: () => tunnel?.state ?? { status: 'off' },
    restart: overrides.restart,
    startedAt,
    metrics,
    instance: { id: instanceId, store: opened.kind },
    webDir: config.webDir ?? join(packageRoot(), 'dist', 'web'),
  });
  const timeouts = { ...DEFAULT_TIMEOUTS, ...overrides.timeouts };
  const server = createHttpServer(app, timeouts);
  const ws = attachWebSocket(server, {
    engine,
    log,
    version,
    startedAt,
    guard,
    auth,
    presence,
    maxPayloadBytes: Math.max(MAX_WS_MESSAGE_BYTES, attachmentsBodyBytes(config.maxAttachmentBytes)),
  });
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolveListen());
  });
  // Beside the main port, not instead of it (where /metrics stays, behind auth).
  const metricsListener = config.metricsPort === undefined ? undefined : await listenForMetrics(metrics, config.metricsPort, log);
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  let tunnelServer: Server | undefined;
  let tunnelSocket: string | undefined;
  if (config.tunnel) {
    // The tunnel's own listener: what arrives here came through ngrok (see guard.ts).
    tunnelSocket = tunnelSocketPath(config.dataDir);
    tunnelServer = createHttpServer(app, timeouts);
    const marked = tunnelServer;
    marked.on('connection', (socket) => guard.markTunnel(socket));
    ws.attach(marked);
    rmSync(tunnelSocket, { force: true });
    await new Promise<void>((resolveListen, reject) => {
      marked.once('error', reject);
      marked.listen(tunnelSocket, () => resolveListen());
    });
    chmodSync(tunnelSocket, 0o600);
    // In the background: a tunnel that cannot connect never stops the local server.
    tunnel = startNgrokTunnel({ addr: unixSocketAddr(tunnelSocket), settings: config.tunnel, log, ...overrides.tunnel });
    let shown: string | undefined;
    tunnel.onChange((state) => {
      if (state.status !== 'online' || state.url === shown) return;
      shown = state.url;
      // Without a secret (the loudly named opt-out) the Host check is on: let the tunnel's name in.
      guard.allowHost(new URL(state.url).host);
      overrides.onTunnelUrl?.(state.url);
    });
  }

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      await tunnel?.close();
      await metricsListener?.close();
      server.close();
      tunnelServer?.close();
      await ws.close();
      // Before the runs stop: their ends at shutdown are not news to push.
      await push.close();
      if ((await within(engine.close(), SHUTDOWN_DEADLINE_MS)).outcome === 'late') log.warn('runs did not stop in time');
      await usage.close();
      // Requests in flight finish (new ones get 503), so none meets a closed
      // database; then the long-lived streams are cut.
      await drain(DRAIN_DEADLINE_MS);
      server.closeAllConnections();
      tunnelServer?.closeAllConnections();
      if (tunnelSocket) rmSync(tunnelSocket, { force: true });
      await opened.close();
      unlock();
    })());

  return { url, port, engine, close, tunnelSocket, metricsUrl: metricsListener?.url, routes };
}

/**
 * Slow clients must not hold connections forever: headers and whole request
 * bodies have deadlines. Responses have none (event streams last hours).
 */
function createHttpServer(app: ReturnType<typeof createAppHandle>['app'], t: HttpTimeouts): Server {
  const server = createServer({ connectionsCheckingInterval: t.checkIntervalMs }, app);
  server.headersTimeout = t.headersMs;
  server.requestTimeout = t.requestMs;
  return server;
}

/** In the data folder (private to this user) when the path fits a socket address, else in a private temp folder. */
function tunnelSocketPath(dataDir: string): string {
  const inData = join(dataDir, 'tunnel.sock');
  if (Buffer.byteLength(inData) < 100) return inData;
  return join(mkdtempSync(join(tmpdir(), 'claude-remote-')), 'tunnel.sock');
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
  const log = createLogger(config.logLevel, { format: config.logFormat });
  installLastLineOfDefence(log);
  let running: RunningServer | undefined;
  // Under a supervisor (`claude-remote` sets CLAUDE_REMOTE_SUPERVISED; systemd sets INVOCATION_ID)
  // restarting is closing and exiting with RESTART_EXIT_CODE; it starts us again, same port, same tunnel.
  const supervised = Boolean(process.env.CLAUDE_REMOTE_SUPERVISED || process.env.INVOCATION_ID);
  const restart = () => {
    log.info('restart requested: stopping runs and closing; the supervisor starts the server again');
    void running?.close().then(
      () => process.exit(RESTART_EXIT_CODE),
      () => process.exit(RESTART_EXIT_CODE),
    );
  };
  try {
    running = await startServer(config, {
      log,
      onTunnelUrl: (url) => void printTunnelBanner(url, (text) => process.stdout.write(text)),
      ...(supervised ? { restart } : {}),
    });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  log.info(`Claude Remote ${packageVersion()} listening on ${running.url}`);
  if (running.metricsUrl) log.info(`metrics, without credentials, at ${running.metricsUrl}`);
  log.info(`data in ${config.dataDir}; sessions may use ${config.allowedRoots.join(', ') || '(no folders: own folders only)'}`);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      log.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    log.info(`${signal}: stopping runs and closing`);
    (running as RunningServer).close().then(
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

/**
 * No client input may end the process. Every promise the server makes has a
 * handler, and every door answers its errors; should one be missed anyway, it
 * is logged with its stack and the server keeps serving the others, instead
 * of Node's default of exiting on the first one.
 */
export function installLastLineOfDefence(log: Logger): void {
  process.on('unhandledRejection', (reason) => log.error('BUG: an unhandled promise rejection (the server keeps running)', reason));
  process.on('uncaughtException', (err) => log.error('BUG: an uncaught exception (the server keeps running)', err));
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href;
if (invokedDirectly) {
  main(process.argv.slice(2)).catch((err: unknown) => {
    process.stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  });
}
