/**
 * The Express application: routes, body limits, security headers, the static
 * web app, and the single error handler. Built by a factory so tests start
 * exactly what `main.ts` starts.
 */
import express, { type Express, type RequestHandler, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppError } from '../core/errors.js';
import type { Engine } from '../core/engine.js';
import type { Logger } from '../log.js';
import type { PushRegistry } from '../push/service.js';
import type { UsageService } from '../usage/index.js';
import { MAX_BODY_BYTES } from '../protocol/limits.js';
import { ROUTES, type RouteId, type RouteSpec } from '../protocol/routes.js';
import type { Auth } from './auth.js';
import { chatHandlers } from './chat-gateway.js';
import { errorMiddleware, notFoundHandler, rememberIds, sendError } from './errors.js';
import type { RequestGuard } from './guard.js';
import type { RouteHandler, RouteHandlers } from './handlers.js';
import { loginHandlers } from './login.js';
import { DOCS_CSP } from './openapi.js';
import { pushHandlers } from './push.js';
import { sessionHandlers } from './sessions.js';
import { systemHandlers, type SystemInfo } from './system.js';
import { workspaceHandlers } from './workspace.js';

export interface AppDeps {
  engine: Engine;
  log: Logger;
  version: string;
  startedAt: Date;
  /** The built web app; the API works without it. */
  webDir?: string | undefined;
  auth: Auth;
  guard: RequestGuard;
  /** Machine-wide usage from the CLI's transcripts. */
  usage: Pick<UsageService, 'summary'>;
  /** Web Push subscriptions and the VAPID key. */
  push: PushRegistry;
  /** The tunnel's state, when there is one (shown by an authenticated /health). */
  tunnelState?: () => unknown;
  /** Restarts the server in place (absent: not started under a supervisor). */
  restart?: (() => void) | undefined;
  metrics: SystemInfo['metrics'];
  instance: SystemInfo['instance'];
  /** The body limit of routes whose body may carry attachments (`largeBody`). */
  largeBodyBytes: number;
}

/** The app's own pages may load only their own scripts and styles, and talk only to us. */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "manifest-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');


/** The app, and a way to wait for the requests it is still answering. */
export interface AppHandle {
  app: Express;
  /** Every route the app serves, as Express registered it (the test that none is undocumented reads it). */
  routes(): Array<{ method: string; path: string }>;
  /** Refuses new requests (503) and resolves when in-flight ones (but event streams) are done, or after `deadlineMs`. */
  drain(deadlineMs: number): Promise<void>;
}

export function createApp(deps: AppDeps): Express {
  return createAppHandle(deps).app;
}

export function createAppHandle(deps: AppDeps): AppHandle {
  let draining = false;
  const inflight = new Set<Response>();
  const wrapped = buildApp(deps, (req, res, next) => {
    if (draining) {
      res.setHeader('Connection', 'close');
      return sendError(res, new AppError('cli_unavailable', 'The server is shutting down.'));
    }
    inflight.add(res);
    res.once('close', () => inflight.delete(res));
    next();
  });
  return {
    app: wrapped,
    routes: () => servedRoutes(wrapped),
    async drain(deadlineMs) {
      draining = true;
      const deadline = Date.now() + deadlineMs;
      // Event streams never end on their own: the caller closes their sockets.
      const pending = () => [...inflight].filter((res) => !String(res.getHeader('content-type') ?? '').includes('text/event-stream'));
      while (pending().length > 0 && Date.now() < deadline) await sleep(20);
    },
  };
}

