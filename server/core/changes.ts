/**
 * What changed in a session's folder, for the Changes view: the working tree
 * against HEAD (a worktree session: against the commit it started from, so
 * what Claude committed shows too), untracked files included, as a file list
 * with counts and one diff in `git diff` format.
 *
 * Untracked files are diffed here, not by git (`git diff --no-index` is one
 * process per file), from lstat and readlink: a link is shown as git shows
 * it, by its target's name, and never followed out of the folder.
 */
import { createReadStream } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_DIFF_BYTES } from '../protocol/limits.js';
import type { Changes, FileChange, Worktree } from '../protocol/workspace.js';
import { AppError } from './errors.js';
import type { GitRunner } from './ports.js';

/** The tree of no files: what a repository without a commit is compared with. */
const EMPTY_TREE = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';
/** Files listed at most (a folder of build output nobody ignored must not make a 100 000-line answer). */
export const MAX_CHANGED_FILES = 2000;
/** Untracked files are read up to this much to count their lines and show them. */
const MAX_UNTRACKED_READ_BYTES = MAX_DIFF_BYTES;
/** How much of git's diff is read to choose whole files from (the largest are left out): a few times what is shown. */
const MAX_PATCH_READ_BYTES = 16 * MAX_DIFF_BYTES;
/** Lines of an untracked file too large to show are counted up to this size (larger: not counted). */
const MAX_COUNTED_BYTES = 64 * MAX_DIFF_BYTES;

const STATUS: Record<string, FileChange['status']> = {
  A: 'added',
  M: 'modified',
  D: 'deleted',
  R: 'renamed',
  C: 'copied',
  T: 'typechange',
  U: 'modified',
};

