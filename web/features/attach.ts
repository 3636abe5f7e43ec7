/**
 * Files attached to the next prompt: picked with the attach button (on a
 * phone: the photo library, the camera or files), pasted into the message
 * box, or dropped on the composer. Each is checked and read at once (a
 * refusal names the file and why), then shown in the tray above the box as a
 * thumbnail or a chip with a Remove button, until the prompt is sent. A
 * picture too large (a phone's photo) or of a type the API does not read is
 * made into a JPEG that fits, and the user is told.
 */
import { h } from '../dom.js';
import {
  kindOfType,
  megabytes,
  readAttachment,
  refusal,
  type PendingAttachment,
} from '../workspace/attachments.js';
import { fitImage } from '../workspace/fit-image.js';
import '../styles/attachments.css';

export interface AttachElements {
  button: HTMLButtonElement;
  input: HTMLInputElement;
  tray: HTMLElement;
  /** Where pasting files attaches them (the message box). */
  pasteTarget: HTMLElement;
  /** Where dropping files attaches them (the composer). */
  dropTarget: HTMLElement;
}

export interface AttachmentTray {
  /** The files ready to go with the next prompt. */
  pending(): readonly PendingAttachment[];
  /** Empties the tray (the prompt took them). */
  clear(): void;
  /** Puts files back (their prompt was refused), unless others were attached meanwhile. */
  restore(files: readonly PendingAttachment[]): void;
  setEnabled(enabled: boolean): void;
}

export interface AttachDeps {
  error(err: unknown): void;
  info(text: string): void;
  changed(): void;
  /** The most one file may weigh, as the server said (MAX_ATTACHMENT_MB). */
  maxBytes(): number;
}

export function createAttachmentTray(els: AttachElements, deps: AttachDeps): AttachmentTray {
  let files: PendingAttachment[] = [];
  /** Files being read: counted against the limit before they are in. */
  let reading = 0;
  const thumbnails = new Map<string, string>();

  const render = () => {
    for (const [id, url] of thumbnails) {
      if (files.some((f) => f.id === id)) continue;
      URL.revokeObjectURL(url);
      thumbnails.delete(id);
    }
    els.tray.replaceChildren(...files.map((f) => chip(f, thumbnails.get(f.id), () => remove(f.id))));
    els.tray.hidden = files.length === 0;
    deps.changed();
  };
  const remove = (id: string) => {
    files = files.filter((f) => f.id !== id);
    render();
    els.pasteTarget.focus();
  };
  const add = (list: Iterable<File>) => {
    for (const original of list) {
      const count = files.length + reading;
      const maxBytes = deps.maxBytes();
      const fit = needsFitting(original, maxBytes);
      // A picture to be made smaller is judged by what it will weigh, once fitted.
      const why = refusal(original.name || 'The pasted file', fit ? 0 : original.size, count, maxBytes);
      if (why) {
        deps.error(new Error(why));
        continue;
      }
      reading++;
      const id = crypto.randomUUID();
      (fit ? fitted(original, maxBytes, deps.info) : Promise.resolve(original))
        .then((file) =>
          readAttachment(file, id).then((read) => {
            if (read.kind === 'image') thumbnails.set(id, URL.createObjectURL(file));
            files = [...files, read];
            render();
          }),
        )
        .catch(deps.error)
        .finally(() => reading--);
    }
  };
  listen(els, add);
  return {
    pending: () => files,
    clear() {
      files = [];
      render();
    },
    restore(previous) {
      if (files.length > 0) return;
      files = [...previous];
      render();
    },
    setEnabled(enabled) {
      els.button.disabled = !enabled;
    },
  };
}

/** A picture the API would refuse (too large, or a type it does not read) that the browser may turn into one it takes. */
function needsFitting(file: File, maxBytes: number): boolean {
  return file.type.startsWith('image/') && file.type !== 'image/svg+xml' && (kindOfType(file.type) !== 'image' || file.size > maxBytes);
}

/** The picture made into a JPEG under the limit, saying so; or why not, with the limit. */
async function fitted(original: File, maxBytes: number, info: (text: string) => void): Promise<File> {
  const name = original.name || 'The pasted picture';
  try {
    const { file, width, height } = await fitImage(original, maxBytes);
    info(`${name} was turned into a ${width}×${height} JPEG of ${megabytes(file.size)}, so that Claude can take it.`);
    return file;
  } catch (err) {
    const over = refusal(name, original.size, 0, maxBytes);
    throw new Error(`${over ? `${over} ` : ''}${err instanceof Error ? err.message : String(err)}`);
  }
}

function listen(els: AttachElements, add: (files: Iterable<File>) => void): void {
  els.button.addEventListener('click', () => els.input.click());
  els.input.addEventListener('change', () => {
    if (els.input.files) add(Array.from(els.input.files));
    // The same file may be picked again after it was removed.
    els.input.value = '';
  });
  els.pasteTarget.addEventListener('paste', (e) => {
    const pasted = e.clipboardData ? Array.from(e.clipboardData.files) : [];
    if (pasted.length === 0 || els.button.disabled) return;
    // Text pasted with the files (a copied image's name) stays out of the message.
    e.preventDefault();
    add(pasted);
  });
  els.dropTarget.addEventListener('dragover', (e) => {
    if (!e.dataTransfer?.types.includes('Files') || els.button.disabled) return;
    e.preventDefault();
    els.dropTarget.classList.add('dropping');
  });
  els.dropTarget.addEventListener('dragleave', () => els.dropTarget.classList.remove('dropping'));
  els.dropTarget.addEventListener('drop', (e) => {
    els.dropTarget.classList.remove('dropping');
    if (!e.dataTransfer?.files.length || els.button.disabled) return;
    e.preventDefault();
    add(Array.from(e.dataTransfer.files));
  });
}

/** A file in the tray: its thumbnail (images) or its name, its size, and Remove. */
function chip(file: PendingAttachment, thumbnail: string | undefined, onRemove: () => void): HTMLElement {
  const remove = h('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${file.name}`, title: `Remove ${file.name}` }, ['×']);
  remove.addEventListener('click', onRemove);
  return h('li', { class: 'chip', 'data-kind': file.kind }, [
    thumbnail ? h('img', { src: thumbnail, alt: '', class: 'chip-thumb' }) : h('span', { class: 'chip-icon', 'aria-hidden': 'true' }),
    h('span', { class: 'chip-name', title: file.name }, [file.name]),
    h('span', { class: 'chip-size' }, [megabytes(file.size)]),
    remove,
  ]);
}
