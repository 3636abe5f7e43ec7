/**
 * What every request and WebSocket upgrade is checked for before anything
 * else happens (before credentials, before a body is read):
 *
 * - **Host** (DNS rebinding). Without a secret the server trusts whoever can
 *   reach loopback. A web page on `evil.example` that re-points its name at
 *   127.0.0.1 becomes same-origin with us, so its requests carry
 *   `Host: evil.example`: only loopback names, plus the ones the owner
 *   configured (ALLOWED_HOSTS), are answered. With a secret any Host is fine
 *   (the tunnel's domain, a LAN name): the page would still need the secret.
 * - **Origin** of state-changing requests and of every upgrade. A browser
 *   always sends Origin on those; when it is not exactly this server's own
 *   (scheme and host), a page elsewhere is trying to drive us: refused, with
 *   or without a secret (a browser may hold Basic credentials for us).
 *   Requests without Origin (curl, scripts) are not from a page and pass.
 * - **Who the client is**, for rate limits and connection caps. The ngrok
 *   tunnel reaches us through a private listener of its own (a Unix socket in
 *   the data folder); only connections that arrive there may name the real
 *   client in X-Forwarded-For. Any other loopback client could otherwise send
 *   a fresh address with every guess.
 * - **How many streams** (SSE, WebSocket) one client holds open.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP, type Socket } from 'node:net';
import { AppError } from '../core/errors.js';
import { MAX_STREAMS_PER_CLIENT } from '../protocol/limits.js';

export interface GuardOptions {
  /** A secret is configured: the Host check is off. */
  authEnabled: boolean;
  /** Host names (`name` or `name:port`) accepted besides loopback ones. */
  allowedHosts: readonly string[];
  /**
   * Whose X-Forwarded-* to believe (the owner's own reverse proxy): `loopback`,
   * addresses and CIDR ranges (TRUST_PROXY). Empty: nobody's.
   */
  trustProxy: readonly string[];
  maxStreamsPerClient?: number;
}

export interface RequestGuard {
  /** Marks a connection as coming through the tunnel's private listener. */
  markTunnel(socket: Socket): void;
  /** Accepts one more host name (the tunnel's, once it is known). */
  allowHost(host: string): void;
  hostAllowed(req: IncomingMessage): boolean;
  /** The address failures and caps count against. */
  clientKey(req: IncomingMessage): string;
  /** The request reached the user over HTTPS (directly, or through a proxy we believe). */
  isSecure(req: IncomingMessage): boolean;
  /** No Origin, or exactly this server's own. */
  originAllowed(req: IncomingMessage): boolean;
  /** Counts a long-lived stream (an SSE response or a WebSocket) against its client; throws 429 past the cap. Returns the release. */
  openStream(req: IncomingMessage, door: StreamDoor): () => void;
  /** The streams open now, by door (a gauge for the metrics). */
  openStreams(): Record<StreamDoor, number>;
}

/** The doors that hold a client's connection open. */
export type StreamDoor = 'sse' | 'ws';

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]']);

export function createGuard(options: GuardOptions): RequestGuard {
  const tunnelSockets = new WeakSet<Socket>();
  const extraHosts = new Set(options.allowedHosts.map((h) => h.toLowerCase()));
  const streams = new Map<string, number>();
  const byDoor: Record<StreamDoor, number> = { sse: 0, ws: 0 };
  const maxStreams = options.maxStreamsPerClient ?? MAX_STREAMS_PER_CLIENT;

  const proxies = trustedProxies(options.trustProxy);
  const forwardedBelieved = (req: IncomingMessage): boolean => tunnelSockets.has(req.socket as Socket) || proxies(req.socket.remoteAddress);

  const isSecure = (req: IncomingMessage): boolean => {
    if (forwardedBelieved(req)) return firstValue(req.headers['x-forwarded-proto'])?.toLowerCase() === 'https';
    return Boolean((req.socket as Socket & { encrypted?: boolean }).encrypted);
  };

  const clientKey = (req: IncomingMessage): string => {
    if (forwardedBelieved(req)) {
      // The proxy appends the address it saw: the last entry is the one it vouches for.
      const chain = String(req.headers['x-forwarded-for'] ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter((s) => s !== '');
      const last = chain[chain.length - 1];
      if (last) return normaliseAddress(last);
      return tunnelSockets.has(req.socket as Socket) ? 'tunnel' : normaliseAddress(req.socket.remoteAddress);
    }
    return normaliseAddress(req.socket.remoteAddress);
  };

  return {
    markTunnel(socket) {
      tunnelSockets.add(socket);
    },
    allowHost(host) {
      extraHosts.add(host.toLowerCase());
    },
    hostAllowed(req) {
      if (options.authEnabled) return true;
      const host = req.headers.host?.toLowerCase();
      if (!host) return false;
      const name = hostName(host);
      return LOOPBACK_NAMES.has(name) || extraHosts.has(name) || extraHosts.has(host);
    },
    clientKey,
    isSecure,
    originAllowed(req) {
      const origin = req.headers.origin;
      if (origin === undefined) return true;
      const host = req.headers.host;
      if (!host) return false;
      try {
        const own = new URL(`${isSecure(req) ? 'https' : 'http'}://${host}`).origin;
        return new URL(origin).origin === own;
      } catch {
        return false;
      }
    },
    openStream(req, door) {
      const key = clientKey(req);
      const open = streams.get(key) ?? 0;
      if (open >= maxStreams) {
        throw new AppError(
          'too_many_connections',
          `This client already holds ${open} open event streams and WebSockets (the limit is ${maxStreams}). Close some and try again.`,
        );
      }
      streams.set(key, open + 1);
      byDoor[door] += 1;
      let released = false;
      return () => {
        if (released) return;
        released = true;
        byDoor[door] -= 1;
        const left = (streams.get(key) ?? 1) - 1;
        if (left <= 0) streams.delete(key);
        else streams.set(key, left);
      };
    },
    openStreams: () => ({ ...byDoor }),
  };
}

/** `name:port`, `[v6]:port` or `name` -> the name part (`[v6]` keeps its brackets). */
export function hostName(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end < 0 ? host : host.slice(0, end + 1);
  }
  const colon = host.indexOf(':');
  return colon < 0 ? host : host.slice(0, colon);
}

function firstValue(header: string | string[] | undefined): string | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  return value?.split(',')[0]?.trim();
}

function normaliseAddress(address: string | undefined): string {
  if (!address) return 'unknown';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/** Whether a connection's address is one of the proxies TRUST_PROXY names. */
function trustedProxies(entries: readonly string[]): (address: string | undefined) => boolean {
  if (entries.length === 0) return () => false;
  const list = new BlockList();
  let loopback = false;
  for (const entry of entries) {
    if (entry === 'loopback') {
      loopback = true;
      continue;
    }
    const [address = '', prefix] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (prefix === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(prefix), family);
  }
  return (raw) => {
    if (!raw) return false;
    if (loopback && isLoopbackAddress(raw)) return true;
    const address = normaliseAddress(raw);
    return list.check(address, isIP(address) === 6 ? 'ipv6' : 'ipv4');
  };
}

export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = normaliseAddress(address);
  return a === '::1' || a.startsWith('127.');
}
