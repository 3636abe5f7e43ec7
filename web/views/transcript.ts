/**
 * The transcript of one session: each run as the user's prompt, then what
 * Claude streamed, then a footer with status, cost, tokens, duration and
 * turns (transcript/run-view.ts), in a virtual list that keeps only the rows
 * near the viewport in the DOM (transcript/virtual-list.ts), with a live
 * region that reads the running answer out (transcript/announcer.ts).
 *
 * Rendering is keyed and incremental: a run's view is updated only when the
 * reducer gave the run a new object, and inside it only the items that
 * changed, so streaming touches one text item per frame.
 */
import '../styles/transcript.css';
import type { SessionState } from '../state/reducer.js';
import { createAnnouncer } from './transcript/announcer.js';
import { createEntry } from './transcript/entries.js';
import type { TranscriptHandlers } from './transcript/run-view.js';
import { VirtualList } from './transcript/virtual-list.js';

export type { PermissionReply, TranscriptHandlers } from './transcript/run-view.js';

export interface TranscriptView {
  render(state: SessionState | undefined): void;
  /** Shows the end of the transcript and follows new output again. */
  scrollToBottom(): void;
}

export function createTranscriptView(root: HTMLElement, handlers: TranscriptHandlers): TranscriptView {
  const list = new VirtualList(root, (entry) => createEntry(entry, handlers));
  const announcer = createAnnouncer(root);
  let sessionId: string | undefined;
  /** The state last rendered: the same object again changes nothing. */
  let current: SessionState | undefined;

  const reset = () => {
    list.reset();
    announcer.reset();
    current = undefined;
  };

  return {
    render(state) {
      if (state?.sessionId !== sessionId) {
        sessionId = state?.sessionId;
        reset();
      }
      if (!state || state === current) return;
      if (state.timeline.length === 0) {
        if (!list.isEmpty) reset();
        current = state;
        return;
      }
      const opening = list.isEmpty;
      list.show(state.timeline, state.runs);
      current = state;
      announcer.update(state, opening);
    },
    scrollToBottom: () => list.scrollToBottom(),
  };
}
