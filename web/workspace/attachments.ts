/**
 * Files the user attaches to a prompt, checked in the browser before they
 * are read or sent: the same rules the server applies (server/core/
 * attachments.ts), so a refusal comes at once, with the file's name, instead
 * of after uploading megabytes. The server checks again; its word is final.
 *
 * The type lists are the protocol's own (constants.ts, free of zod).
 */
import type { Attachment } from '../../server/protocol/workspace.js';
import { IMAGE_MEDIA_TYPES as IMAGE_TYPES, TEXT_MEDIA_TYPES as TEXT_TYPES } from '../../server/protocol/constants.js';
import { MAX_ATTACHMENTS } from '../../server/protocol/limits.js';
import { isUtf8Text } from '../../server/protocol/text.js';

/**
 * MAX_ATTACHMENT_MB's default, until the server's welcome says its own
 * setting (ServerLimits).
 */
export const DEFAULT_MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

export { MAX_ATTACHMENTS };

export type AttachmentKind = 'image' | 'text';

/** A file waiting in the composer: checked, read, ready to send. */
export interface PendingAttachment {
  id: string;
  name: string;
  mediaType: string;
  size: number;
  kind: AttachmentKind;
  /** base64, without a data: prefix. */
  data: string;
}

/** What a file is, from its type: an image the API takes, a text file by type, or to be judged by its bytes. */
export function kindOfType(mediaType: string): AttachmentKind | 'unknown' {
  const type = (mediaType.split(';')[0] ?? '').trim().toLowerCase();
  if ((IMAGE_TYPES as readonly string[]).includes(type)) return 'image';
  if (type.startsWith('text/') || (TEXT_TYPES as readonly string[]).includes(type)) return 'text';
  return 'unknown';
}

/** Why a file of this size cannot be added after `count` others, or undefined when it can. */
export function refusal(name: string, size: number, count: number, maxBytes: number): string | undefined {
  if (count >= MAX_ATTACHMENTS) return `At most ${MAX_ATTACHMENTS} files may go with one message; ${name} was left out.`;
  if (size > maxBytes) return `${name} is ${megabytes(size)}; a file may be at most ${megabytes(maxBytes)}.`;
  return undefined;
}

export function megabytes(bytes: number): string {
  return bytes < 1024 * 1024 ? `${Math.max(1, Math.round(bytes / 1024))} KB` : `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** UTF-8 text with no NUL byte: what the server saves as a text file (the protocol's rule). */
export { isUtf8Text };

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  const CHUNK = 0x8000;
  for (let i = 0; i < bytes.length; i += CHUNK) binary += String.fromCharCode(...bytes.subarray(i, i + CHUNK));
  return btoa(binary);
}

/**
 * Reads a file the user picked, pasted or dropped. Images the API takes go
 * as they are; any other file goes as text when its bytes are UTF-8 text
 * (a `.ts` file may come typed as video, a `.md` one untyped); anything else
 * is refused with a sentence naming it.
 */
export async function readAttachment(file: File, id: string): Promise<PendingAttachment> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  const byType = kindOfType(file.type);
  const name = file.name || (byType === 'image' ? `pasted.${file.type.split('/')[1] ?? 'png'}` : 'pasted.txt');
  if (byType === 'image') return { id, name, mediaType: file.type, size: bytes.length, kind: 'image', data: toBase64(bytes) };
  if (!isUtf8Text(bytes)) {
    const what = file.type.startsWith('image/') ? `a ${file.type.slice(6).toUpperCase()} image` : 'not text';
    throw new Error(`${name} is ${what}: attach PNG, JPEG, GIF or WebP images, or text files.`);
  }
  const mediaType = byType === 'text' ? file.type : 'text/plain';
  return { id, name, mediaType, size: bytes.length, kind: 'text', data: toBase64(bytes) };
}

/** The attachments of a submit, as the protocol has them. */
export function toWire(list: readonly PendingAttachment[]): Attachment[] {
  return list.map(({ name, mediaType, data }) => ({ name, mediaType, data }));
}
