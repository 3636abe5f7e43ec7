/**
 * The ngrok tunnel, in-process through `@ngrok/ngrok`: a public HTTPS URL
 * (optionally a fixed domain, optionally OAuth at ngrok's edge) in front of
 * the local server. The edge's OAuth is a first lock, never the only one: the
 * app's own authentication still answers every request that gets through.
 *
 * The tunnel is an extra: it connects in the background, never throws at the
 * caller and never stops the local server. What the SDK does, measured with
 * 1.7.0 (ngrok-rust 0.18):
 * - offline (no DNS, refused, reset) `forward()` rejects within milliseconds:
 *   "failed to connect session: failed to establish tcp connection" or
 *   "... tls handshake error", `code: 'GenericFailure'`, no `errorCode`;
 * - when a TCP connection opens but nobody answers (captive portal, a proxy
 *   that swallows traffic), `forward()` never settles, AND it holds the SDK's
 *   one session lock, so every later `forward()` and `disconnect()` waits
 *   behind it. Hence the timeout race, and a retry re-awaits the stuck call
 *   instead of queueing another one behind it;
 * - ngrok's own refusals read "failed to connect session: <ngrok's text>
 *   error_code: ERR_NGROK_105" and carry `errorCode` (the text quotes the
 *   authtoken back, so messages are redacted before anyone sees them);
 * - once online, the SDK itself reconnects a dropped session and reports it
 *   through `onStatusChange` ('closed' / 'connected').
 */
import ngrok, { type Config } from '@ngrok/ngrok';
import QRCode from 'qrcode';
import { within } from '../core/deadline.js';
import type { Logger } from '../log.js';

/** What the operator configured (NGROK_* settings), before validation. */
export interface TunnelSettings {
  authtoken: string;
  domain?: string | undefined;
  oauthProvider?: string | undefined;
  oauthAllowEmails?: string[] | undefined;
  oauthAllowDomains?: string[] | undefined;
}

/** The tunnel as /health and the app show it. An error without `retryInS` is final. */
export type TunnelState =
  | { status: 'off' }
  | { status: 'connecting'; attempt: number }
  | { status: 'online'; url: string }
  | { status: 'error'; error: string; retryInS?: number };

export interface Tunnel {
  readonly state: TunnelState;
  /** Called on every change of state; returns the unsubscribe function. */
  onChange(fn: (s: TunnelState) => void): () => void;
  /** Stops retrying and takes the tunnel down; resolves within a few seconds whatever the network does. */
  close(): Promise<void>;
}

/** The part of a listener we use; the SDK's `Listener` has it. */
export interface ForwardedListener {
  url(): string | null;
  close(): Promise<void>;
}

/** `ngrok.forward`, as far as we call it. */
export type ForwardFn = (config: Config) => Promise<ForwardedListener>;

export interface NgrokTunnelOptions {
  /** Where ngrok delivers connections: the server's private tunnel listener, `unix:/path/to/socket`. */
  addr: string;
  settings: TunnelSettings;
  log: Logger;
  /** How long one connection attempt may take (default 15 s). */
  connectTimeoutMs?: number;
  /** Retry delays, doubled per failure up to maxMs, with jitter (default 2 s .. 60 s). */
  backoff?: { initialMs: number; maxMs: number };
  /** The SDK's forward(); replaceable only so tests can count and script calls. */
  forward?: ForwardFn;
}

export const CONNECT_TIMEOUT_MS = 15_000;
export const BACKOFF_INITIAL_MS = 2_000;
export const BACKOFF_MAX_MS = 60_000;
/** Deadline for each step of taking the tunnel down. */
const CLOSE_STEP_MS = 5_000;
const APP_METADATA = 'claude-remote';

/**
 * ngrok's answers that mean "this authtoken will never work": retrying would
 * only hammer ngrok with it. 105 malformed, 106 ngrok v1 token, 107 invalid or
 * reset, 300 credential revoked, 4018 no (verified) authtoken.
 */
