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
 * - failed attempts are limited per client address (429 + Retry-After), on
 *   every door through one limiter (`verify`);
 * - a cookie-authenticated request that changes something must carry an
 *   Origin, and guard.ts has already refused any Origin but our own
 *   (SameSite stops other sites too; this is a second lock);
 * - logins end on logout (with their sockets), on "log out everywhere", and
 *   when the owner changes a secret.
 */
import { createHash, randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { promisify } from 'node:util';
import { parse as parseCookieHeader } from 'cookie';
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
  /** The address a failure counts against (see guard.ts: the tunnel's clients are told apart). */
  clientKey: (req: IncomingMessage) => string;
}

export type Credential = 'cookie' | 'bearer' | 'basic' | 'none';

/** What a request proved. A `wrong` secret was counted against its client; a `locked` one was not even checked. */
export type Verdict =
  | { ok: true; how: Credential; /** The browser login it rode on (cookie only). */ loginId?: string | undefined }
  | { ok: false; reason: 'missing' | 'wrong' }
  | { ok: false; reason: 'locked'; retryAfterMs: number };

export interface Auth {
  /** Whether any secret is configured; without one, everything is open (loopback only). */
  readonly enabled: boolean;
  /** Ends every browser login when the secrets changed since the last start. */
  start(): Promise<void>;
  /**
   * The one credential check of every door (HTTP, SSE, WebSocket, /health):
   * a wrong secret counts against the client's failure limit, and a client
   * past the limit is not checked at all until it may try again.
   */
  verify(req: IncomingMessage): Promise<Verdict>;
  /** Middleware: 401 (or 429 while locked) unless authenticated. */
  require: RequestHandler;
  login(password: string, clientKey: string, secure: boolean): Promise<{ cookie: string }>;
  logout(req: IncomingMessage, secure: boolean): Promise<{ cookie: string }>;
  /** Ends every browser login; returns how many there were. */
  logoutEverywhere(): Promise<number>;
  /** Called with the login that ended, or undefined when all did: its sockets must close. */
  onRevoke(fn: (loginId: string | undefined) => void): () => void;
  readonly limiter: RateLimiter;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time equality of two secrets of any length. */
export function secretsEqual(given: string, expected: string): boolean {
  return timingSafeEqual(sha256(given), sha256(expected));
}

/** The request's cookies (the first of a name wins; bad escapes are kept as they are). */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  return parseCookieHeader(header ?? '');
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

const FINGERPRINT_KEY = 'auth.secret-fingerprint';
const scryptAsync = promisify(scrypt) as (secret: string, salt: Buffer, keylen: number) => Promise<Buffer>;

export function createAuth(options: AuthOptions): Auth {
  const { store, clock, log } = options;
  const enabled = Boolean(options.password || options.token);
  const limiter = createRateLimiter({ max: MAX_FAILED_LOGINS, windowMs: FAILED_LOGIN_WINDOW_MS, now: () => clock.now().getTime() });
  const tokenHash = (token: string) => createHash('sha256').update(token).digest('hex');
  const revokeListeners = new Set<(loginId: string | undefined) => void>();
  const revoke = (loginId: string | undefined) => {
    for (const fn of [...revokeListeners]) fn(loginId);
  };

  const checkHeader = (header: string | undefined): Credential | undefined | 'bad' => {
    if (!header) return undefined;
    const [scheme, value = ''] = header.split(' ', 2) as [string, string?];
    if (/^bearer$/i.test(scheme)) {
      return options.token !== undefined && secretsEqual(value.trim(), options.token) ? 'bearer' : 'bad';
    }
    if (/^basic$/i.test(scheme)) {
      const decoded = Buffer.from(value.trim(), 'base64').toString('utf8');
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

  /** The login a valid session cookie belongs to. An unknown cookie is not a failure: a logged-out tab still sends its old one. */
  const cookieLogin = async (req: IncomingMessage): Promise<string | undefined> => {
    const token = parseCookies(req.headers.cookie)[SESSION_COOKIE];
    if (!token || !/^[A-Za-z0-9_-]{20,200}$/.test(token)) return undefined;
    const hash = tokenHash(token);
    const session = await store.getAuthSession(hash);
    return session !== undefined && session.expiresAt > clock.now().toISOString() ? hash : undefined;
  };

  const verify = async (req: IncomingMessage): Promise<Verdict> => {
    if (!enabled) return { ok: true, how: 'none' };
    const key = options.clientKey(req);
    const blocked = limiter.blockedFor(key);
    if (blocked > 0) return { ok: false, reason: 'locked', retryAfterMs: blocked };
    const header = checkHeader(req.headers.authorization);
    if (header === 'bad') {
      limiter.fail(key);
      log.warn(`wrong credentials from ${key}`);
      return { ok: false, reason: 'wrong' };
    }
    if (header) return { ok: true, how: header };
    const loginId = await cookieLogin(req);
    return loginId ? { ok: true, how: 'cookie', loginId } : { ok: false, reason: 'missing' };
  };

  const require: RequestHandler = (req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const verdict = await verify(req);
      if (!verdict.ok) {
        if (verdict.reason === 'locked') {
          res.setHeader('Retry-After', String(Math.ceil(verdict.retryAfterMs / 1000)));
          return sendError(res, new AppError('rate_limited', 'Too many failed attempts. Try again later.'));
        }
        res.setHeader('WWW-Authenticate', 'Bearer realm="claude-remote", Basic realm="claude-remote"');
        return sendError(res, new AppError('unauthorized', 'Log in first: the app at /login, or Authorization: Bearer / Basic.'));
      }
      // Browsers send Origin with every state-changing request (the guard
      // already refused foreign ones); a cookie without it is not the app.
      if (verdict.how === 'cookie' && !isSafeMethod(req.method) && req.headers.origin === undefined) {
        return sendError(res, new AppError('forbidden', 'A browser login must send the Origin header with this request.'));
      }
      next();
    })().catch(next);
  };

  return {
    enabled,
    verify,
    require,
    limiter,
    async start() {
      // A fingerprint of the secrets (scrypt, salted: the database must not
      // make them cheap to guess). When it differs from the last start's, the
      // owner changed a secret: whoever logged in with the old one is out.
      const material = `${options.password ?? ''}\0${options.token ?? ''}`;
      const stored = parseFingerprint(await store.getMeta(FINGERPRINT_KEY));
      if (stored) {
        const hash = await scryptAsync(material, stored.salt, 32);
        if (hash.length === stored.hash.length && timingSafeEqual(hash, stored.hash)) return;
        const ended = await store.deleteAllAuthSessions();
        if (ended > 0) log.info(`the password or token changed: ${ended} browser login(s) ended`);
      }
      const salt = randomBytes(16);
      const hash = await scryptAsync(material, salt, 32);
      await store.setMeta(FINGERPRINT_KEY, `${salt.toString('base64')}.${hash.toString('base64')}`);
    },
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
      if (token) {
        const hash = tokenHash(token);
        await store.deleteAuthSession(hash);
        revoke(hash);
      }
      return { cookie: sessionCookie('', 0, secure) };
    },
    async logoutEverywhere() {
      const ended = await store.deleteAllAuthSessions();
      revoke(undefined);
      return ended;
    },
    onRevoke(fn) {
      revokeListeners.add(fn);
      return () => revokeListeners.delete(fn);
    },
  };
}

function parseFingerprint(text: string | undefined): { salt: Buffer; hash: Buffer } | undefined {
  const [salt, hash] = text?.split('.') ?? [];
  if (!salt || !hash) return undefined;
  return { salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
}

function isSafeMethod(method: string): boolean {
  return method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
}
