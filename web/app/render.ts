/**
 * Draws the page from the app state, at most once per animation frame however
 * many events came. The views skip what did not change (by identity), so a
 * frame of streaming touches little more than one text item.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { replaceChildren, setText } from '../dom.js';
import { formatCost, plural } from '../format.js';
import { updateAppBadge } from '../features/badge.js';
import type { Composer } from '../features/composer.js';
import type { LoadEarlier } from '../features/load-earlier.js';
import type { Workspace } from '../features/workspace.js';
import type { PausedBanner } from '../views/paused-banner.js';
import type { QueueView } from '../views/queue.js';
import type { SessionDetails } from '../views/session-details.js';
import { markElements, openRequests } from '../views/session-marks.js';
import type { SessionListView } from '../views/sessions.js';
import type { TranscriptView } from '../views/transcript.js';
import { renderWaiting } from '../views/waiting.js';
import { selectedSession, selectedSessionState, type AppState } from './state.js';

export interface SessionHeaderElements {
  header: HTMLElement;
  title: HTMLElement;
  cwd: HTMLElement;
  totals: HTMLElement;
  /** "paused" (views/session-marks.ts); "waiting for you" is the chip after the title (views/waiting.ts). */
  marks: HTMLElement;
  /** "Pick a session", or "No messages yet". */
  empty: HTMLElement;
}

export interface PageViews {
  sessionList: SessionListView;
  transcript: TranscriptView;
  queue: QueueView;
  paused: PausedBanner;
  details: SessionDetails;
  composer: Composer;
  loadEarlier: LoadEarlier;
  workspace: Workspace;
}

export interface Renderer {
  schedule(): void;
  /** The reader sent something: the next render shows the bottom even if they had scrolled up. */
  showLatest(): void;
}

/** `afterRender` runs after each render (the offline copy is saved then). */
export function createRenderer(state: AppState, els: SessionHeaderElements, views: PageViews, afterRender: () => void): Renderer {
  let queued = false;
  let renderedSessionId: string | undefined;
  let stickToBottom = false;

  const render = () => {
    const session = selectedSession(state);
    const current = selectedSessionState(state);
    views.sessionList.render(state.sessions, state.selectedId);
    const switched = renderedSessionId !== state.selectedId;
    renderedSessionId = state.selectedId;
    // The view follows the stream by itself while the reader is at the bottom;
    // opening a session or sending a prompt brings the reader there.
    views.transcript.render(current);
    if (switched || stickToBottom) views.transcript.scrollToBottom();
    stickToBottom = false;
    views.loadEarlier.render(current);
    renderSessionHeader(els, session, (current?.timeline.length ?? 0) > 0);
    views.workspace.render(session);
    renderWaiting(els.title, session);
    updateAppBadge(state.sessions);
    views.paused.render(session);
    views.details.render(session);
    views.queue.render(current, state.outgoing.filter((o) => o.sessionId === state.selectedId));
    const running = Boolean(current?.activeRunId);
    views.composer.render(session, running);
    document.title = pageTitle(session, running, openRequests(state.sessions));
  };

  return {
    schedule() {
      if (queued) return;
      queued = true;
      requestAnimationFrame(() => {
        queued = false;
        render();
        afterRender();
      });
    },
    showLatest() {
      stickToBottom = true;
    },
  };
}

function renderSessionHeader(els: SessionHeaderElements, session: SessionView | undefined, hasRuns: boolean): void {
  document.body.classList.toggle('has-session', Boolean(session));
  els.header.hidden = !session;
  els.empty.hidden = Boolean(session && hasRuns);
  setText(els.empty, session ? 'No messages yet. Write one below.' : 'Pick a session or create one.');
  if (!session) return;
  setText(els.title, session.name);
  setText(els.cwd, session.cwd);
  els.cwd.title = session.cwd;
  const mode = session.options.permissionMode ? ` · ${session.options.permissionMode}` : '';
  setText(els.totals, `${formatCost(session.totals.costUsd)} · ${plural(session.totals.runs, 'run')}${mode}`);
  const marks = markElements(session);
  // Redrawn only when they change, so a screen reader is not told the same thing again.
  if (els.marks.textContent !== marks.map((m) => m.textContent).join('')) replaceChildren(els.marks, marks);
}

/** "(2) name · Claude Remote" while two answers wait (in any session), "● name" while it runs: a tab says what needs you. */
export function pageTitle(session: SessionView | undefined, running: boolean, waiting: number): string {
  const prefix = waiting > 0 ? `(${waiting}) ` : running ? '● ' : '';
  return `${prefix}${session ? `${session.name} · ` : ''}Claude Remote`;
}
