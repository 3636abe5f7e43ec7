/**
 * Small modal dialogs on <dialog>: focus is trapped and restored by the
 * browser, Esc cancels, and the buttons have plain names.
 */
import type { Worktree } from '../../server/protocol/workspace.js';
import { h } from '../dom.js';

function open<T>(build: (close: (value: T) => void) => HTMLElement[], cancelValue: T, label: string): Promise<T> {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-label': label }) as HTMLDialogElement;
    let settled = false;
    const close = (value: T) => {
      if (settled) return;
      settled = true;
      dialog.close();
      dialog.remove();
      resolve(value);
    };
    dialog.append(...build(close));
    dialog.addEventListener('cancel', (e) => {
      e.preventDefault();
      close(cancelValue);
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

export function confirmDialog(title: string, text: string, confirmLabel: string, cancelLabel = 'Keep it'): Promise<boolean> {
  return open<boolean>(
    (close) => {
      const yes = h('button', { type: 'button', class: 'danger' }, [confirmLabel]);
      const no = h('button', { type: 'button' }, [cancelLabel]);
      yes.addEventListener('click', () => close(true));
      no.addEventListener('click', () => close(false));
      queueMicrotask(() => no.focus());
      return [h('h2', {}, [title]), h('p', {}, [text]), h('div', { class: 'row dialog-actions' }, [no, yes])];
    },
    false,
    title,
  );
}

/**
 * Deleting a session; one with a worktree also asks whether to remove the
 * worktree's folder (git keeps its branch, so no committed work is lost).
 * Undefined when the user keeps the session.
 */
export function confirmDelete(name: string, worktree: Worktree | undefined): Promise<{ purge: boolean } | undefined> {
  const title = `Delete “${name}”?`;
  return open<{ purge: boolean } | undefined>(
    (close) => {
      const purge = h('input', { type: 'checkbox', id: 'dialog-purge', 'aria-describedby': 'dialog-purge-hint' }) as HTMLInputElement;
      const yes = h('button', { type: 'button', class: 'danger' }, ['Delete']);
      const no = h('button', { type: 'button' }, ['Keep it']);
      yes.addEventListener('click', () => close({ purge: purge.checked }));
      no.addEventListener('click', () => close(undefined));
      queueMicrotask(() => no.focus());
      const text = worktree
        ? 'Its run is stopped, its queue dropped and its history forgotten.'
        : 'Its run is stopped, its queue dropped and its history forgotten. The folder and its files stay on disk.';
      const option = worktree
        ? h('div', { class: 'purge-option' }, [
            h('label', { class: 'check', for: 'dialog-purge' }, [purge, 'Also remove the worktree']),
            h('p', { id: 'dialog-purge-hint', class: 'muted hint' }, [
              'Its folder goes; the branch ',
              h('code', {}, [worktree.branch]),
              ' is kept, so no committed work is lost. Git refuses while the worktree has uncommitted changes.',
            ]),
          ])
        : null;
      const actions = h('div', { class: 'row dialog-actions' }, [no, yes]);
      return option ? [h('h2', {}, [title]), h('p', {}, [text]), option, actions] : [h('h2', {}, [title]), h('p', {}, [text]), actions];
    },
    undefined,
    title,
  );
}

export function askText(title: string, label: string, initial: string): Promise<string | undefined> {
  return open<string | undefined>(
    (close) => {
      const input = h('input', { id: 'dialog-input', value: initial, maxlength: '200', autocomplete: 'off' }) as HTMLInputElement;
      const form = h('form', { method: 'dialog' }, [
        h('h2', {}, [title]),
        h('label', { for: 'dialog-input' }, [label]),
        input,
        h('div', { class: 'row dialog-actions' }, [
          h('button', { type: 'button', 'data-cancel': '' }, ['Cancel']),
          h('button', { type: 'submit', class: 'primary' }, ['Save']),
        ]),
      ]);
      form.addEventListener('submit', (e) => {
        e.preventDefault();
        const value = input.value.trim();
        close(value === '' ? undefined : value);
      });
      form.querySelector('[data-cancel]')?.addEventListener('click', () => close(undefined));
      queueMicrotask(() => input.select());
      return [form];
    },
    undefined,
    title,
  );
}

/** Lets the user walk the folders inside a root and pick one. */
export function chooseFolder(
  root: string,
  list: (path: string) => Promise<{ path: string; folders: string[] }>,
): Promise<string | undefined> {
  return open<string | undefined>(
    (close) => {
      const heading = h('h2', {}, ['Choose a folder']);
      const where = h('p', { class: 'muted folder-path' }, [root]);
      const items = h('ul', { class: 'folder-list', 'aria-label': 'Folders' });
      let current = root;
      const show = async (path: string) => {
        try {
          const result = await list(path);
          current = result.path;
          where.textContent = current;
          const up = current !== root ? [h('li', {}, [h('button', { type: 'button', 'data-up': '' }, ['↑ Up'])])] : [];
          items.replaceChildren(
            ...up,
            ...result.folders.map((name) => h('li', {}, [h('button', { type: 'button', 'data-name': name }, [name])])),
          );
          if (result.folders.length === 0 && up.length === 0) items.append(h('li', { class: 'muted' }, ['No folders here.']));
        } catch (err) {
          items.replaceChildren(h('li', { class: 'muted' }, [err instanceof Error ? err.message : String(err)]));
        }
      };
      items.addEventListener('click', (e) => {
        const button = (e.target as Element).closest('button');
        if (!button) return;
        if (button.hasAttribute('data-up')) void show(current.replace(/\/[^/]+\/?$/, '') || root);
        else if (button.dataset.name) void show(`${current.replace(/\/$/, '')}/${button.dataset.name}`);
      });
      const use = h('button', { type: 'button', class: 'primary' }, ['Use this folder']);
      const cancel = h('button', { type: 'button' }, ['Cancel']);
      use.addEventListener('click', () => close(current));
      cancel.addEventListener('click', () => close(undefined));
      void show(root);
      return [heading, where, items, h('div', { class: 'row dialog-actions' }, [cancel, use])];
    },
    undefined,
    'Choose a folder',
  );
}
