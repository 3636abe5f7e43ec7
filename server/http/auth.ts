/**
 * The app's own authentication. Whoever gets past it can run any command on
 * this machine through the CLI, so:
 * - secrets are compared in constant time (SHA-256 of both sides, then
 *   timingSafeEqual: equal lengths, no early exit);
 * - browsers hold a random session token in an httpOnly, SameSite=Strict
 *   cookie (Secure over HTTPS); only its hash is stored, so a copy of the
 *   database logs nobody in; sessions expire and survive restarts;
 * - API clients send `Authorization: Bearer AUTH_TOKEN` or Basic
 *   `AUTH_USER:AUTH_PASSWORD` (the gateway we replace used `curl -u`);
 * - failed attempts are limited per client address (429 + Retry-After);
 * - a cookie-authenticated request that changes something must come from our
 *   own origin (SameSite already stops other sites; this is a second lock).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Clock } from '../core/ports.js';
import { AppError } from '../core/errors.js';
import type { Store } from '../core/store.js';
import type { Logger } from '../log.js';
import { sendError } from './errors.js';
import { createRateLimiter, type RateLimiter } from './rate-limit.js';

export const SESSION_COOKIE = 'cr_session';
/** Wrong passwords allowed per client per window before 429. */
export const MAX_FAILED_LOGINS = 10;
export const FAILED_LOGIN_WINDOW_MS = 60_000;

export interface AuthOptions {
  password?: string | undefined;
  token?: string | undefined;
  user: string;
  sessionTtlMs: number;
  store: Store;
  clock: Clock;
  log: Logger;
}

export type Credential = 'cookie' | 'bearer' | 'basic' | 'none';

export interface Auth {
  /** Whether any secret is configured; without one, everything is open (loopback only). */
  readonly enabled: boolean;
  /** How this request proved itself, or undefined if it did not. */
  check(req: IncomingMessage): Promise<Credential | undefined>;
  /** Middleware: 401 (or 429 after too many failures) unless authenticated. */
  require: RequestHandler;
  login(password: string, clientKey: string, secure: boolean): Promise<{ cookie: string }>;
  logout(req: IncomingMessage, secure: boolean): Promise<{ cookie: string }>;
  readonly limiter: RateLimiter;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time equality of two secrets of any length. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

export function parseCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    const name = part.slice(0, i).trim();
    if (name === '' || name in out) continue;
    try {
      out[name] = decodeURIComponent(part.slice(i + 1).trim());
    } catch {
      out[name] = part.slice(i + 1).trim();
    }
  }
  return out;
}

export function sessionCookie(token: string, maxAgeS: number, secure: boolean): string {
  return [
    `${SESSION_COOKIE}=${token}`,
    'Path=/',
    'HttpOnly',
    'SameSite=Strict',
    `Max-Age=${maxAgeS}`,
    ...(secure ? ['Secure'] : []),
  ].join('; ');
}

/** The client a failure counts against: its address as the trusted proxy chain says. */
export function clientKey(req: Request): string {
  return req.ip ?? req.socket.remoteAddress ?? 'unknown';
}

export function createAuth(options: AuthOptions): Auth {
  const { store, clock, log } = options;
  const enabled = Boolean(options.password || options.token);
  const limiter = createRateLimiter({ max: MAX_FAILED_LOGINS, windowMs: FAILED_LOGIN_WINDOW_MS, now: () => clock.now().getTime() });
  const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');

  const checkHeader = (header: string | undefined): Credential | undefined | 'bad' => {
    if (!header) return undefined;
    const [scheme, value = ''] = header.split(' ', 2) as [string, string?];
    if (/^bearer$/i.test(scheme)) {
      return options.token !== undefined && secretsEqual(value.trim(), options.token) ? 'bearer' : 'bad';
    }
    if (/^basic$/i.test(scheme)) {
      let decoded = '';
      try {
        decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
      } catch {
        return 'bad';
      }
      const colon = decoded.indexOf(':');
      const user = colon < 0 ? '' : decoded.slice(0, colon);
      const pass = colon < 0 ? '' : decoded.slice(colon + 1);
      // Evaluate every comparison: no shortcut that tells which part was wrong.
      const userOk = secretsEqual(user, options.user);
      const passOk =
        (options.password !== undefined && secretsEqual(pass, options.password)) ||
        (options.token !== undefined && secretsEqual(pass, options.token));
      return userOk && passOk ? 'basic' : 'bad';
    }
    return 'bad';
  };

  const checkCookie = async (req: IncomingMessage): Promise<boolean> => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!token || !/^[A-Za-z0-9_-]{20,200}$/.test(token)) return false;
    const session = await store.getAuthSession(tokenHash(token));
    return session !== undefined && session.expiresAt > clock.now().toISOString();
  };

  const check = async (req: IncomingMessage): Promise<Credential | undefined> => {
    if (!enabled) return 'none';
    const header = checkHeader(req.headers.authorization);
    if (header === 'bad') return undefined;
    if (header) return header;
    return (await checkCookie(req)) ? 'cookie' : undefined;
  };

  const require: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const key = clientKey(req);
      const blocked = limiter.blockedFor(key);
      if (blocked > 0) {
        res.setHeader('Retry-After', String(Math.ceil(blocked / 1000)));
        return sendError(res, new AppError('rate_limited', 'Too many failed attempts. Try again later.'));
      }
      const how = await check(req);
      if (!how) {
        // A wrong secret counts as a failed login; no credentials at all does not.
        if (req.headers.authorization) limiter.fail(key);
        res.setHeader('WWW-Authenticate', 'Bearer realm="claude-remote", Basic realm="claude-remote"');
        return sendError(res, new AppError('unauthorized', 'Log in first: the app at /login, or Authorization: Bearer / Basic.'));
      }
      if (how === 'cookie' && !isSafeMethod(req.method) && !sameOrigin(req)) {
        return sendError(res, new AppError('forbidden', 'This request came from another origin.'));
      }
      next();
    })().catch(next);
  };

  return {
    enabled,
    check,
    require,
    limiter,
    async login(password, key, secure) {
      const blocked = limiter.blockedFor(key);
      if (blocked > 0) throw Object.assign(new AppError('rate_limited', 'Too many failed attempts. Try again later.'), { retryAfterMs: blocked });
      const ok = options.password !== undefined && secretsEqual(password, options.password);
      if (!ok) {
        limiter.fail(key);
        log.warn(`failed login from ${key}`);
        throw new AppError('unauthorized', 'Wrong password.');
      }
      const token = randomBytes(32).toString('base64url');
      const now = clock.now();
      await store.deleteExpiredAuthSessions(now.toISOString());
      await store.createAuthSession({
        tokenHash: tokenHash(token),
        createdAt: now.toISOString(),
        expiresAt: new Date(now.getTime() + options.sessionTtlMs).toISOString(),
      });
      return { cookie: sessionCookie(token, Math.floor(options.sessionTtlMs / 1000), secure) };
    },
    async logout(req, secure) {
      const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
      if (token) await store.deleteAuthSession(tokenHash(token));
      return { cookie: sessionCookie('', 0, secure) };
    },
  };
}

function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}

/** The request's Origin (or, failing that, Referer) is this server's own host. */
export function sameOrigin(req: IncomingMessage): boolean {
  const source = req.headers.origin ?? req.headers.referer;
  if (!source) return false;
  try {
    return new URL(source).host.toLowerCase() === (req.headers.host ?? '').toLowerCase();
  } catch {
    return false;
  }
}
