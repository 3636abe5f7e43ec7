/**
 * The open session's workspace: its branch in the header, and the buttons
 * that open its Changes and Files pages. An open Changes page reads the
 * changes again when a run of its session finishes. The pages are a chunk
 * of their own, loaded at the first click.
 */
import type { ServerEvent, SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';
import type { ChangesPage } from '../views/workspace/changes.js';

export interface WorkspaceElements {
  branch: HTMLElement;
  changes: HTMLButtonElement;
  files: HTMLButtonElement;
}

export interface Workspace {
  render(session: SessionView | undefined): void;
  /** Every event the app hears (run.finished refreshes an open Changes page). */
  onEvent(event: ServerEvent): void;
}

export function createWorkspace(els: WorkspaceElements, selected: () => SessionView | undefined, error: (err: unknown) => void): Workspace {
  let changesPage: ChangesPage | undefined;
  const pages = () => import('../views/workspace/pages.js');
  els.changes.addEventListener('click', () => {
    const session = selected();
    if (!session) return;
    pages().then(({ openChangesPage }) => {
      changesPage = openChangesPage(session, () => (changesPage = undefined));
    }, error);
  });
  els.files.addEventListener('click', () => {
    const session = selected();
    if (session) pages().then(({ openFilesPage }) => openFilesPage(session, () => undefined), error);
  });
  return {
    render(session) {
      const worktree = session?.worktree;
      els.branch.hidden = !worktree;
      if (!worktree) return;
      if (els.branch.dataset.branch !== worktree.branch) {
        els.branch.dataset.branch = worktree.branch;
        els.branch.replaceChildren(h('span', { class: 'visually-hidden' }, ['Branch: ']), worktree.branch);
      }
      els.branch.title = `A git worktree of its own, from ${worktree.baseRef}: ${worktree.path}`;
    },
    onEvent(event) {
      if (event.type === 'run.finished' && changesPage?.sessionId === event.sessionId) changesPage.refresh();
    },
  };
}
