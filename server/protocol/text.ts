/**
 * What counts as a text file, on the server and in the app alike: UTF-8
 * with no NUL byte. (Attachments saved as text, the file browser's text
 * view.) No dependency: the web app compiles this file too.
 */

/** The text of the bytes, or undefined when they are not a text file's. */
export function decodeText(bytes: Uint8Array): string | undefined {
  if (bytes.includes(0)) return undefined;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
}

export function isUtf8Text(bytes: Uint8Array): boolean {
  return decodeText(bytes) !== undefined;
}
