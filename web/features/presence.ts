/**
 * Tells the server whether this page is in view (a `presence` frame): once
 * connected, at every visibility change, and again every 25 s, since the
 * server counts a "visible" for a minute only (a phone that vanished
 * without saying "hidden" then stops counting). While some page is in view,
 * no push goes to the user's devices (docs/push.md).
 */
import type { ConnectionState, WsClient } from '../net/ws-client.js';

const REPEAT_MS = 25_000;

export interface Presence {
  onConnectionState(state: ConnectionState): void;
}

export function createPresence(client: Pick<WsClient, 'send'>): Presence {
  // A no-op while the socket is not open; the next connect reports anyway.
  const report = () => client.send({ type: 'presence', visible: document.visibilityState === 'visible' });
  document.addEventListener('visibilitychange', report);
  setInterval(report, REPEAT_MS);
  return {
    onConnectionState(state) {
      if (state === 'connected') report();
    },
  };
}
