/**
 * The app is a public shell; its data needs a login when the server has a
 * password. These send the browser to the login page when the server says
 * 401, and back here afterwards. Whenever the login ends, what the app kept
 * offline goes too.
 */
import type { OfflineStore } from '../pwa/offline-store.js';

export type AuthState = 'ok' | 'login' | 'unreachable';

export interface Auth {
  check(): Promise<AuthState>;
  /**
   * The server says this browser is not logged in (any more: a logout
   * elsewhere, "log out everywhere", a changed password): forget the offline
   * copy, then go to the login page.
   */
  goToLogin(): Promise<void>;
  logout(everywhere: boolean): Promise<void>;
}

export function createAuth(offline: Pick<OfflineStore, 'clear'>): Auth {
  /**
   * Leaving happens once. A logout closes this browser's sockets, so the
   * reconnect that follows finds the login gone and would leave too: two
   * navigations, the first aborted, and two deletions of the offline copy
   * racing each other.
   */
  let leaving: Promise<void> | undefined;
  const leave = (steps: () => Promise<void>) => (leaving ??= steps());

  return {
    async check() {
      try {
        const res = await fetch('/api/auth/me', { headers: { Accept: 'application/json' } });
        if (res.status === 401) return 'login';
        return res.ok ? 'ok' : 'unreachable';
      } catch {
        return 'unreachable';
      }
    },
    goToLogin: () =>
      leave(async () => {
        await offline.clear();
        const next = `${location.pathname}${location.search}${location.hash}`;
        location.assign(`/login?next=${encodeURIComponent(next)}`);
      }),
    logout: (everywhere) =>
      leave(async () => {
        const path = everywhere ? '/api/auth/logout-everywhere' : '/api/auth/logout';
        await fetch(path, { method: 'POST' }).catch(() => undefined);
        await offline.clear();
        location.assign('/login');
      }),
  };
}
