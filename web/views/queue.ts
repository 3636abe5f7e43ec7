/**
 * Prompts waiting their turn: the session's queue (each with a Cancel
 * button) and, before them, prompts still on their way to the server.
 */
import { h } from '../dom.js';
import { oneLine, plural } from '../format.js';
import type { SessionState } from '../state/reducer.js';
import type { OutgoingPrompt } from '../app/state.js';

export interface QueueView {
  render(state: SessionState | undefined, outgoing: readonly OutgoingPrompt[]): void;
}

const PROMPT_CHARS = 120;

export function createQueueView(
  section: HTMLElement,
  list: HTMLElement,
  onCancel: (runId: string) => Promise<void>,
): QueueView {
  let lastPending: readonly string[] | undefined;
  let lastOutgoing: readonly OutgoingPrompt[] | undefined;
  list.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-run-id]');
    if (!button?.dataset.runId) return;
    button.disabled = true;
    // On success the queue.changed event removes the row; on failure it stays, usable again.
    onCancel(button.dataset.runId).catch(() => (button.disabled = false));
  });
  return {
    render(state, outgoing) {
      const pending = state?.pending ?? [];
      if (pending === lastPending && outgoing === lastOutgoing) return;
      lastPending = pending;
      lastOutgoing = outgoing;
      const rows = [
        ...outgoing.map((o) =>
          h('li', { class: 'outgoing' }, [
            h('span', { class: 'q-prompt' }, [oneLine(o.prompt, PROMPT_CHARS)]),
            h('span', { class: 'q-note' }, [o.files ? `sending with ${plural(o.files, 'file')}…` : 'sending…']),
          ]),
        ),
        ...pending.map((runId) => {
          const run = state?.runs[runId];
          const files = run?.attachments?.length ?? 0;
          return h('li', {}, [
            h('span', { class: 'q-prompt' }, [oneLine(run?.prompt ?? '', PROMPT_CHARS)]),
            files > 0 ? h('span', { class: 'q-note' }, [plural(files, 'file')]) : null,
            h('button', { type: 'button', class: 'small', 'data-run-id': runId }, ['Cancel']),
          ]);
        }),
      ];
      list.replaceChildren(...rows);
      section.hidden = rows.length === 0;
    },
  };
}
