/**
 * The session list: one button per session showing its name, then its
 * folder, status (idle, running, waiting for you, queued N), last activity
 * and cost; those waiting for an answer first, then most recently active
 * first; the open one has aria-current.
 *
 * The button is named by all it shows, name first: a name of its own that
 * left out the visible details would break "label in name" (WCAG 2.5.3), and
 * voice control users say what they see.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';
import { baseName, formatCost, timeAgo } from '../format.js';
import { markElements } from './session-marks.js';

export interface SessionListView {
  render(sessions: readonly SessionView[], selectedId: string | undefined, now?: number): void;
}

export function statusText(s: SessionView): string {
  if (s.status === 'waiting') return s.queueLength > 0 ? `waiting for you, ${s.queueLength} queued` : 'waiting for you';
  if (s.status === 'running') return s.queueLength > 0 ? `running, ${s.queueLength} queued` : 'running';
  return s.queueLength > 0 ? `${s.queueLength} queued` : 'idle';
}

export function createSessionListView(
  list: HTMLElement,
  empty: HTMLElement,
  onSelect: (id: string) => void,
): SessionListView {
  let lastSessions: readonly SessionView[] | undefined;
  let lastSelected: string | undefined;
  let lastMinute = 0;
  list.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-id]');
    if (button?.dataset.id) onSelect(button.dataset.id);
  });
  return {
    render(sessions, selectedId, now = Date.now()) {
      // "3 min ago" changes by the minute: re-render then even if nothing else did.
      const minute = Math.floor(now / 60_000);
      if (sessions === lastSessions && selectedId === lastSelected && minute === lastMinute) return;
      lastSessions = sessions;
      lastSelected = selectedId;
      lastMinute = minute;
      const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.id;
      // Sessions waiting for an answer first: they are stuck until someone answers.
      const waitingFirst = (a: SessionView, b: SessionView) => Number(b.status === 'waiting') - Number(a.status === 'waiting');
      const sorted = [...sessions].sort((a, b) => waitingFirst(a, b) || b.updatedAt.localeCompare(a.updatedAt) || b.createdAt.localeCompare(a.createdAt));
      list.replaceChildren(
        ...sorted.map((s) => {
          const status = statusText(s);
          return h('li', {}, [
            h(
              'button',
              {
                type: 'button',
                class: 'session',
                'data-id': s.id,
                'data-status': s.status !== 'idle' ? s.status : s.queueLength > 0 ? 'queued' : 'idle',
                'aria-current': s.id === selectedId ? 'true' : undefined,
              },
              [
                h('span', { class: 'session-name' }, [s.name]),
                h('span', { class: 'session-meta' }, [
                  h('span', { class: 'session-folder', title: s.cwd }, [s.ownFolder ? 'own folder' : baseName(s.cwd)]),
                  status ? h('span', { class: 'session-state' }, [status]) : null,
                  ...markElements(s),
                  h('span', { class: 'session-activity' }, [timeAgo(s.updatedAt, now)]),
                  s.totals.costUsd > 0 ? h('span', { class: 'session-cost' }, [formatCost(s.totals.costUsd)]) : null,
                ]),
              ],
            ),
          ]);
        }),
      );
      empty.hidden = sessions.length > 0;
      // Re-rendering must not throw keyboard users out of the list.
      if (focusedId) list.querySelector<HTMLElement>(`button[data-id="${CSS.escape(focusedId)}"]`)?.focus();
    },
  };
}
