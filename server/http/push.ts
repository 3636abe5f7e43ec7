/**
 * The HTTP door of Web Push: the VAPID public key and the devices'
 * subscriptions. Each handler validates, calls the registry, serialises.
 */
import { idSchema } from '../protocol/api.js';
import { pushSubscriptionSchema } from '../protocol/push.js';
import type { PushRegistry } from '../push/service.js';
import { parse } from './errors.js';
import type { RouteHandlers } from './handlers.js';

type PushRouteId = 'vapidPublicKey' | 'createPushSubscription' | 'listPushSubscriptions' | 'deletePushSubscription';

export function pushHandlers(push: PushRegistry): RouteHandlers<PushRouteId> {
  return {
    vapidPublicKey(_req, res) {
      res.json({ publicKey: push.publicKey });
    },

    async createPushSubscription(req, res) {
      const body = parse(pushSubscriptionSchema, req.body);
      res.status(201).json(await push.subscribe(body, req.get('user-agent')));
    },

    async listPushSubscriptions(_req, res) {
      res.json({ subscriptions: await push.list() });
    },

    async deletePushSubscription(req, res) {
      await push.remove(parse(idSchema, req.params.id, 'subscription id'));
      res.json({ deleted: true });
    },
  };
}
