/**
 * The Files page: the session's folder, read-only. Breadcrumbs above a
 * folder's entries (folders first, with sizes); a file opens in place: text
 * with syntax highlighting (the highlighter is its own chunk, loaded at the
 * first text file), an image as an <img> of .../files/raw, anything else as
 * a download. Paths are the server's to check: it never serves outside the
 * session's folder.
 */
import type { StorageEntry } from '../../../server/protocol/responses.js';
import { h } from '../../dom.js';
import { ApiError, fileText, fileUrl, listStorage } from '../../net/api.js';
import { megabytes } from '../../workspace/attachments.js';
import { errorText, note, openPanel } from './panel.js';

type Shown = { kind: 'dir'; path: string } | { kind: 'file'; path: string; entry: StorageEntry };

const join = (dir: string, name: string) => (dir === '' ? name : `${dir}/${name}`);

export function openFilesPage(session: { id: string; name: string }, onClose: () => void): void {
  const panel = openPanel('Files', 'files-page', onClose);
  const crumbs = h('ol', { class: 'crumbs' });
  const where = h('nav', { class: 'crumbs-nav', 'aria-label': 'Where you are' }, [crumbs]);
  const content = h('div', { class: 'files-content' });
  panel.body.append(where, content);
  let generation = 0;

  const show = (target: Shown) => {
    const mine = ++generation;
    renderCrumbs(crumbs, session.name, target.path, (path) => show({ kind: 'dir', path }));
    content.replaceChildren(note(target.kind === 'dir' ? 'Reading the folder…' : 'Reading the file…'));
    const done = (parts: HTMLElement[]) => {
      if (mine !== generation) return;
      content.replaceChildren(...parts);
      // The new content's heading takes focus, so a screen reader hears where it went.
      content.querySelector<HTMLElement>('[data-focus]')?.focus();
    };
    const failed = (err: unknown) => done([note(errorText(err), 'error')]);
    if (target.kind === 'dir') folderView(session.id, target.path, show).then(done, failed);
    else fileView(session.id, target.path, target.entry).then(done, failed);
  };
  show({ kind: 'dir', path: '' });
}

function renderCrumbs(list: HTMLElement, rootName: string, path: string, go: (path: string) => void): void {
  const pieces = path === '' ? [] : path.split('/');
  const items = [rootName, ...pieces].map((name, i) => {
    const target = pieces.slice(0, i).join('/');
    const last = i === pieces.length;
    return h('li', {}, [
      last ? h('span', { 'aria-current': 'location' }, [name]) : crumbButton(name, () => go(target)),
    ]);
  });
  list.replaceChildren(...items);
}

function crumbButton(name: string, onClick: () => void): HTMLButtonElement {
  const button = h('button', { type: 'button', class: 'link' }, [name]);
  button.addEventListener('click', onClick);
  return button;
}

const ORDER: Record<StorageEntry['type'], number> = { dir: 0, file: 1, link: 2, other: 3 };

async function folderView(sessionId: string, path: string, show: (target: Shown) => void): Promise<HTMLElement[]> {
  const listing = await listStorage(sessionId, path);
  const entries = [...listing.entries].sort((a, b) => ORDER[a.type] - ORDER[b.type] || a.name.localeCompare(b.name));
  const heading = h('h3', { class: 'visually-hidden', tabindex: '-1', 'data-focus': '' }, [path === '' ? 'The session folder' : `Folder ${path}`]);
  if (entries.length === 0) return [heading, note('This folder is empty.')];
  const rows = entries.map((entry) => {
    const target = join(path, entry.name);
    const size = entry.type === 'file' && entry.size !== undefined ? megabytes(entry.size) : '';
    const label = [
      h('span', { class: 'entry-icon', 'aria-hidden': 'true' }),
      h('span', { class: 'entry-name' }, [entry.type === 'dir' ? `${entry.name}/` : entry.name]),
      h('span', { class: 'entry-size muted' }, [size]),
    ];
    if (entry.type !== 'dir' && entry.type !== 'file') {
      return h('li', { class: 'entry', 'data-type': entry.type }, [h('span', { class: 'entry-row' }, [...label, h('span', { class: 'visually-hidden' }, [` (${entry.type === 'link' ? 'a link' : 'not a file'})`])])]);
    }
    const button = h('button', { type: 'button', class: 'entry-row' }, label);
    button.addEventListener('click', () => show(entry.type === 'dir' ? { kind: 'dir', path: target } : { kind: 'file', path: target, entry }));
    return h('li', { class: 'entry', 'data-type': entry.type, 'data-kind': entry.kind }, [button]);
  });
  return [heading, h('ul', { class: 'entries', 'aria-label': 'Files and folders' }, rows)];
}

async function fileView(sessionId: string, path: string, entry: StorageEntry): Promise<HTMLElement[]> {
  const name = entry.name;
  const download = h('a', { class: 'button-link', href: fileUrl(sessionId, path, true), download: name }, ['Download']);
  const head = h('div', { class: 'file-head' }, [
    h('h3', { tabindex: '-1', 'data-focus': '' }, [name]),
    h('span', { class: 'muted' }, [entry.size === undefined ? '' : megabytes(entry.size)]),
    download,
  ]);
  if (entry.kind === 'image') {
    const img = h('img', { src: fileUrl(sessionId, path), alt: name, decoding: 'async' });
    const box = h('div', { class: 'image-view' }, [img]);
    img.addEventListener('error', () => box.replaceChildren(note('The image could not be shown (too large, or not an image the browser reads): download it.')));
    return [head, box];
  }
  if (entry.kind === 'text') return [head, ...(await textView(sessionId, path))];
  // Judged binary by its name: offer to try it as text anyway (the server checks the bytes).
  const attempt = h('button', { type: 'button', class: 'small' }, ['Show as text']);
  const body = h('div', {}, [h('p', { class: 'muted' }, ['No preview for this kind of file: download it, or try it as text.']), attempt]);
  attempt.addEventListener('click', () => {
    attempt.disabled = true;
    textView(sessionId, path).then(
      (parts) => body.replaceChildren(...parts),
      (err: unknown) => body.replaceChildren(note(errorText(err), 'error')),
    );
  });
  return [head, body];
}

async function textView(sessionId: string, path: string): Promise<HTMLElement[]> {
  try {
    const [file, { renderCode }] = await Promise.all([fileText(sessionId, path), import('./code-view.js')]);
    const cut = file.truncated ? [h('p', { class: 'changes-truncated', role: 'note' }, [`Only the first ${megabytes(file.text.length)} is shown: download the file for the rest.`])] : [];
    return [...cut, renderCode(file.text, file.language)];
  } catch (err) {
    if (err instanceof ApiError && err.status === 415) return [note('This file is not text (it has NUL bytes or is not UTF-8): download it instead.')];
    throw err;
  }
}
