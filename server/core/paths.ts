/**
 * Path rules. A session's folder must be inside one of the allowed roots (or
 * be a folder we made under DATA_DIR), and storage reads must stay inside the
 * session's folder. Both are checked on the real path, after symlinks, so a
 * link inside a root that points outside it is refused too.
 */
import { realpathSync, statSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { AppError } from './errors.js';

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
 */
export function resolveCwd(input: string, roots: readonly string[]): string {
  if (input.includes('\0')) refuse('The folder path contains a NUL byte.');
  if (hasDotDot(input)) refuse('The folder path must not contain "..".');
  if (roots.length === 0) refuse('No allowed roots are configured (ALLOWED_ROOTS), so only own session folders can be used.');
  let path: string;
  if (input === '~' || input.startsWith('~/')) path = join(homedir(), input.slice(1));
  else if (isAbsolute(input)) path = input;
  else path = join(roots[0] as string, input);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    refuse(`The folder ${input} does not exist.`);
  }
  if (!statSync(real).isDirectory()) refuse(`${input} is not a folder.`);
  if (!roots.some((root) => isInside(root, real))) {
    refuse(`The folder ${input} is outside the allowed roots (${roots.join(', ')}).`);
  }
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
