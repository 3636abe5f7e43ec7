/**
 * A session's own git worktree: made when the session is, under
 * WORKTREES_DIR/<session id> (DATA_DIR/worktrees by default), on a new branch named after the session;
 * removed (never its branch) only when the session is deleted with purge.
 *
 * What must stay true: a failure leaves nothing behind (no folder, no
 * branch, no worktree entry in the repository), and a worktree with work in
 * it that no commit holds is never removed: git refuses, and we say why.
 */
import { existsSync, mkdirSync, realpathSync, rmSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { Worktree } from '../protocol/workspace.js';
import { AppError } from './errors.js';
import { isInside } from './paths.js';
import type { GitRunner, LogFn } from './ports.js';

export interface NewWorktree {
  worktree: Worktree;
  /** The session's folder: where `cwd` was in the repository, in the worktree. */
  cwd: string;
}

/** Whether `cwd` is in a git work tree, and its top folder (real path). */
export async function repoTop(git: GitRunner, cwd: string): Promise<string | undefined> {
  const top = await git.run(cwd, ['rev-parse', '--show-toplevel']);
  if (top.code !== 0 || top.stdout.trim() === '') return undefined;
  return realpathSync(top.stdout.trim());
}

/** A branch name from the session's name: what `git check-ref-format` takes, short, readable. */
export function branchName(sessionId: string, name: string): string {
  const slug = name
    .normalize('NFKD')
    // Accents come apart from their letters under NFKD: drop them, keep the letter.
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/, '');
  return `claude-remote/${slug ? `${slug}-` : ''}${sessionId.slice(0, 8)}`;
}

/**
 * Makes the worktree of a new session. `cwd` is the real folder the client
 * asked for (already checked against the roots, which the repository's top
 * must be inside too: the worktree is a copy of all of it).
 */
export async function createWorktree(
  git: GitRunner,
  request: { cwd: string; worktreesDir: string; roots: readonly string[]; sessionId: string; name: string; baseRef?: string | undefined },
): Promise<NewWorktree> {
  const { cwd } = request;
  const top = await repoTop(git, cwd);
  if (top === undefined) {
    throw new AppError('bad_request', `${cwd} is not inside a git repository, so it cannot have a worktree. Create the session without "worktree", or run "git init" there first.`);
  }
  if (!request.roots.some((root) => isInside(root, top))) {
    throw new AppError('path_not_allowed', `The repository's top folder ${top} is outside the allowed roots, and a worktree would copy all of it.`);
  }
  const baseRef = request.baseRef ?? (await currentRef(git, top));
  const baseCommit = await resolveCommit(git, top, baseRef, request.baseRef !== undefined);
  const branch = branchName(request.sessionId, request.name);
  const parent = request.worktreesDir;
  mkdirSync(parent, { recursive: true, mode: 0o700 });
  const path = join(realpathSync(parent), request.sessionId);
  const added = await git.run(top, ['worktree', 'add', '-b', branch, path, baseCommit]);
  if (added.code !== 0) {
    await undoWorktree(git, top, path, branch);
    throw new AppError('git_failed', `git could not make the worktree: ${added.stderr || `exit code ${added.code}`}`);
  }
  const rel = relative(top, cwd);
  const sessionCwd = rel === '' ? path : join(path, rel);
  if (!existsSync(sessionCwd)) {
    // The folder asked for holds nothing git tracks (it is not in the base commit).
    await removeWorktree(git, { path, branch, baseRef, baseCommit, repo: top }, { force: true }).catch(() => undefined);
    await git.run(top, ['branch', '-D', branch]);
    throw new AppError('bad_request', `${rel.split(sep).join('/')} is not in ${baseRef} (git keeps no empty folders), so the worktree has no such folder.`);
  }
  return { worktree: { path, branch, baseRef, baseCommit, repo: top }, cwd: sessionCwd };
}

