/**
 * The login door: a server-rendered page with a plain form (no script at
 * all, so nothing to inject into), the JSON and form login endpoints, and
 * logout. The browser gets a session cookie; see auth.ts.
 */
import express, { type Request, type Response } from 'express';
import { AppError, isAppError } from '../core/errors.js';
import { loginSchema } from '../protocol/api.js';
import { sessionCookie, type Auth } from './auth.js';
import { parse, sendError } from './errors.js';
import type { RequestGuard } from './guard.js';
import type { RouteHandlers } from './handlers.js';
import { escapeHtml } from './html.js';

/** A page with no script: only its own inline styles may apply. */
export const LOGIN_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";


/** Only a path on this site: never `//evil.example` or `https://…`. */
export function safeNext(next: string | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  return next;
}

export function loginPage(options: { error?: string; next: string; enabled: boolean }): string {
  const body = options.enabled
    ? `<main><form method="post" action="/api/auth/login">
  <h1>Claude Remote</h1>
  <p>This server runs commands on its computer. Log in to use it.</p>
  ${options.error ? `<p class="error" role="alert">${escapeHtml(options.error)}</p>` : ''}
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required autofocus>
  <input type="hidden" name="next" value="${escapeHtml(options.next)}">
  <button type="submit">Log in</button>
</form></main>`
    : `<main><div class="card"><h1>Claude Remote</h1><p>No password is set, so the app is open, on this computer only. <a href="/">Open the app</a>.</p></div></main>`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1,viewport-fit=cover">
<meta name="color-scheme" content="light dark"><title>Log in · Claude Remote</title>
<link rel="icon" href="/favicon.svg">
<style>
body{margin:0;min-height:100dvh;display:grid;place-items:center;font:16px/1.45 system-ui,sans-serif;background:#f5f5f4;color:#1c1917}
form,.card{box-sizing:border-box;width:min(400px,calc(100vw - 32px));padding:24px;border:1px solid #d6d3d1;border-radius:14px;background:#fff}
h1{margin:0 0 8px;font-size:1.3rem}label{display:block;margin:16px 0 6px;font-weight:600}
input[type=password]{box-sizing:border-box;width:100%;min-height:44px;padding:8px 10px;font:inherit;border:1px solid #a8a29e;border-radius:8px}
button{margin-top:16px;width:100%;min-height:44px;font:inherit;font-weight:700;color:#fff;background:#b45309;border:0;border-radius:8px}
.error{color:#b91c1c}
@media (prefers-color-scheme:dark){body{background:#1c1b1a;color:#f5f5f4}form,.card{background:#2c2b29;border-color:#44403c}input[type=password]{background:#1c1b1a;color:#f5f5f4}.error{color:#f87171}button{color:#1c1917;background:#f59e0b}}
</style></head><body>${body}</body></html>`;
}

/**
 * The login page and endpoints. The page and the login itself are public, so
 * the login reads only small bodies of its own (the API's body parser runs
 * after authentication).
 */
export function loginHandlers(auth: Auth, guard: RequestGuard): RouteHandlers<'loginPage' | 'login' | 'logout' | 'logoutEverywhere' | 'me'> {
  const form = express.urlencoded({ extended: false, limit: '16kb' });
  const json = express.json({ limit: '16kb' });

  return {
    loginPage(req: Request, res: Response) {
      res.setHeader('Content-Security-Policy', LOGIN_CSP);
      res.setHeader('Cache-Control', 'no-store');
      const error = req.query.error === 'rate' ? 'Too many failed attempts. Wait a minute.' : req.query.error ? 'Wrong password.' : undefined;
      res.type('html').send(loginPage({ error, next: safeNext(String(req.query.next ?? '/')), enabled: auth.enabled }));
    },

    login: [
      form,
      json,
      async (req: Request, res: Response) => {
        const isForm = Boolean(req.is('application/x-www-form-urlencoded'));
        const body = parse(loginSchema, req.body);
        const next = safeNext(body.next);
        if (!auth.enabled) throw new AppError('conflict', 'No password is configured (AUTH_PASSWORD); there is nothing to log in to.');
        try {
          const { cookie } = await auth.login(body.password, guard.clientKey(req), guard.isSecure(req));
          res.setHeader('Set-Cookie', cookie);
          if (isForm) res.redirect(303, next);
          else res.json({ ok: true });
        } catch (err) {
          if (!isAppError(err)) throw err;
          const retryAfterMs = (err as AppError & { retryAfterMs?: number }).retryAfterMs;
          if (retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(retryAfterMs / 1000)));
          if (!isForm) return sendError(res, err);
          res.redirect(303, `/login?error=${err.code === 'rate_limited' ? 'rate' : '1'}&next=${encodeURIComponent(next)}`);
        }
      },
    ],

    async logout(req: Request, res: Response) {
      const { cookie } = await auth.logout(req, guard.isSecure(req));
      res.setHeader('Set-Cookie', cookie);
      res.json({ ok: true });
    },

    // Ends every browser login (a lost phone): their cookies stop working and their sockets close.
    async logoutEverywhere(req: Request, res: Response) {
      const ended = await auth.logoutEverywhere();
      res.setHeader('Set-Cookie', sessionCookie('', 0, guard.isSecure(req)));
      res.json({ ok: true, ended });
    },

    me(_req: Request, res: Response) {
      res.json({ authenticated: true, authEnabled: auth.enabled });
    },
  };
}
