/** Limits enforced at every door. Shared with the web app so it can warn early. */
export const MAX_PROMPT_BYTES = 100 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_WS_MESSAGE_BYTES = 256 * 1024;
export const MAX_NAME_CHARS = 200;
export const MAX_CLIENT_REQUEST_ID_CHARS = 128;
/** Event streams and WebSockets one client may hold open at once (429 past it). */
export const MAX_STREAMS_PER_CLIENT = 32;
/** Files attached to one prompt (413 past it); each at most MAX_ATTACHMENT_MB (config, default 5). */
export const MAX_ATTACHMENTS = 10;
/** A session's changes: the diff is cut (between files) past this. */
export const MAX_DIFF_BYTES = 1024 * 1024;
/** A text file shown by the file browser: only this much is read. */
export const MAX_TEXT_VIEW_BYTES = 1024 * 1024;

/**
 * How large a body (or WebSocket frame) that carries attachments may be:
 * the usual JSON, plus each attachment's base64 (4 bytes for 3) with room
 * for its name and type. Past it: 413 (close 1009 on a socket).
 */
export function attachmentsBodyBytes(maxAttachmentBytes: number): number {
  return MAX_BODY_BYTES + MAX_ATTACHMENTS * (Math.ceil(maxAttachmentBytes / 3) * 4 + 4096);
}
