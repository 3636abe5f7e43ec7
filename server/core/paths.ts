/**
 * Path rules. A session's folder must be inside one of the allowed roots (or
 * be a folder we made under DATA_DIR), and storage reads must stay inside the
 * session's folder. Both are checked on the real path, after symlinks, so a
 * link inside a root that points outside it is refused too.
 */
import { realpathSync, statSync } from 'node:fs';
import { lstat, readdir, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppError } from './errors.js';
import { fileKind } from './files.js';
import type { FileKind } from '../protocol/workspace.js';

/** True when `child` is `parent` or below it. Both must be absolute and normalised. */
export function isInside(parent: string, child: string): boolean {
  const rel = relative(parent, child);
  return rel === '' || (!rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel));
}

function hasDotDot(path: string): boolean {
  return path.split(/[\\/]+/).includes('..');
}

function refuse(message: string): never {
  throw new AppError('path_not_allowed', message);
}

/** Real paths of the configured roots; roots that do not exist are dropped. */
export function realRoots(roots: readonly string[]): string[] {
  const out: string[] = [];
  for (const root of roots) {
    try {
      out.push(realpathSync(resolve(root)));
    } catch {
      // A root that does not exist allows nothing.
    }
  }
  return out;
}

/**
 * Resolves a working folder the user asked for. Absolute, `~/…`, or relative
 * to the first allowed root. Must exist, be a directory, and be inside a root.
 *
 * A path outside the roots gets the same answer whether it exists or not, so
 * the API cannot be used to probe the rest of the disk.
 */
export function resolveCwd(input: string, roots: readonly string[]): string {
  if (input.includes('\0')) refuse('The folder path contains a NUL byte.');
  if (hasDotDot(input)) refuse('The folder path must not contain "..".');
  if (roots.length === 0) refuse('No allowed roots are configured (ALLOWED_ROOTS), so only own session folders can be used.');
  let path: string;
  if (input === '~' || input.startsWith('~/')) path = join(homedir(), input.slice(1));
  else if (isAbsolute(input)) path = input;
  else path = join(roots[0] as string, input);
  const outside = () => refuse(`The folder ${input} is outside the allowed roots (${roots.join(', ')}).`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    // Missing: say so only when its nearest existing folder is inside a root.
    return roots.some((root) => isInside(root, nearestExisting(path))) ? refuse(`The folder ${input} does not exist.`) : outside();
  }
  if (!roots.some((root) => isInside(root, real))) outside();
  if (!statSync(real).isDirectory()) refuse(`${input} is not a folder.`);
  return real;
}

/** The real path of the deepest existing folder on the way to `path`. */
function nearestExisting(path: string): string {
  for (let dir = dirname(resolve(path)); ; dir = dirname(dir)) {
    try {
      return realpathSync(dir);
    } catch {
      if (dirname(dir) === dir) return dir;
    }
  }
}

/**
 * A session's folder, checked again at the moment of use (a run, a storage
 * read): the folder may have been replaced by a link to somewhere else since
 * the session was made. Returns its real path; throws `path_not_allowed`.
 * Own folders must still be under DATA_DIR/sessions, others inside a root.
 */
export function recheckFolder(folder: string, allowed: readonly string[]): string {
  let real: string;
  try {
    real = realpathSync(folder);
  } catch {
    throw new AppError('file_not_found', `The session's folder ${folder} no longer exists.`);
  }
  if (!allowed.some((root) => isInside(root, real))) {
    refuse(`The session's folder ${folder} now leads outside the allowed roots (to a place this server may not use).`);
  }
  if (!statSync(real).isDirectory()) refuse(`The session's folder ${folder} is no longer a folder.`);
  return real;
}

/**
 * Resolves a path inside a session folder for the storage API. `relPath` is
 * relative to the folder; absolute paths, `..`, and symlinks that lead out are
 * refused. Returns the real path; a path that does not exist is a 404.
 */
export function resolveInside(folder: string, relPath: string): string {
  if (relPath.includes('\0')) refuse('The path contains a NUL byte.');
  if (isAbsolute(relPath) || /^[a-zA-Z]:/.test(relPath)) refuse('The path must be relative to the session folder.');
  if (hasDotDot(relPath)) refuse('The path must not contain "..".');
  const base = realpathSync(folder);
  let real: string;
  try {
    real = realpathSync(join(base, relPath));
  } catch {
    throw new AppError('file_not_found', `No file or folder ${relPath} in this session.`);
  }
  if (!isInside(base, real)) refuse(`The path ${relPath} leads outside the session folder.`);
  return real;
}

export interface FolderListing {
  path: string;
  folders: string[];
  truncated: boolean;
}

const MAX_FOLDERS = 500;

/** Sub-folders of a folder inside the roots, hidden ones and node_modules left out, sorted, at most 500. */
export async function listFolders(path: string, roots: readonly string[]): Promise<FolderListing> {
  const real = resolveCwd(path, roots);
  const entries = await readdir(real, { withFileTypes: true });
  const folders = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith('.') && e.name !== 'node_modules')
    .map((e) => e.name)
    .sort((a, b) => a.localeCompare(b));
  return { path: real, folders: folders.slice(0, MAX_FOLDERS), truncated: folders.length > MAX_FOLDERS };
}

export interface StorageEntry {
  name: string;
  type: 'dir' | 'file' | 'link' | 'other';
  /** Absent for links that lead outside the folder: their target is none of the client's business. */
  size?: number | undefined;
  modifiedAt?: string | undefined;
  /** Files: what the browser may do with it, judged by the name (see files.ts). */
  kind?: FileKind | undefined;
}

export type StorageItem =
  | { type: 'dir'; entries: StorageEntry[] }
  | { type: 'file'; realPath: string; size: number; name: string };

/**
 * One file or folder of a session's folder, for the storage API. Entries are
 * read with lstat: a link is described by where it leads only when that is
 * inside the folder too.
 */
export async function readStorage(folder: string, realPath: string): Promise<StorageItem> {
  const info = await stat(realPath);
  if (info.isFile()) return { type: 'file', realPath, size: info.size, name: realPath.slice(realPath.lastIndexOf(sep) + 1) };
  if (!info.isDirectory()) throw new AppError('bad_request', 'That is neither a file nor a folder.');
  const dirents = await readdir(realPath, { withFileTypes: true });
  const entries = await Promise.all(dirents.map((d) => describeEntry(folder, join(realPath, d.name), d.name)));
  entries.sort((a, b) => (a.type === b.type ? a.name.localeCompare(b.name) : a.type === 'dir' ? -1 : b.type === 'dir' ? 1 : 0));
  return { type: 'dir', entries };
}

async function describeEntry(folder: string, path: string, name: string): Promise<StorageEntry> {
  const own = await lstat(path).catch(() => undefined);
  if (!own) return { name, type: 'other' };
  if (!own.isSymbolicLink()) {
    const type = own.isDirectory() ? 'dir' : own.isFile() ? 'file' : 'other';
    return { name, type, size: own.size, modifiedAt: own.mtime.toISOString(), ...(type === 'file' ? { kind: fileKind(name).kind } : {}) };
  }
  let target: string;
  try {
    target = realpathSync(path);
  } catch {
    return { name, type: 'link' };
  }
  if (!isInside(folder, target)) return { name, type: 'link' };
  const info = await stat(target).catch(() => undefined);
  if (!info) return { name, type: 'link' };
  const type = info.isDirectory() ? 'dir' : info.isFile() ? 'file' : 'other';
  return { name, type, size: info.size, modifiedAt: info.mtime.toISOString(), ...(type === 'file' ? { kind: fileKind(name).kind } : {}) };
}
