/**
 * Files attached to a prompt. All of them are checked before anything is
 * kept (count and size: 413; type: 415; bad base64: 400), then saved into the
 * session folder under `attachments/`, where they outlive a restart of the
 * server with the queued prompt that names them. When the prompt runs, text
 * files are named in it (Claude reads them with its tools) and images are
 * read back and sent as image content blocks of the user message.
 */
import { constants } from 'node:fs';
import { mkdir, open, readFile, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { MAX_ATTACHMENTS } from '../protocol/limits.js';
import { isUtf8Text } from '../protocol/text.js';
import { IMAGE_MEDIA_TYPES, TEXT_MEDIA_TYPES, type Attachment, type AttachmentInfo } from '../protocol/workspace.js';
import type { UserContent } from './cli/stdin.js';
import { AppError } from './errors.js';
import { isInside, resolveInside } from './paths.js';

export const ATTACHMENTS_FOLDER = 'attachments';

interface Checked {
  name: string;
  mediaType: string;
  kind: AttachmentInfo['kind'];
  bytes: Buffer;
}

/** Attachments saved for a prompt; `undo` takes them back when the prompt is not queued after all. */
export interface SavedAttachments {
  infos: AttachmentInfo[];
  undo(): Promise<void>;
}

const IMAGE_TYPES: ReadonlySet<string> = new Set(IMAGE_MEDIA_TYPES);
const TEXT_TYPES: ReadonlySet<string> = new Set(TEXT_MEDIA_TYPES);

/** Every check, before anything is written. Throws the first refusal. */
export function checkAttachments(items: readonly Attachment[], maxBytes: number): Checked[] {
  if (items.length > MAX_ATTACHMENTS) {
    throw new AppError('payload_too_large', `${items.length} files are attached; at most ${MAX_ATTACHMENTS} may go with one prompt.`);
  }
  return items.map((item) => checkOne(item, maxBytes));
}

function checkOne(item: Attachment, maxBytes: number): Checked {
  const mediaType = (item.mediaType.split(';')[0] ?? '').trim().toLowerCase();
  const kind = IMAGE_TYPES.has(mediaType) ? 'image' : mediaType.startsWith('text/') || TEXT_TYPES.has(mediaType) ? 'text' : undefined;
  if (kind === undefined) {
    throw new AppError(
      'unsupported_media_type',
      `${item.name} is ${mediaType || 'of no type'}: attach images (${IMAGE_MEDIA_TYPES.join(', ')}) or text files.`,
    );
  }
  // A data: URL (what a browser's FileReader gives) is its base64 after the comma.
  const base64 = item.data.replace(/^data:[^,]*;base64,/, '').replace(/\s+/g, '');
  const size = Math.floor((base64.length * 3) / 4) - (base64.endsWith('==') ? 2 : base64.endsWith('=') ? 1 : 0);
  if (size > maxBytes) {
    throw new AppError('payload_too_large', `${item.name} is ${mb(size)}; an attached file may be at most ${mb(maxBytes)} (MAX_ATTACHMENT_MB).`);
  }
  if (base64.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(base64)) {
    throw new AppError('validation_failed', `${item.name}: data is not base64.`);
  }
  const bytes = Buffer.from(base64, 'base64');
  if (kind === 'image' && !looksLike(mediaType, bytes)) {
    throw new AppError('unsupported_media_type', `${item.name} does not look like ${mediaType} (its first bytes say otherwise).`);
  }
  if (kind === 'text' && !isUtf8Text(bytes)) {
    throw new AppError('unsupported_media_type', `${item.name} is not UTF-8 text, though its type is ${mediaType}.`);
  }
  return { name: item.name, mediaType, kind, bytes };
}

function mb(bytes: number): string {
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** The signature every file of the type starts with (the Messages API refuses an image whose bytes and type disagree). */
function looksLike(mediaType: string, b: Buffer): boolean {
  switch (mediaType) {
    case 'image/png':
      return b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    case 'image/jpeg':
      return b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;
    case 'image/gif':
      return ['GIF87a', 'GIF89a'].includes(b.subarray(0, 6).toString('latin1'));
    case 'image/webp':
      return b.subarray(0, 4).toString('latin1') === 'RIFF' && b.subarray(8, 12).toString('latin1') === 'WEBP';
    default:
      return false;
  }
}

/** A file name that is one plain name: no folders, no leading dots, no control or odd characters. */
export function safeName(name: string): string {
  const last = name.split(/[\\/]/).pop() ?? '';
  const clean = last
    .replace(/[^\p{L}\p{N}._\- ()]/gu, '_')
    .replace(/^[.\s]+/, '')
    .trim();
  if (clean === '') return 'attachment';
  if (clean.length <= 100) return clean;
  const ext = extname(clean).slice(0, 20);
  return clean.slice(0, 100 - ext.length) + ext;
}

/**
 * Writes checked attachments into `folder/attachments/`. A name already
 * there gets a number (`shot-2.png`): nothing is overwritten, and a link
 * planted under an attachment's name is not followed (O_EXCL).
 */
export async function saveAttachments(folder: string, checked: readonly Checked[]): Promise<SavedAttachments> {
  const written: string[] = [];
  const undo = async () => {
    await Promise.all(written.map((path) => unlink(path).catch(() => undefined)));
  };
  if (checked.length === 0) return { infos: [], undo };
  const dir = join(folder, ATTACHMENTS_FOLDER);
  await mkdir(dir, { recursive: true }).catch((err: unknown) => {
    throw new AppError('path_not_allowed', 'attachments/ in the session folder is not a folder files can be saved in.', { cause: err });
  });
  // `attachments` may be a link someone made: it must still lead inside the folder.
  const realDir = resolveInside(folder, ATTACHMENTS_FOLDER);
  if (!isInside(folder, realDir)) throw new AppError('path_not_allowed', 'attachments/ leads outside the session folder.');
  const infos: AttachmentInfo[] = [];
  try {
    for (const item of checked) {
      const name = await writeNew(realDir, safeName(item.name), item.bytes, written);
      infos.push({ name: item.name, mediaType: item.mediaType, size: item.bytes.length, kind: item.kind, path: `${ATTACHMENTS_FOLDER}/${name}` });
    }
  } catch (err) {
    await undo();
    throw err;
  }
  return { infos, undo };
}

async function writeNew(dir: string, name: string, bytes: Buffer, written: string[]): Promise<string> {
  const ext = extname(name);
  const stem = name.slice(0, name.length - ext.length);
  for (let n = 1; n <= 1000; n++) {
    const candidate = n === 1 ? name : `${stem}-${n}${ext}`;
    const path = join(dir, candidate);
    let handle;
    try {
      handle = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw err;
    }
    written.push(path);
    try {
      await handle.writeFile(bytes);
    } finally {
      await handle.close();
    }
    return candidate;
  }
  throw new AppError('conflict', `attachments/ already holds a thousand files named like ${name}.`);
}

/**
 * The content of the user message that starts a run: its images (read back
 * from the session folder, checked to be still inside it), then the prompt,
 * which names the text files. Throws when an image is gone.
 */
export async function messageContent(folder: string, prompt: string, attachments: readonly AttachmentInfo[] | undefined): Promise<UserContent> {
  if (!attachments?.length) return prompt;
  const blocks: Exclude<UserContent, string> = [];
  for (const a of attachments.filter((x) => x.kind === 'image')) {
    let data: Buffer;
    try {
      data = await readFile(resolveInside(folder, a.path));
    } catch {
      throw new AppError('file_not_found', `The attached image ${a.path} is no longer in the session folder.`);
    }
    blocks.push({ type: 'image', source: { type: 'base64', media_type: a.mediaType, data: data.toString('base64') } });
  }
  const texts = attachments.filter((x) => x.kind === 'text').map((x) => x.path);
  const named = texts.length ? `${prompt}${prompt.trim() ? '\n\n' : ''}Attached files (in this folder): ${texts.join(', ')}` : prompt;
  if (named.trim() !== '') blocks.push({ type: 'text', text: named });
  return blocks;
}
