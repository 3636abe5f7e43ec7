/** The connection indicator in the top bar: a dot (by data-state) and a word. */
import { setText } from '../dom.js';
import type { ConnectionState } from '../net/ws-client.js';

export interface ConnectionStatus {
  show(state: ConnectionState): void;
  /** Offline (pwa/offline-look.ts) says so in place of the connection's own word. */
  setOffline(offline: boolean): void;
}

const WORDS: Record<ConnectionState, string> = {
  connected: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
};

export function createConnectionStatus(indicator: HTMLElement, text: HTMLElement): ConnectionStatus {
  let state: ConnectionState = 'connecting';
  let offline = false;
  const paint = () => setText(text, offline ? 'Offline' : WORDS[state]);
  return {
    show(next) {
      state = next;
      indicator.dataset.state = next;
      paint();
    },
    setOffline(on) {
      offline = on;
      paint();
    },
  };
}
