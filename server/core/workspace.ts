/**
 * A session's workspace, for the engine: its git worktree (made with the
 * session, removed only by a purge), the changes made in its folder, the
 * file browser's reads, and the files attached to its prompts. Every folder
 * is checked again on its real path before it is used.
 */
import { stat } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Attachment, AttachmentInfo, Changes, FileText } from '../protocol/workspace.js';
import { checkAttachments, saveAttachments } from './attachments.js';
import { readChanges } from './changes.js';
import { AppError } from './errors.js';
import { readText, servingOf } from './files.js';
import { resolveInside } from './paths.js';
import type { GitRunner, LogFn } from './ports.js';
import type { Rules } from './rules.js';
import type { SessionRecord } from './store.js';
import { checkRemovable, createWorktree, removeQuietly, removeWorktree, type NewWorktree } from './worktrees.js';

/** A file of the session folder to send, and how. */
export interface ServedFile {
  realPath: string;
  name: string;
  size: number;
  contentType: string;
  /** Shown in the page (an image) rather than offered as a download. */
  inline: boolean;
}

export interface WorkspaceConfig {
  /** Where worktrees are made (WORKTREES_DIR). */
  worktreesDir: string;
  /** MAX_ATTACHMENT_MB, in bytes. */
  maxAttachmentBytes: number;
}

export class Workspace {
  readonly #git: GitRunner;
  readonly #rules: Rules;
  readonly #config: WorkspaceConfig;
  readonly #log: LogFn;

  constructor(deps: { git: GitRunner; rules: Rules; log: LogFn }, config: WorkspaceConfig) {
    this.#git = deps.git;
    this.#rules = deps.rules;
    this.#log = deps.log;
    this.#config = config;
  }

  /**
   * The worktree a new session asked for, if it did (`cwd` is the real
   * folder, already checked). Refuses `baseRef` without `worktree`, and a
   * worktree without a folder in a repository.
   */
  async newWorktree(request: { worktree?: boolean | undefined; baseRef?: string | undefined; cwd: string | undefined; sessionId: string; name: string }): Promise<NewWorktree | undefined> {
    if (!request.worktree) {
      if (request.baseRef !== undefined) throw new AppError('validation_failed', 'baseRef goes with worktree: true.');
      return undefined;
    }
    if (request.cwd === undefined) {
      throw new AppError('validation_failed', 'worktree: true needs a cwd inside a git repository (a folder of its own is not one).');
    }
    return createWorktree(this.#git, { cwd: request.cwd, worktreesDir: this.#config.worktreesDir, roots: this.#rules.roots, sessionId: request.sessionId, name: request.name, baseRef: request.baseRef });
  }

  /** Takes back the worktree of a session that was not created after all. */
  async discardWorktree(made: NewWorktree): Promise<void> {
    await removeQuietly(this.#git, made.worktree, this.#log);
  }

  /** Before a purge deletes anything: git must be willing to remove the worktree (throws `git_failed`). */
  async checkPurge(record: SessionRecord): Promise<void> {
    if (record.worktree) await checkRemovable(this.#git, record.worktree);
  }

  /** After the session is gone: removes its worktree (its branch stays). A refusal now is said, not thrown. */
  async purgeWorktree(record: SessionRecord): Promise<{ purged: boolean; message?: string }> {
    if (!record.worktree) return { purged: false };
    try {
      await removeWorktree(this.#git, record.worktree);
      return { purged: true, message: `The worktree is removed; the branch ${record.worktree.branch} is kept.` };
    } catch (err) {
      this.#log('warn', 'the worktree of a deleted session could not be removed', { sessionId: record.id, err });
      return { purged: false, message: `The session is deleted, but its worktree stays: ${(err as Error).message}` };
    }
  }

  changes(record: SessionRecord): Promise<Changes> {
    return readChanges(this.#git, this.#rules.sessionFolder(record), record.worktree);
  }

  fileText(record: SessionRecord, relPath: string): Promise<FileText> {
    const folder = this.#rules.sessionFolder(record);
    return readText(resolveInside(folder, relPath), relPath);
  }

  /** A file to serve; folders are the storage listing's business. */
  async file(record: SessionRecord, relPath: string, download: boolean): Promise<ServedFile> {
    const folder = this.#rules.sessionFolder(record);
    const realPath = resolveInside(folder, relPath);
    const info = await stat(realPath);
    if (!info.isFile()) throw new AppError('bad_request', `${relPath} is not a file (list a folder with GET .../storage).`);
    const name = basename(realPath);
    return { realPath, name, size: info.size, ...servingOf(name, download) };
  }

  /**
   * Checks every attachment (413, 415, 400), saves them into the session
   * folder, then queues the prompt with them. If it is not queued after all
   * (a full queue) or another run answers for it (a repeated request id),
   * the files are taken back.
   */
  async withAttachments<T extends { duplicate: boolean }>(
    record: SessionRecord,
    attachments: readonly Attachment[],
    queue: (infos: AttachmentInfo[]) => Promise<T>,
  ): Promise<T> {
    const checked = checkAttachments(attachments, this.#config.maxAttachmentBytes);
    const saved = await saveAttachments(this.#rules.sessionFolder(record), checked);
    try {
      const result = await queue(saved.infos);
      if (result.duplicate) await saved.undo();
      return result;
    } catch (err) {
      await saved.undo();
      throw err;
    }
  }
}
