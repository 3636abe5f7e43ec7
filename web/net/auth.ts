/**
 * The app is a public shell; its data needs a login when the server has a
 * password. These send the browser to the login page when the server says
 * 401, and back here afterwards.
 */
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

export function goToLogin(): void {
  const next = `${location.pathname}${location.search}${location.hash}`;
  location.assign(`/login?next=${encodeURIComponent(next)}`);
}

export async function logout(): Promise<void> {
  await fetch('/api/auth/logout', { method: 'POST' }).catch(() => undefined);
  location.assign('/login');
}
