/**
 * A session's workspace on the wire: its git worktree, the changes made in
 * its folder, the file browser's answers, and files attached to prompts.
 * Declared once, as zod schemas; the types are inferred. No Node imports:
 * the web app compiles this file too.
 */
import { z } from 'zod';

export { IMAGE_MEDIA_TYPES, TEXT_MEDIA_TYPES } from './constants.js';

/** A session's own git worktree (created with `worktree: true`). */
export const worktreeSchema = z.object({
  /** The worktree's folder, under WORKTREES_DIR (DATA_DIR/worktrees by default). */
  path: z.string(),
  /** The branch made for the session; deleting the session (even with purge) keeps it. */
  branch: z.string(),
  /** What it started from: the `baseRef` asked for, or the branch (or commit) checked out then. */
  baseRef: z.string(),
  /** The commit `baseRef` named when the worktree was made: the changes are counted from it. */
  baseCommit: z.string(),
  /** The repository's main folder (the user's checkout). */
  repo: z.string(),
});
export type Worktree = z.infer<typeof worktreeSchema>;

export const FILE_CHANGE_STATUSES = ['added', 'modified', 'deleted', 'renamed', 'copied', 'typechange', 'untracked'] as const;

export const fileChangeSchema = z.object({
  /** Relative to the session folder, `/`-separated. */
  path: z.string(),
  status: z.enum(FILE_CHANGE_STATUSES),
  additions: z.number(),
  deletions: z.number(),
  /** A rename's or copy's source. */
  oldPath: z.string().optional(),
  /** Binary: named in the diff, never inlined; additions and deletions are 0. */
  binary: z.boolean().optional(),
});
export type FileChange = z.infer<typeof fileChangeSchema>;

/**
 * GET /api/sessions/:id/changes. In a git repository: the working tree
 * against `HEAD` (a worktree session: against the commit it started from, so
 * committed work shows too), untracked files included, as a file list and
 * one unified diff (`git diff` format, a `diff --git` header per file).
 * A diff over MAX_DIFF_BYTES is cut between files (`truncated`, `note`).
 */
export const changesSchema = z.discriminatedUnion('isGitRepo', [
  z.object({ isGitRepo: z.literal(false) }),
  z.object({
    isGitRepo: z.literal(true),
    /** The branch checked out (absent when HEAD is detached). */
    branch: z.string().optional(),
    /** What the changes are counted from: `HEAD`, or a worktree's base. */
    baseRef: z.string().optional(),
    files: z.array(fileChangeSchema),
    diff: z.string(),
    truncated: z.boolean(),
    /** Says what was left out of `diff`, when it was cut. */
    note: z.string().optional(),
  }),
]);
export type Changes = z.infer<typeof changesSchema>;

/** What the file browser may do with a file (from its name; `text` is confirmed when it is read). */
export const FILE_KINDS = ['text', 'image', 'binary'] as const;
export type FileKind = (typeof FILE_KINDS)[number];

/** GET /api/sessions/:id/files/text: a text file of the session folder, to show. */
export const fileTextSchema = z.object({
  path: z.string(),
  size: z.number(),
  /** Guessed from the name (text/plain when unknown). */
  mediaType: z.string(),
  /** A language name for syntax highlighting, from the extension, when known. */
  language: z.string().optional(),
  text: z.string(),
  /** Only the first MAX_TEXT_VIEW_BYTES were read. */
  truncated: z.boolean(),
});
export type FileText = z.infer<typeof fileTextSchema>;

/** A file attached to a prompt: its name, its type and its bytes in base64. */
export const attachmentSchema = z.object({
  name: z.string().min(1).max(255),
  mediaType: z.string().min(1).max(255),
  data: z.string(),
});
export type Attachment = z.infer<typeof attachmentSchema>;

/** An attachment as a run remembers it (and `run.queued` shows it): where it was saved. */
export const attachmentInfoSchema = z.object({
  name: z.string(),
  mediaType: z.string(),
  size: z.number(),
  /** `image`: sent as an image block; `text`: named in the prompt. */
  kind: z.enum(['image', 'text']),
  /** Relative to the session folder (`attachments/<name>`): GET .../files/raw?path= serves it. */
  path: z.string(),
});
export type AttachmentInfo = z.infer<typeof attachmentInfoSchema>;