const AUTH_ERROR_CODES = new Set(['ERR_NGROK_105', 'ERR_NGROK_106', 'ERR_NGROK_107', 'ERR_NGROK_300', 'ERR_NGROK_4018']);

/** The exact options passed to `ngrok.forward()`. Throws on settings that cannot work. */
export function buildForwardOptions(addr: string, s: TunnelSettings): Config {
  const authtoken = s.authtoken.trim();
  if (authtoken === '') throw new Error('The tunnel needs an ngrok authtoken: set NGROK_AUTHTOKEN.');
  const provider = s.oauthProvider?.trim().toLowerCase() ?? '';
  const emails = cleanList(s.oauthAllowEmails);
  // "@example.com" and "example.com" mean the same to a person; ngrok wants the latter.
  const domains = cleanList(s.oauthAllowDomains).map((d) => d.replace(/^@/, ''));
  if (provider === '' && (emails.length > 0 || domains.length > 0)) {
    // An allow-list without a provider would silently let everyone through to the login page.
    throw new Error(
      'NGROK_OAUTH_ALLOW_EMAILS / NGROK_OAUTH_ALLOW_DOMAINS need NGROK_OAUTH_PROVIDER (e.g. google or github): ' +
        'without a provider ngrok checks nobody.',
    );
  }
  const domain = normaliseDomain(s.domain);
  return {
    addr,
    proto: 'http',
    schemes: ['HTTPS'],
    authtoken,
    metadata: APP_METADATA,
    ...(domain ? { domain } : {}),
    ...(provider ? { oauth_provider: provider } : {}),
    ...(emails.length > 0 ? { oauth_allow_emails: emails } : {}),
    ...(domains.length > 0 ? { oauth_allow_domains: domains } : {}),
  };
}

function cleanList(list: readonly string[] | undefined): string[] {
  return (list ?? []).map((x) => x.trim()).filter((x) => x !== '');
}

/** "https://me.ngrok.app/" -> "me.ngrok.app": people paste the URL the dashboard shows. */
function normaliseDomain(raw: string | undefined): string | undefined {
  let d = raw?.trim() ?? '';
  if (d === '') return undefined;
  d = d.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/[/?#].*$/, '').toLowerCase();
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(d)) {
    throw new Error(`NGROK_DOMAIN ${JSON.stringify(raw)} is not a host name like you.ngrok.app.`);
  }
  return d;
}

/**
 * The address of a Unix socket as the SDK reads it. The tunnel gets a
 * listener of its own, so the server knows which connections came through
 * ngrok (and may name their client in X-Forwarded-For) and which did not.
 * Raw forwarding passes WebSocket upgrades as they are.
 */
export function unixSocketAddr(path: string): string {
  return `unix:${path}`;
}

class ConnectTimeout extends Error {}
class Stopped extends Error {}

