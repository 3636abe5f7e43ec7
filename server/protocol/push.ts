/**
 * Web Push on the wire: the subscription a browser hands us, what the API
 * answers about subscriptions, and the payload the service worker receives
 * (docs/push.md says what is sent where). No Node imports: the app and the
 * service worker compile this file too (types only: their bundles stay free
 * of zod).
 */
import { z } from 'zod';

/** base64url without padding, as `PushSubscription.toJSON()` writes keys. */
const base64url = (bytes: number) => {
  const chars = Math.ceil((bytes * 4) / 3);
  return z.string().regex(new RegExp(`^[A-Za-z0-9_-]{${chars}}=*$`), `expected ${bytes} bytes as base64url`);
};

/**
 * A browser's subscription, as `JSON.stringify(pushSubscription)` gives it.
 * Only https endpoints: every push service is one, and anything else would
 * make the server post to whatever address a client names.
 */
export const pushSubscriptionSchema = z.object({
  endpoint: z
    .url({ protocol: /^https$/, error: 'expected an https URL' })
    .max(2048),
  expirationTime: z.number().nullable().optional(),
  keys: z.object({
    /** The browser's P-256 public key, uncompressed (65 bytes). */
    p256dh: base64url(65),
    /** The browser's auth secret (16 bytes). */
    auth: base64url(16),
  }),
});
export type PushSubscriptionBody = z.infer<typeof pushSubscriptionSchema>;

export const vapidPublicKeySchema = z.object({
  /** The application server key for `pushManager.subscribe` (base64url, 65 bytes). */
  publicKey: z.string(),
});

export const pushSubscriptionCreatedSchema = z.object({ id: z.string() });

/**
 * A subscription as the API lists it: the push service's host name, not the
 * endpoint (a capability URL at that service), which the subscribing browser
 * knows anyway.
 */
export const pushSubscriptionInfoSchema = z.object({
  id: z.string(),
  endpointHost: z.string(),
  createdAt: z.string(),
  userAgent: z.string().optional(),
});
export type PushSubscriptionInfo = z.infer<typeof pushSubscriptionInfoSchema>;

export const pushSubscriptionListSchema = z.object({ subscriptions: z.array(pushSubscriptionInfoSchema) });
export type PushSubscriptionList = z.infer<typeof pushSubscriptionListSchema>;

export const pushDeletedSchema = z.object({ deleted: z.literal(true) });

/** Why a push was sent. */
export type PushKind = 'permission' | 'failed' | 'drained';

/**
 * What the service worker receives, encrypted to the subscription's keys
 * (RFC 8291). It names the session and, for a permission request, the tool:
 * never a prompt, a command, a diff or any file's contents.
 */
export interface PushPayload {
  kind: PushKind;
  sessionId: string;
  sessionName: string;
  runId: string;
  /** A permission request: the id to answer, and the tool it is about. */
  requestId?: string | undefined;
  toolName?: string | undefined;
  title: string;
  body: string;
  /** Permission requests open over all sessions when this was sent: the app badge. */
  waiting: number;
}

/** What the service worker tells an open window of the app when a notification is tapped: show this session. */
export interface OpenSessionMessage {
  type: 'open-session';
  sessionId: string;
  requestId?: string | undefined;
}