function buildApp(deps: AppDeps, gate: RequestHandler): Express {
  const { engine, log, auth, guard } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  // X-Forwarded-* is believed only as guard.ts decides (the tunnel's own
  // listener): never through Express's req.ip / req.secure.
  app.set('trust proxy', false);
  app.use(gate);
  // Before anything else, and before any body is read: a rebound host name
  // or a foreign page gets nothing (guard.ts says why).
  app.use((req, res, next) => {
    if (!guard.hostAllowed(req)) {
      log.warn(`refused a request for host ${JSON.stringify(req.headers.host ?? '')}`);
      return sendError(
        res,
        new AppError('host_not_allowed', 'This server answers only to its loopback names. Add this host name to ALLOWED_HOSTS, or set a password.'),
      );
    }
    if (!isSafeMethod(req.method) && !guard.originAllowed(req)) {
      log.warn(`refused a ${req.method} from origin ${req.headers.origin}`);
      return sendError(res, new AppError('origin_not_allowed', 'This request came from a page of another site.'));
    }
    next();
  });
  app.use((req, res, next) => {
    res.setHeader('X-Content-Type-Options', 'nosniff');
    // Not no-referrer: under it a browser sends `Origin: null` with a form
    // POST (the login page's), which the Origin check must then refuse.
    // same-origin keeps every URL of ours from other sites all the same.
    res.setHeader('Referrer-Policy', 'same-origin');
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    res.setHeader('Permissions-Policy', 'camera=(), microphone=(), geolocation=()');
    res.setHeader('Content-Security-Policy', APP_CSP);
    if (guard.isSecure(req)) res.setHeader('Strict-Transport-Security', 'max-age=31536000');
    next();
  });

  // Every route of the table has its handler: the compiler checks this object.
  const handlers: RouteHandlers = {
    ...systemHandlers(engine, auth, {
      version: deps.version,
      startedAt: deps.startedAt,
      tunnelState: deps.tunnelState,
      usage: deps.usage,
      restart: deps.restart,
      metrics: deps.metrics,
      instance: deps.instance,
    }),
    ...loginHandlers(auth, guard),
    ...sessionHandlers(engine, guard),
    ...pushHandlers(deps.push),
    ...workspaceHandlers(engine),
    ...chatHandlers(engine, guard),
  };
  const routes = Object.entries(ROUTES) as [RouteId, RouteSpec][];
  rememberIds(app);
  const register = (id: RouteId, spec: RouteSpec, ...before: RequestHandler[]) => {
    const handler: RouteHandler = handlers[id];
    app[spec.method](spec.path, ...before, ...(Array.isArray(handler) ? handler : [handler]));
  };

  // ---- public: health, the login page and login, the static shell --------------
  for (const [id, spec] of routes) if (spec.access === 'public') register(id, spec);
  serveWebApp(app, deps.webDir, log);

  // ---- everything below needs credentials (when a secret is configured) --------
  app.use(auth.require);
  // Bodies are read only once the client proved who it is. A prompt's
  // attachments make a larger body: those routes come first, with their own limit.
  const jsonTypes = ['application/json', 'application/*+json'];
  const largeJson = express.json({ limit: deps.largeBodyBytes, type: jsonTypes });
  for (const [id, spec] of routes) if (spec.access === 'user' && spec.largeBody) register(id, spec, largeJson);
  app.use(express.json({ limit: MAX_BODY_BYTES, type: jsonTypes }));
  for (const [id, spec] of routes) if (spec.access === 'user' && !spec.largeBody) register(id, spec);

  app.use('/api', notFoundHandler);
  app.use(notFoundHandler);
  app.use(errorMiddleware(log));
  return app;
}

/** The built app and its assets, or a page that says how to build it. */
function serveWebApp(app: Express, webDir: string | undefined, log: Logger): void {
  if (webDir && existsSync(join(webDir, 'index.html'))) {
    app.use(
      express.static(webDir, {
        index: 'index.html',
        setHeaders(res, path) {
          // Hashed assets never change; the shell and service worker must be revalidated.
          if (/[\\/]assets[\\/]/.test(path)) res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
          else res.setHeader('Cache-Control', 'no-cache');
        },
      }),
    );
    return;
  }
  log.warn(`no built web app in ${webDir ?? '(unset)'}; run "npm run build" to serve the UI`);
  app.get('/', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('html').send('<!doctype html><title>Claude Remote</title><p>The web app is not built. Run <code>npm run build</code>. The API is at <a href="/docs">/docs</a>.</p>');
  });
}

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
}

function servedRoutes(app: Express): Array<{ method: string; path: string }> {
  const stack = (app as unknown as { router: { stack: RouterLayer[] } }).router.stack;
  return stack.flatMap((layer) =>
    layer.route ? Object.keys(layer.route.methods).map((method) => ({ method, path: (layer.route as { path: string }).path })) : [],
  );
}

function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
