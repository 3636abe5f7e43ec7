/** Limits enforced at every door. Shared with the web app so it can warn early. */
export const MAX_PROMPT_BYTES = 100 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;
export const MAX_WS_MESSAGE_BYTES = 256 * 1024;
export const MAX_NAME_CHARS = 200;
export const MAX_CLIENT_REQUEST_ID_CHARS = 128;
/** Event streams and WebSockets one client may hold open at once (429 past it). */
export const MAX_STREAMS_PER_CLIENT = 32;