export async function readChanges(git: GitRunner, folder: string, worktree: Worktree | undefined): Promise<Changes> {
  const inside = await git.run(folder, ['rev-parse', '--is-inside-work-tree']);
  if (inside.code !== 0 || inside.stdout.trim() !== 'true') return { isGitRepo: false };
  const branch = await git.run(folder, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  const head = await git.run(folder, ['rev-parse', '--verify', '--quiet', 'HEAD^{commit}']);
  const base = worktree ? worktree.baseCommit : head.code === 0 ? 'HEAD' : EMPTY_TREE;
  const diff = ['diff', '--no-ext-diff', '--no-textconv', '-M', '--relative'];
  const [names, counts, patch, others] = await Promise.all([
    git.run(folder, [...diff, '--name-status', '-z', base, '--']),
    git.run(folder, [...diff, '--numstat', '-z', base, '--']),
    git.run(folder, [...diff, base, '--'], { maxBytes: MAX_PATCH_READ_BYTES }),
    git.run(folder, ['ls-files', '--others', '--exclude-standard', '-z']),
  ]);
  for (const answer of [names, counts, patch, others]) {
    if (answer.code !== 0) throw new AppError('git_failed', `git could not list the changes: ${answer.stderr}`);
  }
  const files = trackedChanges(names.stdout, counts.stdout);
  const chunks = splitDiff(patch.stdout, patch.truncated);
  const untracked = others.stdout.split('\0').filter((p) => p !== '');
  for (const path of untracked.slice(0, Math.max(0, MAX_CHANGED_FILES - files.length))) {
    const { change, diff } = await untrackedChange(folder, path);
    files.push(change);
    chunks.push(diff);
  }
  const listed = files.length;
  const unlisted = files.length >= MAX_CHANGED_FILES ? untracked.length + countEntries(names.stdout) - listed : 0;
  const { text, shown } = within(chunks, MAX_DIFF_BYTES);
  const truncated = shown < chunks.length || patch.truncated;
  const notes: string[] = [];
  if (truncated) {
    notes.push(`The diff is cut at ${MAX_DIFF_BYTES} bytes: it shows ${shown} of ${listed} files, each whole, leaving out the largest; the file list has them all.`);
  }
  if (unlisted > 0) notes.push(`${unlisted} more changed files are not listed (at most ${MAX_CHANGED_FILES}).`);
  return {
    isGitRepo: true,
    ...(branch.code === 0 && branch.stdout.trim() ? { branch: branch.stdout.trim() } : {}),
    baseRef: worktree ? worktree.baseRef : 'HEAD',
    files,
    diff: text,
    truncated: truncated || unlisted > 0,
    ...(notes.length ? { note: notes.join(' ') } : {}),
  };
}

/** `--name-status -z` and `--numstat -z` read together: entries come in the same order. */
function trackedChanges(nameStatus: string, numstat: string): FileChange[] {
  const names = nameStatus.split('\0');
  const counts = numstat.split('\0');
  const files: FileChange[] = [];
  let n = 0;
  let c = 0;
  while (n < names.length && files.length < MAX_CHANGED_FILES) {
    const code = names[n++] ?? '';
    if (code === '') continue;
    const letter = code[0] ?? 'M';
    const twoPaths = letter === 'R' || letter === 'C';
    const oldPath = twoPaths ? (names[n++] ?? '') : undefined;
    const path = names[n++] ?? '';
    // numstat: "add\tdel\tpath" or, for a rename, "add\tdel\t" then old and new as their own fields.
    const [added = '0', deleted = '0'] = (counts[c++] ?? '').split('\t');
    if (twoPaths) c += 2;
    const binary = added === '-';
    files.push({
      path,
      status: STATUS[letter] ?? 'modified',
      additions: binary ? 0 : Number(added) || 0,
      deletions: binary ? 0 : Number(deleted) || 0,
      ...(oldPath !== undefined ? { oldPath } : {}),
      ...(binary ? { binary: true } : {}),
    });
  }
  return files;
}

function countEntries(nameStatus: string): number {
  return nameStatus.split('\0').filter((part) => /^[A-Z]\d*$/.test(part)).length;
}

/** One file's part of the diff, and what it weighs (more than any limit when it is too large to show). */
interface Piece {
  text: string;
  bytes: number;
}

const piece = (text: string): Piece => ({ text, bytes: Buffer.byteLength(text, 'utf8') });

/** The diff cut into one piece per file (a piece git did not finish printing is dropped). */
function splitDiff(patch: string, truncated: boolean): Piece[] {
  if (patch === '') return [];
  const pieces = patch.split(/(?=^diff --git )/m);
  if (truncated) pieces.pop();
  return pieces.map(piece);
}

/**
 * A file's diff is shown whole or not at all. The smallest pieces are kept
 * first (so one huge file does not hide every small one after it), then
 * shown in their order.
 */
function within(pieces: readonly Piece[], maxBytes: number): { text: string; shown: number } {
  const kept = new Set<number>();
  let bytes = 0;
  const bySize = pieces.map((piece, index) => ({ index, bytes: piece.bytes })).sort((a, b) => a.bytes - b.bytes);
  for (const { index, bytes: size } of bySize) {
    if (bytes + size > maxBytes) break;
    bytes += size;
    kept.add(index);
  }
  return { text: pieces.filter((_, index) => kept.has(index)).map((p) => p.text).join(''), shown: kept.size };
}

/** An untracked file as `git diff` would show it if it were added. */
async function untrackedChange(folder: string, path: string): Promise<{ change: FileChange; diff: Piece }> {
  const full = join(folder, path);
  const info = await lstat(full).catch(() => undefined);
  const header = (mode: string) => `diff --git a/${path} b/${path}\nnew file mode ${mode}\n`;
  if (!info) return { change: { path, status: 'untracked', additions: 0, deletions: 0 }, diff: piece('') };
  let content: Buffer;
  let mode = info.mode & 0o111 ? '100755' : '100644';
  if (info.isSymbolicLink()) {
    mode = '120000';
    content = Buffer.from(await readlink(full), 'utf8');
  } else {
    content = info.isFile() ? await readHead(full, Math.min(info.size, MAX_UNTRACKED_READ_BYTES + 1)) : Buffer.alloc(0);
  }
  if (content.includes(0)) {
    return {
      change: { path, status: 'untracked', additions: 0, deletions: 0, binary: true },
      diff: piece(`${header(mode)}Binary files /dev/null and b/${path} differ\n`),
    };
  }
  if (content.length > MAX_UNTRACKED_READ_BYTES) {
    // Too large to show: listed with its lines counted (unless counting means reading a huge file
    // after every run); its diff weighs more than any limit.
    const additions = info.size <= MAX_COUNTED_BYTES ? await countLines(full) : 0;
    return { change: { path, status: 'untracked', additions, deletions: 0 }, diff: { text: '', bytes: Infinity } };
  }
  const text = content.toString('utf8');
  if (text === '') return { change: { path, status: 'untracked', additions: 0, deletions: 0 }, diff: piece(header(mode)) };
  const lines = text.split('\n');
  const endsWithNewline = text.endsWith('\n');
  if (endsWithNewline) lines.pop();
  const body = lines.map((line) => `+${line}\n`).join('') + (endsWithNewline ? '' : '\\ No newline at end of file\n');
  return {
    change: { path, status: 'untracked', additions: lines.length, deletions: 0 },
    diff: piece(`${header(mode)}--- /dev/null\n+++ b/${path}\n@@ -0,0 +1${lines.length === 1 ? '' : `,${lines.length}`} @@\n${body}`),
  };
}

async function readHead(path: string, maxBytes: number): Promise<Buffer> {
  const handle = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** Lines in a file as git counts them (a last line without a newline counts), read as a stream. */
async function countLines(path: string): Promise<number> {
  let lines = 0;
  let last = 0x0a;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    for (let i = chunk.indexOf(0x0a); i !== -1; i = chunk.indexOf(0x0a, i + 1)) lines++;
    if (chunk.length > 0) last = chunk[chunk.length - 1] as number;
  }
  return last === 0x0a ? lines : lines + 1;
}
