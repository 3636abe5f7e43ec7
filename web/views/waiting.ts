/**
 * "Waiting for you" beside the open session's name while Claude waits for
 * an answer to a permission request (the session's status is `waiting`).
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h, setText } from '../dom.js';

export function renderWaiting(title: HTMLElement, session: SessionView | undefined): void {
  let chip = title.nextElementSibling;
  if (!chip?.classList.contains('waiting-chip')) {
    chip = h('span', { class: 'waiting-chip', role: 'status' });
    title.after(chip);
  }
  const waiting = session?.status === 'waiting' ? (session.waitingForAnswers ?? 1) : 0;
  (chip as HTMLElement).hidden = waiting === 0;
  setText(chip, waiting > 1 ? `${waiting} answers waiting for you` : waiting === 1 ? 'waiting for you' : '');
}
