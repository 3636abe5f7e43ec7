/**
 * A polite live region that reads out the running run's answer: finished
 * sentences as they complete (batched, at most one announcement per
 * ANNOUNCE_MS), and the rest of a text when it is complete. History shown on
 * opening a session is not read.
 */
import { h } from '../../dom.js';
import type { RunState, SessionState } from '../../state/reducer.js';

/** Wait between two announcements. */
const ANNOUNCE_MS = 1500;

export interface Announcer {
  reset(): void;
  /** The session's new state; `opening`: it was just opened, so only what comes next is read. */
  update(state: SessionState, opening: boolean): void;
}

/** Where reading has got to: item `index` of run `runId`, up to `offset` of its text. */
interface Place {
  runId: string;
  index: number;
  offset: number;
}

export function createAnnouncer(transcript: HTMLElement): Announcer {
  const region = createRegion(transcript);
  let place: Place | undefined;

  return {
    reset() {
      place = undefined;
      region.clear();
    },
    update(state, opening) {
      region.attach();
      if (!place || !state.runs[place.runId]) {
        const run = state.activeRunId === undefined ? undefined : state.runs[state.activeRunId];
        place = run && startPlace(run, opening);
        if (!place) return;
      }
      const run = state.runs[place.runId]!;
      readOn(place, run, region.say);
      if (run.status !== 'running' && run.status !== 'queued') {
        place = undefined;
        region.flush();
      }
    },
  };
}

/** From the start of a run; one under way when the session opened: only what comes next. */
function startPlace(run: RunState, opening: boolean): Place {
  if (!opening) return { runId: run.runId, index: 0, offset: 0 };
  const lastItem = run.items[run.items.length - 1];
  if (lastItem?.kind === 'text' && lastItem.streaming) return { runId: run.runId, index: run.items.length - 1, offset: sentenceEnd(lastItem.text) };
  return { runId: run.runId, index: run.items.length, offset: 0 };
}

/** Says the run's text after `place` (only finished sentences of a streaming text) and moves `place` on. */
function readOn(place: Place, run: RunState, say: (markdown: string) => void): void {
  while (place.index < run.items.length) {
    const item = run.items[place.index]!;
    if (item.kind === 'text') {
      if (item.streaming) {
        const end = sentenceEnd(item.text);
        if (end > place.offset) say(item.text.slice(place.offset, end));
        place.offset = Math.max(place.offset, end);
        return;
      }
      if (item.text.length > place.offset) say(item.text.slice(place.offset));
    }
    place.index++;
    place.offset = 0;
  }
}

/**
 * The region sits in a closed shadow root of a visually hidden host: assistive
 * technology reads it (the accessibility tree is built from the flat tree), but
 * its copy of the answer stays out of the page's own text, so it does not turn
 * up twice in find-in-page, in text queries (tests' getByText) or in copied text.
 */
function createRegion(transcript: HTMLElement) {
  const host = h('div', { class: 'visually-hidden', 'data-transcript-announcer': '' });
  const region = h('div', { 'aria-live': 'polite', 'aria-atomic': 'true' });
  host.attachShadow({ mode: 'closed' }).append(region);
  let queued = '';
  let lastAt = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;

  const announce = () => {
    timer = undefined;
    const text = queued.trim();
    queued = '';
    if (text === '') return;
    lastAt = performance.now();
    region.textContent = text;
  };

  return {
    /** Beside the transcript, not in it: the list empties and refills, the region must stay. */
    attach() {
      if (!host.isConnected && transcript.parentNode) transcript.after(host);
    },
    say(markdown: string) {
      const text = speakable(markdown);
      if (text === '') return;
      queued += (queued ? ' ' : '') + text;
      const wait = ANNOUNCE_MS - (performance.now() - lastAt);
      if (wait <= 0) announce();
      else timer ??= setTimeout(announce, wait);
    },
    /** Says what is waiting now (the run ended). */
    flush() {
      if (timer === undefined) return;
      clearTimeout(timer);
      announce();
    },
    clear() {
      queued = '';
      clearTimeout(timer);
      timer = undefined;
      region.textContent = '';
    },
  };
}

/** The end of the last finished sentence (or line) in `text`. */
export function sentenceEnd(text: string): number {
  const re = /[.!?…:;](?=\s)|\n/g;
  let end = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) end = m.index + 1;
  return end;
}

/** Markdown as it should sound: no fences, markers or URLs. */
export function speakable(markdown: string): string {
  return markdown
    .replace(/^ {0,3}(```|~~~).*$/gm, '')
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/^ {0,3}(#{1,6}|>|[-*+]|\d+[.)])\s+/gm, '')
    .replace(/[*_~`|]+/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}