/** Starts connecting in the background and returns at once. Never throws. */
export function startNgrokTunnel(opts: NgrokTunnelOptions): Tunnel {
  const { log, settings } = opts;
  const connectTimeoutMs = opts.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const backoff = opts.backoff ?? { initialMs: BACKOFF_INITIAL_MS, maxMs: BACKOFF_MAX_MS };
  const forward: ForwardFn = opts.forward ?? ngrok.forward;
  const watchers = new Set<(s: TunnelState) => void>();
  const stop = new AbortController();
  let state: TunnelState = { status: 'connecting', attempt: 1 };
  let listener: ForwardedListener | undefined;
  let url: string | undefined;
  /** A forward() that outlived its timeout; the next attempt awaits it again (see the top of the file). */
  let pending: Promise<ForwardedListener> | undefined;
  let reconnects = 0;

  const setState = (next: TunnelState) => {
    if (stop.signal.aborted && next.status !== 'off') return;
    if (JSON.stringify(next) === JSON.stringify(state)) return;
    state = next;
    for (const fn of watchers) {
      try {
        fn(next);
      } catch (err) {
        log.error('tunnel state watcher failed', err);
      }
    }
  };

  // The SDK keeps one session per process and calls the handler of whichever
  // attempt created it; so one handler for all attempts, acting only once
  // online. While the SDK reconnects, `attempt` counts its 'closed' reports
  // (it sends one as the connection drops and one per failed try).
  const sessionOnStatusChange = (status: string) => {
    if (!listener || !url || stop.signal.aborted) return;
    if (status === 'connected') {
      if (state.status !== 'online') log.info(`ngrok tunnel reconnected: ${url}`);
      reconnects = 0;
      setState({ status: 'online', url });
    } else if (status === 'closed') {
      if (state.status === 'online') log.warn('ngrok tunnel: connection to ngrok lost; reconnecting');
      setState({ status: 'connecting', attempt: ++reconnects });
    }
  };

  const attempt = async (options: Config): Promise<ForwardedListener> => {
    // A fresh object each time: forward() rewrites the one it is given.
    const p = pending ?? forward({ ...options, onStatusChange: sessionOnStatusChange });
    pending = p;
    try {
      const l = await race(p, connectTimeoutMs, stop.signal);
      pending = undefined;
      return l;
    } catch (err) {
      if (!(err instanceof ConnectTimeout) && !(err instanceof Stopped)) pending = undefined;
      throw err;
    }
  };

  const run = async () => {
    let options: Config;
    try {
      options = buildForwardOptions(opts.addr, settings);
    } catch (err) {
      // Settings that cannot work do not get better by retrying.
      const message = redact((err as Error).message, settings.authtoken);
      log.error(`ngrok tunnel: ${message} The local server keeps running without it.`);
      setState({ status: 'error', error: message });
      return;
    }
    for (let n = 1; ; n++) {
      setState({ status: 'connecting', attempt: n });
      try {
        const l = await attempt(options);
        const u = l.url();
        if (!u) {
          void closeQuietly(l, log);
          throw new Error('ngrok returned a listener without a URL');
        }
        [listener, url] = [l, u];
        log.info(`ngrok tunnel online: ${u} -> ${opts.addr}`);
        setState({ status: 'online', url: u });
        return;
      } catch (err) {
        if (err instanceof Stopped) return;
        const { message, final } = describeFailure(err, connectTimeoutMs, settings.authtoken);
        if (final) {
          log.error(`ngrok tunnel: ${message}. The local server keeps running without it.`);
          setState({ status: 'error', error: message });
          return;
        }
        const delayMs = backoffDelay(n, backoff);
        const retryInS = Math.ceil(delayMs / 1000);
        log.warn(`ngrok tunnel: ${message}; retrying in ${retryInS} s`);
        setState({ status: 'error', error: message, retryInS });
        if (!(await sleep(delayMs, stop.signal))) return;
      }
    }
  };
  // Started on the next turn: the caller gets its Tunnel (and subscribes) first.
  const running = Promise.resolve()
    .then(run)
    .catch((err: unknown) => {
      log.error('ngrok tunnel: unexpected failure', err);
      setState({ status: 'error', error: `unexpected failure: ${redact(String(err), settings.authtoken)}` });
    });

  let closing: Promise<void> | undefined;
  const close = () =>
    (closing ??= (async () => {
      stop.abort();
      setState({ status: 'off' });
      await running;
      const l = listener;
      listener = undefined;
      if (l) await withDeadline(l.close(), CLOSE_STEP_MS, log, 'closing the ngrok listener');
      if (pending) {
        // A stuck forward() holds the SDK's session lock: disconnect() would
        // only wait for it. Tidy up if it ever finishes instead.
        const late = pending;
        pending = undefined;
        void late.then(
          (lateListener) => closeQuietly(lateListener, log).then(() => ngrok.disconnect()),
          () => undefined,
        ).catch(() => undefined);
        return;
      }
      // Drops the SDK's session too, so no connection to ngrok outlives us.
      await withDeadline(ngrok.disconnect(), CLOSE_STEP_MS, log, 'disconnecting from ngrok');
    })());

  return {
    get state() {
      return state;
    },
    onChange(fn) {
      watchers.add(fn);
      return () => watchers.delete(fn);
    },
    close,
  };
}

