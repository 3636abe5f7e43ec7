/**
 * The app is a public shell; its data needs a login when the server has a
 * password. These send the browser to the login page when the server says
 * 401, and back here afterwards.
 */
import { clearSnapshot } from '../pwa/offline-store.js';

export type AuthState = 'ok' | 'login' | 'unreachable';

export async function checkAuth(): Promise<AuthState> {
  try {
    const res = await fetch('/api/auth/me', { headers: { Accept: 'application/json' } });
    if (res.status === 401) return 'login';
    return res.ok ? 'ok' : 'unreachable';
  } catch {
    return 'unreachable';
  }
}

/**
 * The server says this browser is not logged in (any more: a logout
 * elsewhere, "log out everywhere", a changed password): what it kept offline
 * goes too, then to the login page.
 */
export async function goToLogin(): Promise<void> {
  await clearSnapshot();
  const next = `${location.pathname}${location.search}${location.hash}`;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export async function logout(everywhere = false): Promise<void> {
  const path = everywhere ? '/api/auth/logout-everywhere' : '/api/auth/logout';
  await fetch(path, { method: 'POST' }).catch(() => undefined);
  await clearSnapshot();
  location.assign('/login');
}
