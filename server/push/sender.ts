/**
 * One push to one subscription, through the `web-push` package: it encrypts
 * the payload to the browser's keys (aes128gcm, RFC 8291), signs a VAPID
 * token for the push service's origin (RFC 8292) and posts to the endpoint.
 * What came of it is data: `gone` (404 or 410: the browser unsubscribed or
 * the subscription expired, so it is to be forgotten), `sent`, or `failed`.
 */
import type { Agent } from 'node:https';
import webpush from 'web-push';
import type { PushSubscriptionRecord } from '../core/store.js';
import type { VapidKeys } from './vapid.js';

/** A push service that does not answer within this is given up on (the socket's idle time). */
export const PUSH_TIMEOUT_MS = 10_000;

export interface PushOptions {
  /** Seconds the push service keeps the message for a device that is offline. */
  ttlS: number;
  urgency: 'very-low' | 'low' | 'normal' | 'high';
  /** A queued message with the same topic replaces this one at the push service (RFC 8030). */
  topic?: string | undefined;
}

export type SendOutcome = { status: 'sent' } | { status: 'gone'; statusCode: number } | { status: 'failed'; statusCode?: number | undefined; error: string };

export interface PushSender {
  send(subscription: PushSubscriptionRecord, payload: string, options: PushOptions): Promise<SendOutcome>;
}

export interface SenderOptions {
  vapid: VapidKeys;
  /** The contact in every VAPID token (`mailto:` or `https:`), for the push services' operators. */
  subject: string;
  /**
   * The TLS agent for the push services. Absent: Node's default, which
   * trusts the system's CAs. Tests pass one that trusts their local push
   * service's certificate; checks are never turned off.
   */
  agent?: Agent | undefined;
}

export function createWebPushSender(options: SenderOptions): PushSender {
  const vapidDetails = { subject: options.subject, publicKey: options.vapid.publicKey, privateKey: options.vapid.privateKey };
  return {
    async send(subscription, payload, push) {
      try {
        await webpush.sendNotification({ endpoint: subscription.endpoint, keys: subscription.keys }, payload, {
          vapidDetails,
          TTL: push.ttlS,
          urgency: push.urgency,
          ...(push.topic !== undefined ? { topic: push.topic } : {}),
          contentEncoding: 'aes128gcm',
          timeout: PUSH_TIMEOUT_MS,
          ...(options.agent ? { agent: options.agent } : {}),
        });
        return { status: 'sent' };
      } catch (err) {
        const statusCode = err instanceof webpush.WebPushError ? err.statusCode : undefined;
        if (statusCode === 404 || statusCode === 410) return { status: 'gone', statusCode };
        return { status: 'failed', statusCode, error: err instanceof Error ? err.message : String(err) };
      }
    },
  };
}