/** Turns what the SDK threw into one sentence for the log and the app, and whether retrying can help. */
function describeFailure(err: unknown, timeoutMs: number, authtoken: string): { message: string; final: boolean } {
  if (err instanceof ConnectTimeout) {
    return { message: `could not reach ngrok within ${formatSeconds(timeoutMs)} (no network?)`, final: false };
  }
  const raw = redact(err instanceof Error ? err.message : String(err), authtoken);
  const given = (err as { errorCode?: unknown } | null)?.errorCode;
  const code = typeof given === 'string' ? given : /ERR_NGROK_\d+/.exec(raw)?.[0];
  const detail = raw
    .replace(/^failed to connect session:\s*/, '')
    .replace(/\s*error_code:\s*ERR_NGROK_\d+\s*$/, '')
    .split('\n')[0]
    ?.trim();
  if (code && AUTH_ERROR_CODES.has(code)) {
    return { message: `ngrok rejected the authtoken (${code}: ${detail}): check NGROK_AUTHTOKEN`, final: true };
  }
  if (code) return { message: `ngrok refused the tunnel (${code}: ${detail}; see https://ngrok.com/docs/errors/${code.toLowerCase()})`, final: false };
  if (/failed to establish tcp connection|tls handshake|dns|resolve|network/i.test(raw)) {
    return { message: `could not reach ngrok: ${detail} (no network, or a firewall or proxy in the way?)`, final: false };
  }
  return { message: `ngrok failed: ${detail || 'unknown error'}`, final: false };
}

/** ngrok quotes a rejected authtoken back ("Your authtoken: ..."); it must not reach logs or the app. */
function redact(text: string, authtoken: string): string {
  const token = authtoken.trim();
  return token.length >= 4 ? text.split(token).join('[redacted]') : text;
}

function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}

/** Exponential, capped, with jitter in [50 %, 100 %] so restarted servers do not retry in step. */
export function backoffDelay(attempt: number, b: { initialMs: number; maxMs: number }): number {
  const full = Math.min(b.maxMs, b.initialMs * 2 ** Math.min(attempt - 1, 30));
  return Math.round(full / 2 + (Math.random() * full) / 2);
}

function race<T>(work: Promise<T>, ms: number, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new Stopped());
    const timer = setTimeout(() => finish(() => reject(new ConnectTimeout())), ms);
    const signalOnAbort = () => finish(() => reject(new Stopped()));
    signal.addEventListener('abort', signalOnAbort, { once: true });
    const finish = (settle: () => void) => {
      clearTimeout(timer);
      signal.removeEventListener('abort', signalOnAbort);
      settle();
    };
    work.then(
      (v) => finish(() => resolve(v)),
      (e: unknown) => finish(() => reject(e)),
    );
  });
}

/** Resolves true after ms, or false at once when stopped. */
function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', signalOnAbort);
      resolve(true);
    }, ms);
    const signalOnAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', signalOnAbort, { once: true });
  });
}

async function withDeadline(work: Promise<unknown>, ms: number, log: Logger, what: string): Promise<void> {
  const { outcome, error } = await within(work, ms);
  if (outcome === 'late') log.warn(`ngrok tunnel: ${what} took over ${formatSeconds(ms)}; going on`);
  else if (error !== undefined) log.warn(`ngrok tunnel: ${what} failed: ${(error as Error).message}`);
}

async function closeQuietly(l: ForwardedListener, log: Logger): Promise<void> {
  await withDeadline(l.close(), CLOSE_STEP_MS, log, 'closing a late ngrok listener');
}

/** The public URL and a QR code of it, for the phone, in the terminal. */
export async function printTunnelBanner(url: string, write: (s: string) => void): Promise<void> {
  const qr = await QRCode.toString(url, { type: 'terminal', small: true });
  write(`\n  Claude Remote is online at ${url}\n  Scan to open it on your phone:\n\n${qr}\n`);
}
