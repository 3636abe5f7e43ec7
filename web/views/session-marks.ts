/**
 * Small marks beside a session's name, in the list and the header: "waiting
 * for you" while a permission request waits for an answer, "paused" while its
 * queue waits after a billing or usage-limit failure. Kept apart from the
 * list's status text so each can change on its own.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';

export type SessionMarkKind = 'waiting' | 'paused';

export interface SessionMark {
  kind: SessionMarkKind;
  text: string;
}

export function isWaiting(s: Pick<SessionView, 'status' | 'waitingForAnswers'>): boolean {
  return s.status === 'waiting' || (s.waitingForAnswers ?? 0) > 0;
}

export function sessionMarks(s: Pick<SessionView, 'status' | 'waitingForAnswers' | 'paused'>): SessionMark[] {
  const marks: SessionMark[] = [];
  if (isWaiting(s)) marks.push({ kind: 'waiting', text: 'waiting for you' });
  if (s.paused) marks.push({ kind: 'paused', text: 'paused' });
  return marks;
}

export function markElements(s: SessionView): HTMLElement[] {
  return sessionMarks(s).map((m) => h('span', { class: 'session-mark', 'data-mark': m.kind }, [m.text]));
}
