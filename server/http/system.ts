/**
 * The handlers of the server's own routes: health, processes, metrics,
 * folders, usage, and the API described (OpenAPI and /docs).
 */
import type { Request, Response } from 'express';
import type { Engine } from '../core/engine.js';
import { AppError } from '../core/errors.js';
import { foldersQuerySchema } from '../protocol/api.js';
import type { UsageService } from '../usage/index.js';
import type { Auth } from './auth.js';
import { parse } from './errors.js';
import type { RouteHandlers } from './handlers.js';
import { DOCS_CSP, docsPage, openApiDocument } from './openapi.js';

export interface SystemInfo {
  version: string;
  startedAt: Date;
  /** The tunnel's state, when there is one (shown by an authenticated /health). */
  tunnelState?: () => unknown;
  /** Machine-wide usage from the CLI's transcripts. */
  usage: Pick<UsageService, 'summary'>;
  /** Restarts the server in place; absent when nothing would start it again. */
  restart?: (() => void) | undefined;
  /** The Prometheus metrics (server/metrics/). */
  metrics: { readonly contentType: string; render(): Promise<string> };
  /** This server's id and the store it uses (several instances share a Redis one). */
  instance: { id: string; store: 'sqlite' | 'redis' };
}

export function systemHandlers(
  engine: Engine,
  auth: Auth,
  info: SystemInfo,
): RouteHandlers<'health' | 'processes' | 'metrics' | 'roots' | 'folders' | 'usage' | 'openapi' | 'docs' | 'websocket' | 'restart'> {
  return {
    async health(req: Request, res: Response) {
      // With auth on, a stranger learns only that something answers here, and
      // a wrong secret gets exactly the same answer (counted, so no oracle).
      if (auth.enabled && !(await auth.verify(req)).ok) {
        res.json({ status: 'ok' });
        return;
      }
      const { claude, warm } = await engine.health();
      res.json({
        status: 'ok',
        version: info.version,
        uptimeS: Math.round((Date.now() - info.startedAt.getTime()) / 1000),
        claude: { found: claude.found, path: claude.path ?? null, version: claude.version ?? null, hint: claude.hint },
        // The flat names the gateway we replace answered with.
        claude_path: claude.path ?? null,
        claude_version: claude.version ?? null,
        tunnel: info.tunnelState?.() ?? { status: 'off' },
        warm,
        instanceId: info.instance.id,
        store: info.instance.store,
      });
    },

    async processes(_req, res) {
      res.json({ processes: await engine.processes() });
    },

    async metrics(_req, res) {
      const body = await info.metrics.render();
      res.setHeader('Cache-Control', 'no-store');
      res.type(info.metrics.contentType).send(body);
    },

    roots(_req, res) {
      res.json({ roots: engine.allowedRoots });
    },

    async folders(req, res) {
      const { path } = parse(foldersQuerySchema, req.query, 'query');
      res.json(await engine.listFolders(path));
    },

    async usage(_req, res) {
      res.json(await info.usage.summary());
    },

    openapi(_req, res) {
      res.json(openApiDocument(info.version));
    },

    docs(_req, res) {
      res.setHeader('Content-Security-Policy', DOCS_CSP);
      res.type('html').send(docsPage(info.version));
    },

    restart(_req, res) {
      if (!info.restart) {
        throw new AppError(
          'conflict',
          'This server was not started by the claude-remote command or a service manager, so nothing would start it again: restart it by hand.',
        );
      }
      res.status(202).json({ restarting: true });
      // After the answer is out: the server closes (runs stop, queued prompts stay) and comes back.
      res.once('finish', () => info.restart?.());
    },

    // Upgrades are answered by the WebSocket server (server/ws/upgrade.ts); a plain GET is not one.
    websocket(_req, res) {
      res.status(426).setHeader('Upgrade', 'websocket').json({ error: { code: 'bad_request', message: 'This is a WebSocket endpoint: connect with an upgrade.' } });
    },
  };
}
