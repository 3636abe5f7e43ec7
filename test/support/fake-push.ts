/**
 * A stand-in for a browser's push service (FCM, Mozilla's, Apple's): an
 * HTTPS server on loopback with a certificate made for the test (openssl),
 * trusted only through the agent it hands out. It records every push as it
 * arrived, and answers 201 or whatever a test asks of a path (410 for a
 * subscription that is gone).
 *
 * A subscription made here is what a browser would make: a P-256 key pair
 * and a 16-byte auth secret, with an endpoint on this server. `decrypt`
 * opens a push the way the browser does (aes128gcm, RFC 8291), written here
 * from the RFC rather than taken from the library the server encrypts with;
 * `vapidClaims` checks the VAPID token (RFC 8292) against the server's key.
 */
import { execFileSync } from 'node:child_process';
import { createDecipheriv, createECDH, createPublicKey, hkdfSync, randomBytes, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, Agent, type Server } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { PushPayload } from '../../server/protocol/push.js';
import { tempDir, type TestServer } from './server.js';

export interface ReceivedPush {
  path: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface FakeSubscription {
  /** What the browser hands the app: `JSON.stringify(pushSubscription)`. */
  json: { endpoint: string; keys: { p256dh: string; auth: string } };
  path: string;
  /** The plaintext of a push to this subscription. */
  decrypt(body: Buffer): string;
}

export interface FakePushService {
  url: string;
  /** Trusts this service's certificate, and nothing else changes. */
  agent: Agent;
  pushes: ReceivedPush[];
  /** Answers pushes to this path with `status` from now on. */
  respond(path: string, status: number): void;
  subscription(name: string): FakeSubscription;
  /** Waits for the n-th push (1-based) to a path. */
  waitForPush(path: string, n?: number, timeoutMs?: number): Promise<ReceivedPush>;
  close(): Promise<void>;
}

export async function startFakePushService(): Promise<FakePushService> {
  const dir = await tempDir('cr-push-');
  // A self-signed certificate for 127.0.0.1, made fresh for this service.
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'),
  ], { stdio: 'ignore' });
  const key = readFileSync(join(dir, 'key.pem'));
  const cert = readFileSync(join(dir, 'cert.pem'));
  const pushes: ReceivedPush[] = [];
  const statuses = new Map<string, number>();
  const waiters: Array<() => void> = [];
  const server: Server = createServer({ key, cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const path = req.url ?? '/';
      pushes.push({ path, headers: req.headers, body: Buffer.concat(chunks) });
      res.statusCode = statuses.get(path) ?? 201;
      res.end();
      for (const wake of waiters.splice(0)) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const agent = new Agent({ ca: cert, keepAlive: false });
  return {
    url,
    agent,
    pushes,
    respond: (path, status) => void statuses.set(path, status),
    subscription: (name) => makeSubscription(url, `/push/${name}`),
    async waitForPush(path, n = 1, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const found = pushes.filter((p) => p.path === path)[n - 1];
        if (found) return found;
        if (Date.now() > deadline) throw new Error(`no push #${n} to ${path}; got ${pushes.map((p) => p.path).join(', ') || 'none'}`);
        await new Promise<void>((resolve) => {
          waiters.push(resolve);
          setTimeout(resolve, 200);
        });
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        agent.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function makeSubscription(base: string, path: string): FakeSubscription {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const auth = randomBytes(16);
  const publicKey = ecdh.getPublicKey();
  return {
    path,
    json: { endpoint: `${base}${path}`, keys: { p256dh: publicKey.toString('base64url'), auth: auth.toString('base64url') } },
    decrypt: (body) => decryptAes128gcm(body, ecdh.getPrivateKey(), publicKey, auth),
  };
}

/** RFC 8291 section 3.4 and RFC 8188: one record, as web push sends it. */
function decryptAes128gcm(body: Buffer, uaPrivate: Buffer, uaPublic: Buffer, authSecret: Buffer): string {
  const salt = body.subarray(0, 16);
  const idLength = body.readUInt8(20);
  const asPublic = body.subarray(21, 21 + idLength);
  const record = body.subarray(21 + idLength);
  const ecdh = createECDH('prime256v1');
  ecdh.setPrivateKey(uaPrivate);
  const shared = ecdh.computeSecret(asPublic);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), uaPublic, asPublic]);
  const ikm = Buffer.from(hkdfSync('sha256', shared, authSecret, keyInfo, 32));
  const cek = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', cek, nonce);
  decipher.setAuthTag(record.subarray(record.length - 16));
  const padded = Buffer.concat([decipher.update(record.subarray(0, record.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 0x02, then zero padding.
  const end = padded.lastIndexOf(2);
  if (end === -1 || padded.subarray(end + 1).some((b) => b !== 0)) throw new Error('bad padding');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * The claims of the VAPID token in a push's Authorization header
 * (`vapid t=JWT, k=KEY`), after checking that `k` is the server's public
 * key and the ES256 signature is that key's.
 */
export function vapidClaims(headers: IncomingHttpHeaders, serverPublicKey: string): { aud: string; exp: number; sub: string } {
  const match = /^vapid t=([^,\s]+),\s*k=([A-Za-z0-9_-]+)$/.exec(String(headers.authorization ?? ''));
  if (!match) throw new Error(`not a vapid Authorization header: ${headers.authorization}`);
  const [, token = '', k] = match;
  if (k !== serverPublicKey) throw new Error('signed with another key');
  const [header = '', claims = '', signature = ''] = token.split('.');
  const raw = Buffer.from(serverPublicKey, 'base64url');
  const key = createPublicKey({
    key: { kty: 'EC', crv: 'P-256', x: raw.subarray(1, 33).toString('base64url'), y: raw.subarray(33, 65).toString('base64url') },
    format: 'jwk',
  });
  const ok = verify('sha256', Buffer.from(`${header}.${claims}`), { key, dsaEncoding: 'ieee-p1363' }, Buffer.from(signature, 'base64url'));
  if (!ok) throw new Error('bad VAPID signature');
  return JSON.parse(Buffer.from(claims, 'base64url').toString('utf8')) as { aud: string; exp: number; sub: string };
}

/** The push's payload, decrypted with the subscription's keys as the browser would. */
export const openedPush = (sub: FakeSubscription, push: ReceivedPush) => JSON.parse(sub.decrypt(push.body)) as PushPayload;

/** Subscribes the fake device on the server (201), as the app does; returns its id. */
export async function subscribePush(server: TestServer, sub: FakeSubscription): Promise<string> {
  const res = await server.api('POST', '/api/push/subscriptions', sub.json, { 'user-agent': 'Test phone' });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return (res.body as { id: string }).id;
}
