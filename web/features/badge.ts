/**
 * The installed app's badge: how many permission requests wait for an
 * answer, over all sessions (the session list keeps `waitingForAnswers`
 * current). Where the platform has no badges, nothing happens. The service
 * worker sets it too when a push comes while the app is closed.
 */
import type { SessionView } from '../../server/protocol/events.js';

let shown: number | undefined;

export function updateAppBadge(sessions: readonly SessionView[]): void {
  const waiting = sessions.reduce((n, s) => n + (s.waitingForAnswers ?? 0), 0);
  if (waiting === shown || !('setAppBadge' in navigator)) return;
  shown = waiting;
  void (waiting > 0 ? navigator.setAppBadge(waiting) : navigator.clearAppBadge()).catch(() => undefined);
}
