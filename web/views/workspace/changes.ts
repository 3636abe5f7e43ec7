/**
 * The Changes page of a session: what its runs changed in its folder, as git
 * sees it (the working tree against HEAD, or a worktree against the commit
 * it started from). A list of files with their status and counts; each file
 * opens to its diff, hunk by hunk. It reads the changes again after each run
 * of the session finishes (`refresh`), keeping the files that were open.
 */
import type { FileChange } from '../../../server/protocol/workspace.js';
import { h } from '../../dom.js';
import { plural } from '../../format.js';
import { changes as loadChanges } from '../../net/api.js';
import { diffsByPath, type FileDiff } from '../../workspace/diff.js';
import { renderFileDiff } from './diff-view.js';
import { errorText, note, openPanel } from './panel.js';

export interface ChangesPage {
  readonly sessionId: string;
  /** Reads the changes again (after a run finished); the open files stay open. */
  refresh(): void;
}

const STATUS_WORDS: Record<FileChange['status'], string> = {
  added: 'added',
  modified: 'modified',
  deleted: 'deleted',
  renamed: 'renamed',
  copied: 'copied',
  typechange: 'type changed',
  untracked: 'new',
};

export function openChangesPage(session: { id: string; name: string }, onClose: () => void): ChangesPage {
  const panel = openPanel('Changes', 'changes-page', onClose);
  const refreshButton = h('button', { type: 'button', class: 'ghost small' }, ['Refresh']);
  const wrap = h('button', { type: 'button', class: 'ghost small toggle', 'aria-pressed': 'false' }, ['Wrap lines']);
  panel.tools.append(refreshButton, wrap);
  wrap.addEventListener('click', () => {
    const on = wrap.getAttribute('aria-pressed') !== 'true';
    wrap.setAttribute('aria-pressed', String(on));
    panel.dialog.classList.toggle('wrap-lines', on);
  });
  const open = new Set<string>();
  let generation = 0;

  const refresh = () => {
    const mine = ++generation;
    panel.dialog.setAttribute('aria-busy', 'true');
    if (!panel.body.hasChildNodes()) panel.body.append(note('Reading the changes…'));
    loadChanges(session.id).then(
      (answer) => {
        if (mine !== generation) return;
        panel.body.replaceChildren(...(answer.isGitRepo ? changesView(answer, open) : [notGit()]));
      },
      (err: unknown) => {
        if (mine === generation) panel.body.replaceChildren(note(`The changes could not be read: ${errorText(err)}`, 'error'));
      },
    ).finally(() => {
      if (mine === generation) panel.dialog.removeAttribute('aria-busy');
    });
  };
  refreshButton.addEventListener('click', refresh);
  refresh();
  return { sessionId: session.id, refresh };
}

function notGit(): HTMLElement {
  return h('div', { class: 'panel-empty' }, [
    h('p', {}, [h('strong', {}, ['Not a git repository.'])]),
    h('p', { class: 'muted' }, [
      "This session's folder is not in a git repository, so there is nothing to compare its files with. The Files page shows what is in it.",
    ]),
  ]);
}

type GitChanges = Extract<Awaited<ReturnType<typeof loadChanges>>, { isGitRepo: true }>;

function changesView(answer: GitChanges, open: Set<string>): HTMLElement[] {
  const added = answer.files.reduce((n, f) => n + f.additions, 0);
  const deleted = answer.files.reduce((n, f) => n + f.deletions, 0);
  const against = answer.baseRef ?? 'HEAD';
  const summary = h('p', { class: 'changes-summary' }, [
    answer.branch ? h('span', { class: 'branch' }, [answer.branch]) : null,
    ` ${plural(answer.files.length, 'file')} changed against `,
    h('code', {}, [against]),
    answer.files.length > 0 ? h('span', { class: 'counts' }, [h('span', { class: 'adds' }, [`+${added}`]), ' ', h('span', { class: 'dels' }, [`−${deleted}`])]) : null,
  ]);
  const parts: HTMLElement[] = [summary];
  if (answer.truncated) {
    parts.push(h('p', { class: 'changes-truncated', role: 'note' }, [answer.note ?? 'The diff was too large and was cut: some files show no lines.']));
  }
  if (answer.files.length === 0) {
    parts.push(h('p', { class: 'panel-note muted' }, ['No changes yet: the folder matches ', h('code', {}, [against]), '.']));
    return parts;
  }
  const diffs = diffsByPath(answer.diff);
  parts.push(h('ul', { class: 'change-list', 'aria-label': 'Changed files' }, answer.files.map((f) => h('li', {}, [fileItem(f, diffs.get(f.path), open)]))));
  return parts;
}

/** A file: its row opens to its diff, drawn when first opened (a large diff costs nothing until then). */
function fileItem(file: FileChange, diff: FileDiff | undefined, open: Set<string>): HTMLElement {
  const body = h('div', { class: 'change-diff' });
  const counts = file.binary
    ? h('span', { class: 'counts muted' }, ['binary'])
    : h('span', { class: 'counts' }, [h('span', { class: 'adds' }, [`+${file.additions}`]), ' ', h('span', { class: 'dels' }, [`−${file.deletions}`])]);
  const details = h('details', { class: 'change', 'data-status': file.status }, [
    h('summary', {}, [
      h('span', { class: 'change-status' }, [STATUS_WORDS[file.status]]),
      h('span', { class: 'change-path' }, [file.oldPath ? `${file.oldPath} → ${file.path}` : file.path]),
      counts,
    ]),
    body,
  ]) as HTMLDetailsElement;
  const draw = () => {
    if (details.open && !body.hasChildNodes()) body.append(...renderFileDiff(diff, file.binary === true));
  };
  details.addEventListener('toggle', () => {
    if (details.open) open.add(file.path);
    else open.delete(file.path);
    draw();
  });
  if (open.has(file.path)) {
    details.open = true;
    draw();
  }
  return details;
}