/** The branch checked out in `top`, or its commit when HEAD is detached. */
async function currentRef(git: GitRunner, top: string): Promise<string> {
  const branch = await git.run(top, ['symbolic-ref', '--quiet', '--short', 'HEAD']);
  if (branch.code === 0 && branch.stdout.trim() !== '') return branch.stdout.trim();
  return 'HEAD';
}

async function resolveCommit(git: GitRunner, top: string, ref: string, asked: boolean): Promise<string> {
  if (ref.startsWith('-')) throw new AppError('bad_request', `baseRef ${ref} is not a valid ref.`);
  const commit = await git.run(top, ['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`]);
  if (commit.code === 0 && commit.stdout.trim() !== '') return commit.stdout.trim();
  if (!asked) throw new AppError('bad_request', `The repository at ${top} has no commit yet: commit something first, so a worktree has a start.`);
  throw new AppError('bad_request', `baseRef ${ref} names no commit in the repository at ${top}.`);
}

/** Takes back what a failed `git worktree add` may have made: the entry, the folder, the session's branch. */
async function undoWorktree(git: GitRunner, top: string, path: string, branch: string): Promise<void> {
  await git.run(top, ['worktree', 'remove', '--force', path]).catch(() => undefined);
  rmSync(path, { recursive: true, force: true });
  await git.run(top, ['worktree', 'prune']).catch(() => undefined);
  // The branch carries the session's id: nobody else's work is on it.
  await git.run(top, ['branch', '-D', branch]).catch(() => undefined);
}

/**
 * Before a purge: throws `git_failed` when git would refuse to remove the
 * worktree (uncommitted or untracked files, a lock), so that the session is
 * not deleted half-way. A worktree already gone passes.
 */
export async function checkRemovable(git: GitRunner, worktree: Worktree): Promise<void> {
  if (!existsSync(worktree.path)) return;
  const list = await git.run(worktree.repo, ['worktree', 'list', '--porcelain']);
  const entry = list.stdout.split('\n\n').find((block) => block.split('\n').includes(`worktree ${worktree.path}`));
  const locked = entry?.split('\n').find((line) => line === 'locked' || line.startsWith('locked '));
  if (locked !== undefined) {
    const why = locked.slice('locked'.length).trim();
    throw new AppError('git_failed', `The worktree ${worktree.path} is locked${why ? ` (${why})` : ''}: "git worktree unlock" it first, or delete the session without purge.`);
  }
  const status = await git.run(worktree.path, ['status', '--porcelain', '-z', '--untracked-files=all']);
  if (status.code !== 0) throw new AppError('git_failed', `git status failed in ${worktree.path}: ${status.stderr}`);
  const dirty = status.stdout.split('\0').filter((entry) => entry.length > 3).map((entry) => entry.slice(3));
  if (dirty.length > 0) {
    const shown = dirty.slice(0, 5).join(', ') + (dirty.length > 5 ? ` and ${dirty.length - 5} more` : '');
    throw new AppError(
      'git_failed',
      `The worktree has changes no commit holds (${shown}): commit them on ${worktree.branch} or discard them, or delete the session without purge (the worktree stays).`,
    );
  }
}

/** `git worktree remove`; the branch stays. Throws `git_failed` with git's words. */
export async function removeWorktree(git: GitRunner, worktree: Worktree, options: { force?: boolean } = {}): Promise<void> {
  if (!existsSync(worktree.path)) {
    await git.run(worktree.repo, ['worktree', 'prune']);
    return;
  }
  const removed = await git.run(worktree.repo, ['worktree', 'remove', ...(options.force ? ['--force'] : []), worktree.path]);
  if (removed.code !== 0) throw new AppError('git_failed', `git could not remove the worktree: ${removed.stderr}`);
}

/** Logs instead of throwing: for clean-ups after something else already failed. */
export async function removeQuietly(git: GitRunner, worktree: Worktree, log: LogFn): Promise<void> {
  try {
    await removeWorktree(git, worktree, { force: true });
    await git.run(worktree.repo, ['branch', '-D', worktree.branch]);
  } catch (err) {
    log('warn', 'a worktree made for a session that was not created could not be removed', { err, path: worktree.path });
  }
}
