/**
 * When the app counts as offline: at once when the socket cannot connect (or
 * the browser says it is offline), and OFFLINE_AFTER_DROP_MS after a drop, so
 * a quick reconnect (a server restart) shows only as "Reconnecting…". Offline,
 * the indicator says so and pwa.css marks the page (body[data-offline]).
 */
import type { ConnectionState } from '../net/ws-client.js';
import type { ConnectionStatus } from '../views/connection-status.js';

const OFFLINE_AFTER_DROP_MS = 3000;

export interface OfflineLook {
  /** Every connection state change, after the indicator showed it. */
  onConnectionState(state: ConnectionState): void;
}

export function createOfflineLook(status: ConnectionStatus): OfflineLook {
  let offline = false;
  let previous: ConnectionState | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const setOffline = (on: boolean) => {
    offline = on;
    if (on) document.body.dataset.offline = 'true';
    else delete document.body.dataset.offline;
    status.setOffline(on);
  };

  return {
    onConnectionState(state) {
      clearTimeout(timer);
      if (state === 'connected') setOffline(false);
      // The socket failed to connect at all.
      else if (state === 'reconnecting' && (previous === 'connecting' || !navigator.onLine)) setOffline(true);
      else if (state === 'reconnecting' && !offline) timer = setTimeout(() => setOffline(true), OFFLINE_AFTER_DROP_MS);
      previous = state;
    },
  };
}
