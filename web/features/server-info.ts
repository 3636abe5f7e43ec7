/**
 * The server's side of the drawer: the tunnel's state (remote access) and,
 * when the server has a password, the log-out buttons.
 */
import { h, setText } from '../dom.js';
import { serverHealth } from '../net/api.js';

export interface ServerInfoElements {
  remoteInfo: HTMLElement;
  logout: HTMLButtonElement;
  logoutEverywhere: HTMLButtonElement;
}

export interface ServerInfo {
  /** Asks the server again (after every welcome); unreachable leaves things as they are. */
  refresh(): void;
}

export function createServerInfo(els: ServerInfoElements, logout: (everywhere: boolean) => void): ServerInfo {
  els.logout.addEventListener('click', () => logout(false));
  els.logoutEverywhere.addEventListener('click', () => logout(true));
  const { remoteInfo } = els;
  return {
    refresh() {
      serverHealth().then(
        (health) => {
          els.logout.hidden = !health.authEnabled;
          els.logoutEverywhere.hidden = !health.authEnabled;
          const t = health.tunnel;
          remoteInfo.hidden = !t || t.status === 'off';
          if (!t || t.status === 'off') return;
          remoteInfo.dataset.status = t.status;
          if (t.status === 'online' && t.url) {
            remoteInfo.replaceChildren('Remote access: ', h('a', { href: t.url, rel: 'noopener' }, [t.url]));
          } else if (t.status === 'connecting') {
            setText(remoteInfo, 'Remote access: connecting…');
          } else {
            setText(remoteInfo, `Remote access failed: ${t.error ?? 'unknown error'}`);
          }
        },
        () => undefined,
      );
    },
  };
}
