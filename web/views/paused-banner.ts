/**
 * The banner above the queue while the open session's queue waits after a
 * billing or usage-limit failure: why, since when, when it goes on by itself
 * (local time and how long from now) or that it waits for the user, and a
 * "Resume now" button. The times are redrawn every half minute while it shows.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h, setText } from '../dom.js';
import { pausedText } from './run-text.js';

export interface PausedBanner {
  render(session: SessionView | undefined): void;
}

const REFRESH_MS = 30_000;

/** `onResume` resumes the queue (the session's update then hides the banner); it rejects when that failed. */
export function createPausedBanner(section: HTMLElement, onResume: (sessionId: string) => Promise<void>): PausedBanner {
  const title = h('h2', { id: 'paused-title', class: 'paused-title' });
  const when = h('p', { class: 'paused-when' });
  const message = h('p', { class: 'paused-message' });
  const resume = h('button', { type: 'button', class: 'primary' }, ['Resume now']);
  section.setAttribute('aria-labelledby', 'paused-title');
  section.replaceChildren(h('div', { class: 'paused-text' }, [title, when, message]), resume);

  let shown: { session: SessionView; paused: NonNullable<SessionView['paused']> } | undefined;
  let timer: ReturnType<typeof setInterval> | undefined;

  const draw = () => {
    if (!shown) return;
    const text = pausedText(shown.paused, Date.now());
    setText(title, text.title);
    setText(when, text.when);
    setText(message, text.message ?? '');
    message.hidden = !text.message;
  };

  resume.addEventListener('click', () => {
    const id = shown?.session.id;
    if (!id) return;
    resume.disabled = true;
    onResume(id).then(
      () => undefined,
      () => (resume.disabled = false),
    );
  });

  return {
    render(session) {
      const paused = session?.paused;
      if (shown?.session.id !== session?.id) resume.disabled = false;
      if (!session || !paused) {
        shown = undefined;
        section.hidden = true;
        clearInterval(timer);
        timer = undefined;
        resume.disabled = false;
        return;
      }
      if (shown?.paused === paused && shown.session.id === session.id) return;
      shown = { session, paused };
      section.hidden = false;
      draw();
      timer ??= setInterval(draw, REFRESH_MS);
    },
  };
}
