/**
 * The read-only file browser's view of a session folder: what a file is
 * (from its name), a text file's text, and how a file may be served. Paths
 * come here already resolved by `resolveInside` (paths.ts): real paths,
 * inside the folder.
 */
import { open, stat } from 'node:fs/promises';
import { basename, extname } from 'node:path';
import { MAX_TEXT_VIEW_BYTES } from '../protocol/limits.js';
import { decodeText } from '../protocol/text.js';
import type { FileKind, FileText } from '../protocol/workspace.js';
import { AppError } from './errors.js';

/** Images a browser shows in an <img>; served inline with their type. SVG is not one: it can hold script. */
const IMAGE_TYPES: Record<string, string> = {
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.bmp': 'image/bmp',
  '.ico': 'image/x-icon',
};

/** Extensions of text files, with the language a highlighter knows them by. */
const LANGUAGES: Record<string, string> = {
  '.ts': 'typescript', '.tsx': 'typescript', '.mts': 'typescript', '.cts': 'typescript',
  '.js': 'javascript', '.jsx': 'javascript', '.mjs': 'javascript', '.cjs': 'javascript',
  '.json': 'json', '.jsonc': 'json', '.md': 'markdown', '.markdown': 'markdown',
  '.py': 'python', '.rb': 'ruby', '.go': 'go', '.rs': 'rust', '.java': 'java', '.kt': 'kotlin',
  '.swift': 'swift', '.c': 'c', '.h': 'c', '.cc': 'cpp', '.cpp': 'cpp', '.hpp': 'cpp', '.cs': 'csharp',
  '.php': 'php', '.lua': 'lua', '.sh': 'bash', '.bash': 'bash', '.zsh': 'bash', '.fish': 'bash',
  '.yml': 'yaml', '.yaml': 'yaml', '.toml': 'ini', '.ini': 'ini', '.cfg': 'ini', '.env': 'ini',
  '.html': 'xml', '.htm': 'xml', '.xml': 'xml', '.svg': 'xml', '.vue': 'xml',
  '.css': 'css', '.scss': 'scss', '.less': 'less', '.sql': 'sql', '.graphql': 'graphql',
  '.dockerfile': 'dockerfile', '.diff': 'diff', '.patch': 'diff', '.txt': 'plaintext', '.log': 'plaintext',
  '.csv': 'plaintext', '.lock': 'plaintext',
};

const NAMED_LANGUAGES: Record<string, string> = {
  dockerfile: 'dockerfile',
  makefile: 'makefile',
  gnumakefile: 'makefile',
  '.gitignore': 'plaintext',
  '.gitattributes': 'plaintext',
  '.editorconfig': 'ini',
  '.npmrc': 'ini',
  '.env': 'ini',
  '.env.example': 'ini',
  license: 'plaintext',
  readme: 'plaintext',
};

/** What a file is, judged by its name: the listing says it, the browser chooses how to show it. */
export function fileKind(name: string): { kind: FileKind; mediaType: string; language?: string | undefined } {
  const ext = extname(name).toLowerCase();
  const image = IMAGE_TYPES[ext];
  if (image) return { kind: 'image', mediaType: image };
  const language = LANGUAGES[ext] ?? NAMED_LANGUAGES[name.toLowerCase()];
  if (language) return { kind: 'text', mediaType: ext === '.json' ? 'application/json' : 'text/plain', language };
  return { kind: 'binary', mediaType: 'application/octet-stream' };
}

/**
 * A text file's text, at most MAX_TEXT_VIEW_BYTES of it (cut at a line end,
 * so no character is split). A file with a NUL byte or that is not UTF-8 is
 * not text: 415, the browser offers it as a download.
 */
export async function readText(realPath: string, relPath: string): Promise<FileText> {
  const info = await stat(realPath);
  if (!info.isFile()) throw new AppError('bad_request', `${relPath} is not a file.`);
  const handle = await open(realPath, 'r');
  let bytes: Buffer;
  try {
    const buffer = Buffer.alloc(Math.min(info.size, MAX_TEXT_VIEW_BYTES));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    bytes = buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
  const truncated = info.size > bytes.length;
  if (truncated) {
    const lastNewline = bytes.lastIndexOf(0x0a);
    if (lastNewline >= 0) bytes = bytes.subarray(0, lastNewline + 1);
  }
  const notText = () => new AppError('unsupported_media_type', `${relPath} is not a text file; download it instead.`);
  const text = decodeText(bytes);
  if (text === undefined) throw notText();
  const { mediaType, language } = fileKind(basename(realPath));
  return {
    path: relPath,
    size: info.size,
    mediaType: mediaType === 'application/octet-stream' ? 'text/plain' : mediaType,
    ...(language && language !== 'plaintext' ? { language } : {}),
    text,
    truncated,
  };
}

/** How a file is served: images inline with their type (unless a download is asked for), the rest as a download. */
export function servingOf(name: string, download: boolean): { contentType: string; inline: boolean } {
  const { kind, mediaType } = fileKind(name);
  if (kind === 'image' && !download) return { contentType: mediaType, inline: true };
  return { contentType: 'application/octet-stream', inline: false };
}
