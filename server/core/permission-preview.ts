/**
 * What a permission card shows, worked out when the CLI asks: a Bash call's
 * command; for Edit, MultiEdit and Write the change against the file as it is
 * on disk now; an ExitPlanMode request's plan.
 *
 * Files are read only inside the session's folders (its folder and extra
 * folders, on their real paths) and up to a size: a card must not become a
 * way to read the rest of the disk.
 */
import { readFileSync, realpathSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import type { PermissionPreview } from '../protocol/events.js';
import { isInside } from './paths.js';
import type { TextDiffer } from './ports.js';

/** Files larger than this are not read for a diff. */
export const MAX_PREVIEW_FILE_BYTES = 1024 * 1024;
/** A longer diff is cut (the app folds long ones anyway). */
export const MAX_PREVIEW_DIFF_CHARS = 200_000;

export interface PreviewContext {
  /** The session's folders (real paths): files outside them are not read. */
  folders: readonly string[];
  differ: TextDiffer;
  /** The input of the tool_use block the request is about, when the request itself carries less (ExitPlanMode). */
  toolUseInput?: unknown;
  /** The last thing Claude said in this turn: the plan, when the plan tool carries none. */
  lastText?: string | undefined;
}

type Json = Record<string, unknown>;

export function permissionPreview(toolName: string, input: unknown, ctx: PreviewContext): PermissionPreview | undefined {
  const args = (input && typeof input === 'object' ? input : {}) as Json;
  switch (toolName) {
    case 'Bash':
      return typeof args.command === 'string'
        ? { kind: 'command', command: args.command, description: typeof args.description === 'string' ? args.description : undefined }
        : undefined;
    case 'Write':
      return typeof args.file_path === 'string' && typeof args.content === 'string'
        ? fileChange(args.file_path, () => args.content as string, ctx)
        : undefined;
    case 'Edit':
      return typeof args.file_path === 'string' ? fileChange(args.file_path, (old) => applyEdits(old, [args]), ctx) : undefined;
    case 'MultiEdit':
      return typeof args.file_path === 'string' && Array.isArray(args.edits)
        ? fileChange(args.file_path, (old) => applyEdits(old, args.edits as Json[]), ctx)
        : undefined;
    case 'ExitPlanMode':
      return planOf(args, ctx);
    default:
      return undefined;
  }
}

function planOf(args: Json, ctx: PreviewContext): PermissionPreview | undefined {
  const fromUse = (ctx.toolUseInput && typeof ctx.toolUseInput === 'object' ? ctx.toolUseInput : {}) as Json;
  for (const source of [args, fromUse]) if (typeof source.plan === 'string' && source.plan.trim() !== '') return { kind: 'plan', plan: source.plan };
  const file = [args.planFilePath, fromUse.planFilePath].find((p): p is string => typeof p === 'string');
  const read = file ? readInside(file, ctx.folders) : undefined;
  if (read?.text) return { kind: 'plan', plan: read.text };
  return ctx.lastText ? { kind: 'plan', plan: ctx.lastText } : undefined;
}

/** Replaces each edit's old_string (once, or every time with replace_all), in order. */
function applyEdits(text: string, edits: readonly Json[]): string {
  let out = text;
  for (const edit of edits) {
    if (typeof edit.old_string !== 'string' || typeof edit.new_string !== 'string') continue;
    out = edit.replace_all === true ? out.split(edit.old_string).join(edit.new_string) : out.replace(edit.old_string, () => edit.new_string as string);
  }
  return out;
}

function fileChange(path: string, after: (before: string) => string, ctx: PreviewContext): PermissionPreview {
  const read = readInside(path, ctx.folders);
  const base = { kind: 'diff' as const, path, additions: 0, deletions: 0 };
  if (read.note) return { ...base, isNew: false, diff: '', note: read.note };
  const before = read.text ?? '';
  let diff = ctx.differ(path, before, after(before));
  let note: string | undefined;
  if (diff.length > MAX_PREVIEW_DIFF_CHARS) {
    diff = diff.slice(0, diff.lastIndexOf('\n', MAX_PREVIEW_DIFF_CHARS) + 1);
    note = 'The change is long: only its beginning is shown.';
  }
  const lines = diff.split('\n');
  const additions = lines.filter((l) => l.startsWith('+') && !l.startsWith('+++')).length;
  const deletions = lines.filter((l) => l.startsWith('-') && !l.startsWith('---')).length;
  return { ...base, isNew: read.text === undefined, diff, additions, deletions, note };
}

/**
 * The file's text if it may be shown (inside a folder of the session, not too
 * large, text); `text` undefined with no note: it does not exist yet.
 */
function readInside(path: string, folders: readonly string[]): { text?: string | undefined; note?: string | undefined } {
  if (!isAbsolute(path)) return { note: 'The path is not absolute.' };
  const outside = { note: 'The file is outside the session\'s folders, so its contents are not shown.' };
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    // A new file: its folder (or the nearest existing one) must be inside.
    let dir = dirname(path);
    while (dirname(dir) !== dir) {
      try {
        const realDir = realpathSync(dir);
        return folders.some((f) => isInside(f, join(realDir))) ? {} : outside;
      } catch {
        dir = dirname(dir);
      }
    }
    return outside;
  }
  if (!folders.some((f) => isInside(f, real))) return outside;
  const info = statSync(real);
  if (!info.isFile()) return { note: 'That is not a regular file.' };
  if (info.size > MAX_PREVIEW_FILE_BYTES) return { note: `The file is larger than ${MAX_PREVIEW_FILE_BYTES / 1024} KiB, so no diff is shown.` };
  const text = readFileSync(real, 'utf8');
  if (text.includes('\u0000')) return { note: 'The file is binary.' };
  return { text };
}
