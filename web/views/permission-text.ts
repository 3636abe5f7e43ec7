/**
 * What a permission card says, as pure functions (no DOM, unit-tested): its
 * title, a unified diff split into classified lines, another tool's input as
 * labelled fields, the verdict once answered, and the modes an approved plan
 * may continue in.
 */
import { PERMISSION_MODES, type PermissionMode, type PermissionPreview } from '../../server/protocol/events.js';
import { baseName } from '../format.js';
import type { PermissionVerdict } from '../state/reducer.js';

/** A field longer than this (characters or lines) folds into a details element. */
export const LONG_FIELD_CHARS = 240;
export const LONG_FIELD_LINES = 6;

export function permissionTitle(toolName: string, preview: PermissionPreview | undefined): string {
  switch (preview?.kind) {
    case 'command':
      return 'Claude wants to run a command';
    case 'diff':
      // The file's name; its whole path goes on a line of its own (paths are long on a phone).
      return preview.isNew ? `Claude wants to create ${baseName(preview.path)}` : `Claude wants to change ${baseName(preview.path)}`;
    case 'plan':
      return 'Claude proposes a plan';
    default:
      return `Claude wants to use ${toolName}`;
  }
}

/** `header`: the file lines before the first hunk (---, +++, Index, ===), which the card leaves out: it names the file itself. */
export type DiffLineKind = 'add' | 'del' | 'context' | 'hunk' | 'meta' | 'header';

export interface DiffLine {
  kind: DiffLineKind;
  text: string;
}

/** A unified diff's lines, each with what it is. */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.replace(/\n$/, '').split('\n');
  if (lines.length === 1 && lines[0] === '') return [];
  let inHunk = false;
  return lines.map((text): DiffLine => {
    if (text.startsWith('@@')) {
      inHunk = true;
      return { kind: 'hunk', text };
    }
    if (!inHunk) return { kind: 'header', text };
    if (text.startsWith('\\')) return { kind: 'meta', text };
    if (text.startsWith('+')) return { kind: 'add', text };
    if (text.startsWith('-')) return { kind: 'del', text };
    return { kind: 'context', text };
  });
}

export interface InputField {
  label: string;
  value: string;
  /** Folds (details/summary) instead of showing at once. */
  long: boolean;
}

/** A tool's input as fields: each key with its value (text as it is, anything else as indented JSON). */
export function inputFields(input: unknown): InputField[] {
  if (input === undefined || input === null) return [];
  const entries: Array<[string, unknown]> =
    typeof input === 'object' && !Array.isArray(input) ? Object.entries(input as Record<string, unknown>) : [['input', input]];
  return entries.map(([key, value]) => {
    const text = typeof value === 'string' ? value : safeJson(value);
    return { label: fieldLabel(key), value: text, long: isLong(text) };
  });
}

/** `file_path` -> "file path", `oldString` -> "old string". */
export function fieldLabel(key: string): string {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/[_-]+/g, ' ')
    .trim()
    .toLowerCase();
}

export function isLong(text: string): boolean {
  if (text.length > LONG_FIELD_CHARS) return true;
  let lines = 1;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) if (++lines > LONG_FIELD_LINES) return true;
  return false;
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}

const ANSWERED_BY: Record<string, string> = {
  app: 'in the app',
  api: 'through the API',
  remembered: 'allowed for this session',
  timeout: 'no one answered in time',
};

/** "Allowed (in the app)", "Allowed for this session", "Denied (no one answered in time)", "Approved: continues in acceptEdits". */
export function verdictText(verdict: PermissionVerdict, isPlan: boolean): string {
  const by = ANSWERED_BY[verdict.by] ?? verdict.by;
  if (isPlan) {
    if (verdict.behavior === 'deny') return `Kept planning (${by})`;
    return verdict.mode ? `Approved: continues in ${verdict.mode} (${by})` : `Approved (${by})`;
  }
  if (verdict.behavior === 'deny') return `Denied (${by})`;
  if (verdict.by === 'remembered') return 'Allowed: this tool is allowed for this session';
  return verdict.scope === 'session' ? `Allowed for this session (${by})` : `Allowed (${by})`;
}

/** What each mode means, for the plan's "continue in" chooser. */
const MODE_HELP: Record<PermissionMode, string> = {
  default: 'ask before edits and commands',
  acceptEdits: 'edit files without asking',
  bypassPermissions: 'never ask (careful)',
  plan: 'keep planning',
  dontAsk: 'deny what is not allowed, without asking',
  auto: 'let the CLI decide',
  manual: 'ask before every tool',
};

/** The modes an approved plan may continue in (every mode but plan itself), each with what it means. */
export function planModes(): Array<{ mode: PermissionMode; label: string }> {
  return PERMISSION_MODES.filter((m) => m !== 'plan').map((mode) => ({ mode, label: `${mode}: ${MODE_HELP[mode]}` }));
}
