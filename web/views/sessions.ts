/**
 * The session list: one button per session, named by the session's name (its
 * folder and status describe it), newest first; the selected one is marked
 * with aria-current.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';
import { baseName } from '../format.js';

export interface SessionListView {
  render(sessions: readonly SessionView[], selectedId: string | undefined): void;
}

export function createSessionListView(
  list: HTMLElement,
  empty: HTMLElement,
  onSelect: (id: string) => void,
): SessionListView {
  let lastSessions: readonly SessionView[] | undefined;
  let lastSelected: string | undefined;
  list.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-id]');
    if (button?.dataset.id) onSelect(button.dataset.id);
  });
  return {
    render(sessions, selectedId) {
      if (sessions === lastSessions && selectedId === lastSelected) return;
      lastSessions = sessions;
      lastSelected = selectedId;
      const focusedId = (document.activeElement as HTMLElement | null)?.dataset?.id;
      const sorted = [...sessions].sort((a, b) => b.createdAt.localeCompare(a.createdAt));
      list.replaceChildren(
        ...sorted.map((s) => {
          const nameId = `session-name-${s.id}`;
          const metaId = `session-meta-${s.id}`;
          const state = s.status === 'running' ? 'running' : s.queueLength > 0 ? `${s.queueLength} queued` : '';
          return h('li', {}, [
            h(
              'button',
              {
                type: 'button',
                class: 'session',
                'data-id': s.id,
                'data-status': s.status,
                'aria-current': s.id === selectedId ? 'true' : undefined,
                'aria-labelledby': nameId,
                'aria-describedby': metaId,
              },
              [
                h('span', { class: 'session-name', id: nameId }, [s.name]),
                h('span', { class: 'session-meta', id: metaId }, [
                  h('span', { class: 'session-folder' }, [s.ownFolder ? 'own folder' : baseName(s.cwd)]),
                  state ? h('span', { class: 'session-state' }, [state]) : null,
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
