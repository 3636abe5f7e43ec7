/**
 * The new-session form: a name, a folder among the allowed roots (or one of
 * its own), optionally a new git worktree of that folder's repository from a
 * base ref, a model and a permission mode. The server decides whether the
 * folder is in a git repository; its refusal is shown as it worded it.
 */
import { PERMISSION_MODES, type PermissionMode } from '../../server/protocol/events.js';
import { h } from '../dom.js';
import { createSession, listFolders, listRoots, type NewSessionInput } from '../net/api.js';
import { chooseFolder } from '../views/dialogs.js';
import type { ActionContext } from './actions.js';

interface FormParts {
  root: HTMLSelectElement;
  cwd: HTMLInputElement;
  browse: HTMLButtonElement;
  mode: HTMLSelectElement;
  worktreeFields: HTMLElement;
  worktree: HTMLInputElement;
  baseRefRow: HTMLElement;
}

function partsOf(form: HTMLFormElement): FormParts {
  const q = <T extends Element>(selector: string) => {
    const el = form.querySelector<T>(selector);
    if (!el) throw new Error(`the new-session form has no ${selector}`);
    return el;
  };
  return {
    root: q('#new-root'),
    cwd: q('#new-cwd'),
    browse: q('#browse'),
    mode: q('#new-permission-mode'),
    worktreeFields: q('#worktree-fields'),
    worktree: q('#new-worktree'),
    baseRefRow: q('#base-ref-row'),
  };
}

export function wireNewSessionForm(form: HTMLFormElement, ctx: ActionContext & { focusMessage(): void }): void {
  const parts = partsOf(form);
  const { root, cwd, browse, mode, worktree } = parts;
  for (const m of PERMISSION_MODES) if (m !== 'default') mode.append(h('option', { value: m }, [m]));
  const folderRow = cwd.closest<HTMLElement>('.folder-row');
  // A path, "Browse…" and a worktree only mean something inside a chosen root.
  const sync = () => {
    if (folderRow) folderRow.hidden = root.value === '';
    parts.worktreeFields.hidden = root.value === '';
    parts.baseRefRow.hidden = root.value === '' || !worktree.checked;
  };
  listRoots().then(
    ({ roots }) => {
      for (const r of roots) root.append(h('option', { value: r }, [r]));
      sync();
    },
    () => sync(),
  );
  root.addEventListener('change', () => {
    cwd.value = '';
    sync();
  });
  worktree.addEventListener('change', sync);
  browse.addEventListener('click', () => {
    if (!root.value) return;
    chooseFolder(root.value, listFolders).then(
      (picked) => {
        if (picked !== undefined) cwd.value = picked;
      },
      (err: unknown) => ctx.error(err),
    );
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (button) button.disabled = true;
    createSession(readForm(form, root.value))
      .then((session) => {
        ctx.upsert(session);
        form.reset();
        sync();
        ctx.select(session.id);
        ctx.focusMessage();
      })
      .catch((err: unknown) => ctx.error(err))
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}

/** What the form asks for, as the API takes it. */
function readForm(form: HTMLFormElement, rootValue: string): NewSessionInput {
  const data = new FormData(form);
  const text = (name: string) => String(data.get(name) ?? '').trim();
  const folder = text('cwd') || rootValue || undefined;
  const permissionMode = text('permissionMode');
  const worktree = rootValue !== '' && data.get('worktree') !== null;
  return {
    name: text('name') || undefined,
    // A path typed relative to the chosen root is joined to it.
    cwd: folder && rootValue && !folder.startsWith('/') && !folder.startsWith('~') ? `${rootValue}/${folder}` : folder,
    model: text('model') || undefined,
    permissionMode: (PERMISSION_MODES as readonly string[]).includes(permissionMode) ? (permissionMode as PermissionMode) : undefined,
    worktree: worktree || undefined,
    baseRef: (worktree && text('baseRef')) || undefined,
  };
}
