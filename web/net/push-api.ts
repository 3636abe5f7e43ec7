/** The REST calls of Web Push (docs/push.md). Shapes come from server/protocol/push.ts. */
import type { PushSubscriptionList } from '../../server/protocol/push.js';
import { call } from './api.js';

const SUBSCRIPTIONS = '/api/push/subscriptions';

export const vapidPublicKey = () => call<{ publicKey: string }>('GET', '/api/push/vapid-public-key');

/** The same browser subscription again answers with the same id. */
export const savePushSubscription = (subscription: PushSubscriptionJSON) => call<{ id: string }>('POST', SUBSCRIPTIONS, subscription);

export const listPushSubscriptions = () => call<PushSubscriptionList>('GET', SUBSCRIPTIONS);

export const deletePushSubscription = (id: string) => call<{ deleted: true }>('DELETE', `${SUBSCRIPTIONS}/${encodeURIComponent(id)}`);
