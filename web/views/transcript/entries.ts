/** The view of one timeline entry: a run, a notice between runs, or the mark of a cleared conversation. */
import { h } from '../../dom.js';
import type { TimelineEntry } from '../../state/reducer.js';
import type { EntryView } from './rows.js';
import { createRunView, type TranscriptHandlers } from './run-view.js';

export function createEntry(entry: TimelineEntry, handlers: TranscriptHandlers): EntryView {
  switch (entry.kind) {
    case 'run':
      return createRunView(handlers);
    case 'notice':
      return { el: h('p', { class: 'notice', 'data-level': entry.level }, [entry.text]), update: () => {} };
    case 'cleared':
      return { el: h('p', { class: 'divider' }, ['New conversation']), update: () => {} };
    default: {
      const never: never = entry;
      return never;
    }
  }
}
