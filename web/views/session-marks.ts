/**
 * Small marks beside a session's name, in the list and the header: "paused"
 * while its queue waits after a billing or usage-limit failure. (A session
 * waiting for an answer says so in its status text and the header's chip,
 * views/sessions.ts and views/waiting.ts.) Kept apart from the list's status
 * text so each can change on its own.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';

export type SessionMarkKind = 'paused';

export interface SessionMark {
  kind: SessionMarkKind;
  text: string;
}

export function sessionMarks(s: Pick<SessionView, 'paused'>): SessionMark[] {
  return s.paused ? [{ kind: 'paused', text: 'paused' }] : [];
}

/** How many answers the sessions wait for (a waiting session without a count is one). */
export function openRequests(sessions: readonly Pick<SessionView, 'status' | 'waitingForAnswers'>[]): number {
  return sessions.reduce((n, s) => n + (s.status === 'waiting' || (s.waitingForAnswers ?? 0) > 0 ? Math.max(1, s.waitingForAnswers ?? 0) : 0), 0);
}

export function markElements(s: SessionView): HTMLElement[] {
  return sessionMarks(s).map((m) => h('span', { class: 'session-mark', 'data-mark': m.kind }, [m.text]));
}
