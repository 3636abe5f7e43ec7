/**
 * The Express application: routes, body limits, security headers, the static
 * web app, and the single error handler. Built by a factory so tests start
 * exactly what `main.ts` starts.
 */
import express, { type Express, type RequestHandler, type Response } from 'express';
import { AppError } from '../core/errors.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { Engine } from '../core/engine.js';
import type { CliLocator } from '../core/ports.js';
import type { Logger } from '../log.js';
import { MAX_BODY_BYTES } from '../protocol/limits.js';
import type { Auth } from './auth.js';
import type { RequestGuard } from './guard.js';
import { chatRouter } from './chat-gateway.js';
import { loginRouter } from './login.js';
import { errorMiddleware, notFoundHandler, parse, sendError } from './errors.js';
import { docsPage, openApiDocument } from './openapi.js';
import { sessionsRouter } from './sessions.js';

export interface AppDeps {
  engine: Engine;
  locator: CliLocator;
  log: Logger;
  version: string;
  startedAt: Date;
  /** The built web app; the API works without it. */
  webDir?: string | undefined;
  auth: Auth;
  guard: RequestGuard;
  /** The tunnel's state, when there is one (shown by an authenticated /health). */
  tunnelState?: () => unknown;
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

const DOCS_CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'";

/** The app, and a way to wait for the requests it is still answering. */
export interface AppHandle {
  app: Express;
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
    async drain(deadlineMs) {
      draining = true;
      const deadline = Date.now() + deadlineMs;
      // Event streams never end on their own: the caller closes their sockets.
      const pending = () => [...inflight].filter((res) => !String(res.getHeader('content-type') ?? '').includes('text/event-stream'));
      while (pending().length > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    },
  };
}

function buildApp(deps: AppDeps, gate: RequestHandler): Express {
  const { engine, locator, log, version, startedAt, auth, guard } = deps;
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

  // ---- public: health, login, the static shell --------------------------------
  app.get('/health', async (req, res) => {
    // With auth on, a stranger learns only that something answers here, and
    // a wrong secret gets exactly the same answer (counted, so no oracle).
    if (auth.enabled && !(await auth.verify(req)).ok) {
      res.json({ status: 'ok' });
      return;
    }
    const claude = await locator.locate();
    res.json({
      status: 'ok',
      version,
      uptimeS: Math.round((Date.now() - startedAt.getTime()) / 1000),
      claude: { found: claude.found, path: claude.path ?? null, version: claude.version ?? null, hint: claude.hint },
      // The flat names the gateway we replace answered with.
      claude_path: claude.path ?? null,
      claude_version: claude.version ?? null,
      tunnel: deps.tunnelState?.() ?? { status: 'off' },
      warm: await engine.poolStats(),
    });
  });
  app.use(loginRouter(auth, guard));
  const webDir = deps.webDir;
  const hasWeb = Boolean(webDir && existsSync(join(webDir, 'index.html')));
  if (webDir && hasWeb) {
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
  } else {
    log.warn(`no built web app in ${webDir ?? '(unset)'}; run "npm run build" to serve the UI`);
    app.get('/', (_req, res) => {
      res.setHeader('Content-Security-Policy', DOCS_CSP);
      res.type('html').send('<!doctype html><title>Claude Remote</title><p>The web app is not built. Run <code>npm run build</code>. The API is at <a href="/docs">/docs</a>.</p>');
    });
  }

  // ---- everything below needs credentials (when a secret is configured) --------
  app.use(auth.require);
  // Bodies are read only once the client proved who it is.
  app.use(express.json({ limit: MAX_BODY_BYTES, type: ['application/json', 'application/*+json'] }));
  app.get('/api/auth/me', (_req, res) => {
    res.json({ authenticated: true, authEnabled: auth.enabled });
  });

  app.get('/api/openapi.json', (_req, res) => {
    res.json(openApiDocument(version));
  });
  app.get('/docs', (_req, res) => {
    res.setHeader('Content-Security-Policy', DOCS_CSP);
    res.type('html').send(docsPage(version));
  });

  app.use('/api/sessions', sessionsRouter(engine, guard));
  app.get('/api/processes', async (_req, res) => {
    res.json({ processes: await engine.processes() });
  });
  app.get('/api/roots', (_req, res) => {
    res.json({ roots: engine.allowedRoots });
  });
  app.get('/api/folders', async (req, res) => {
    const { path } = parse(z.object({ path: z.string().min(1).max(4096) }), req.query, 'query');
    res.json(await engine.listFolders(path));
  });
  app.get('/api/usage', async (_req, res) => {
    res.json({ today: await engine.usageToday() });
  });
  app.use(chatRouter(engine, guard));
  app.use('/api', notFoundHandler);

  app.use(notFoundHandler);
  app.use(errorMiddleware(log));
  return app;
}

function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
