/**
 * The files a prompt carried, under its text: images as thumbnails (each a
 * link to the full picture), text files as chips that download them. They
 * are read from the session folder, where the server saved them
 * (`attachments/<name>`); a file deleted since shows as its name only.
 */
import type { AttachmentInfo } from '../../../server/protocol/workspace.js';
import { h } from '../../dom.js';
import { megabytes } from '../../workspace/attachments.js';

/** A thumbnail's height; the estimate of a run's height counts on it (estimates.ts). */
export const THUMB_PX = 72;

export function renderPromptFiles(list: HTMLElement, files: readonly AttachmentInfo[] | undefined, url: (path: string, download: boolean) => string): void {
  list.hidden = !files?.length;
  list.replaceChildren(...(files ?? []).map((file) => h('li', {}, [file.kind === 'image' ? thumbnail(file, url) : chip(file, url)])));
}

function thumbnail(file: AttachmentInfo, url: (path: string, download: boolean) => string): HTMLElement {
  const img = h('img', { src: url(file.path, false), alt: file.name, height: String(THUMB_PX), loading: 'lazy', decoding: 'async' });
  const link = h('a', { href: url(file.path, false), target: '_blank', rel: 'noopener', class: 'prompt-thumb', title: file.name }, [img]);
  img.addEventListener('error', () => link.replaceWith(chip(file, url)));
  return link;
}

function chip(file: AttachmentInfo, url: (path: string, download: boolean) => string): HTMLElement {
  return h('a', { href: url(file.path, true), download: file.name, class: 'prompt-file' }, [file.name, h('span', { class: 'muted' }, [` · ${megabytes(file.size)}`])]);
}
