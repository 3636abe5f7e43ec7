/**
 * Web Push to the user's devices: the subscriptions (kept through the
 * Store), and the adapter that listens to every event of the engine and
 * pushes what notices.ts judges worth it, unless someone is looking at the
 * app right now (core/presence.ts). The HTTP door calls the registry half;
 * main.ts wires the rest. Nothing here is in the core's way: pushes go out
 * one after another on a chain of their own, and a slow or failing push
 * service costs only its own deadline.
 */
import { randomUUID } from 'node:crypto';
import { within } from '../core/deadline.js';
import { AppError } from '../core/errors.js';
import type { Unsubscribe } from '../core/event-log.js';
import type { Clock } from '../core/ports.js';
import type { Presence } from '../core/presence.js';
import type { PushSubscriptionRecord, Store } from '../core/store.js';
import type { Logger } from '../log.js';
import type { ServerEvent } from '../protocol/events.js';
import type { PushSubscriptionBody, PushSubscriptionInfo } from '../protocol/push.js';
import { PushNotices, type Decision, type NoticeSource } from './notices.js';
import type { PushSender } from './sender.js';

/** Pushes still going out at shutdown get this long. */
const CLOSE_DEADLINE_MS = 5_000;
const MAX_USER_AGENT_CHARS = 300;

/** What the HTTP door may ask. */
export interface PushRegistry {
  /** The VAPID public key browsers subscribe with. */
  readonly publicKey: string;
  /** Keeps a subscription; the same endpoint again keeps its id. */
  subscribe(body: PushSubscriptionBody, userAgent: string | undefined): Promise<{ id: string }>;
  list(): Promise<PushSubscriptionInfo[]>;
  /** Throws not_found for an unknown id. */
  remove(id: string): Promise<void>;
}

export interface PushService extends PushRegistry {
  /** Stops listening and lets the pushes under way finish (within a deadline). */
  close(): Promise<void>;
}

export interface PushDeps {
  store: Store;
  /** The engine: its events, and what a push says about its sessions. */
  engine: NoticeSource & { onAnyEvent(listener: (event: ServerEvent) => void): Unsubscribe };
  presence: Presence;
  sender: PushSender;
  clock: Clock;
  log: Logger;
}

export interface PushConfig {
  publicKey: string;
  /**
   * Several instances sharing the store: this one's id. A run's news is told
   * by the instance that ran it (the run's `instanceId`), so each push is sent
   * once, not by every instance that hears the event. Absent: alone, every
   * run is this instance's.
   */
  instanceId?: string | undefined;
  /** PERMISSION_TIMEOUT_S: a permission push is worth delivering this long. */
  permissionTimeoutS: number;
}

export function createPushService(deps: PushDeps, config: PushConfig): PushService {
  const { store, presence, sender, log } = deps;
  const notices = new PushNotices(deps.engine, config.permissionTimeoutS);
  let chain: Promise<void> = Promise.resolve();

  const ranHere = async (runId: string): Promise<boolean> =>
    config.instanceId === undefined || (await store.getRun(runId))?.instanceId === config.instanceId;

  const deliver = async (decision: Decision): Promise<void> => {
    if (!(await ranHere(decision.runId))) {
      log.debug(`push (${decision.kind}) left to the instance that ran the run`, { sessionId: decision.sessionId, runId: decision.runId });
      return;
    }
    const subscriptions = await store.listPushSubscriptions();
    if (subscriptions.length === 0) return;
    // Decided as late as possible: a page that came into view meanwhile shows it.
    if (presence.someoneLooking()) {
      log.debug(`push skipped (${decision.kind}): the app is open and visible`, { sessionId: decision.sessionId });
      return;
    }
    const notice = await notices.build(decision);
    if (!notice) return;
    const text = JSON.stringify(notice.payload);
    await Promise.all(subscriptions.map((sub) => sendOne(sub, text, notice.options)));
  };

  const sendOne = async (sub: PushSubscriptionRecord, text: string, options: Parameters<PushSender['send']>[2]): Promise<void> => {
    const outcome = await sender.send(sub, text, options);
    const host = hostOf(sub.endpoint);
    if (outcome.status === 'gone') {
      // The browser unsubscribed, or the subscription expired: it never comes back.
      await store.deletePushSubscription(sub.id);
      log.info(`push subscription ${sub.id} (${host}) is gone (${outcome.statusCode}): forgotten`);
    } else if (outcome.status === 'failed') {
      log.warn(`push to ${host} failed${outcome.statusCode ? ` (${outcome.statusCode})` : ''}: ${outcome.error}`);
    }
  };

  const eventOnPush = (event: ServerEvent): void => {
    const decision = notices.decide(event);
    if (!decision) return;
    chain = chain.then(() => deliver(decision)).catch((err: unknown) => log.error('a push could not be sent', err));
  };
  const off = deps.engine.onAnyEvent(eventOnPush);

  return {
    publicKey: config.publicKey,
    async subscribe(body, userAgent) {
      const kept = await store.savePushSubscription({
        id: randomUUID(),
        endpoint: body.endpoint,
        keys: { p256dh: body.keys.p256dh, auth: body.keys.auth },
        createdAt: deps.clock.now().toISOString(),
        userAgent: userAgent?.slice(0, MAX_USER_AGENT_CHARS),
      });
      return { id: kept.id };
    },
    async list() {
      return (await store.listPushSubscriptions()).map((sub) => ({
        id: sub.id,
        endpointHost: hostOf(sub.endpoint),
        createdAt: sub.createdAt,
        ...(sub.userAgent !== undefined ? { userAgent: sub.userAgent } : {}),
      }));
    },
    async remove(id) {
      if (!(await store.deletePushSubscription(id))) throw new AppError('not_found', `No push subscription ${id}.`);
    },
    async close() {
      off();
      if ((await within(chain, CLOSE_DEADLINE_MS)).outcome === 'late') log.warn('pushes still under way at shutdown were left');
    },
  };
}

function hostOf(endpoint: string): string {
  try {
    return new URL(endpoint).host;
  } catch {
    return '(invalid endpoint)';
  }
}
