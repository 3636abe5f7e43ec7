/**
 * Rough heights of rows that are not in the DOM, from their content: the
 * virtual list sizes its spacers with them until a row is measured, and
 * scales them by how far off the first estimates were (heights.ts). They run
 * for every run when a long session opens, so they are one pass over the
 * text with indexOf and char codes, no regular expressions.
 *
 * The pixel figures follow styles/transcript.css at the default font size.
 */
import type { RunItem, RunState, TimelineEntry } from '../../state/reducer.js';
import { THUMB_PX } from './prompt-files.js';

const CHAR_PX = 8.3;
const LINE_PX = 24.8;
const BACKTICK = 96;
const TILDE = 126;

/** Lines `text` takes at `perLine` characters a line. */
export function lineCount(text: string, perLine: number): number {
  let lines = 0;
  let start = 0;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const len = (nl === -1 ? text.length : nl) - start;
    lines += len <= perLine ? 1 : Math.ceil(len / perLine);
    if (nl === -1) return lines;
    start = nl + 1;
  }
}

/** A rough height for markdown: wrapped lines, paragraph gaps, code block chrome. */
export function markdownHeight(text: string, perLine: number): number {
  let height = 0;
  let start = 0;
  let inCode = false;
  for (;;) {
    const nl = text.indexOf('\n', start);
    const end = nl === -1 ? text.length : nl;
    const len = end - start;
    const c = text.charCodeAt(start);
    if ((c === BACKTICK || c === TILDE) && text.charCodeAt(start + 1) === c && text.charCodeAt(start + 2) === c) {
      height += inCode ? 12 : 56;
      inCode = !inCode;
    } else if (inCode) {
      height += 20;
    } else if (len === 0) {
      height += 12;
    } else {
      height += LINE_PX * (len <= perLine ? 1 : Math.ceil(len / perLine));
    }
    if (nl === -1) return height;
    start = nl + 1;
  }
}

function itemHeight(item: RunItem, perLine: number): number {
  switch (item.kind) {
    case 'text':
      return markdownHeight(item.text, perLine);
    case 'thinking':
      return 44;
    case 'tool':
      return 46;
    case 'notice':
      return 14 + 21 * lineCount(item.text, perLine);
    case 'permission':
      return permissionHeight(item, perLine);
    default:
      return 40;
  }
}

/** The diff box scrolls past this height (transcript.css). */
const DIFF_MAX_PX = 360;

/** Title, what the card shows, then its buttons and message field (or the one-line verdict). */
function permissionHeight(item: Extract<RunItem, { kind: 'permission' }>, perLine: number): number {
  const chrome = 22 + 30 + (item.resolved ? 30 : 150);
  const preview = item.preview;
  switch (preview?.kind) {
    case 'command':
      return chrome + 24 + 20 * lineCount(preview.command, perLine) + (preview.description ? 30 : 0);
    case 'diff':
      return chrome + 30 + Math.min(DIFF_MAX_PX, 16 + 19 * lineCount(preview.diff, perLine * 1.1));
    case 'plan':
      return chrome + 60 + markdownHeight(preview.plan, perLine);
    default:
      return chrome + 60 * (typeof item.input === 'object' && item.input !== null ? Math.max(1, Object.keys(item.input).length) : 1);
  }
}

function runHeight(run: RunState | undefined, perLine: number): number {
  // Queued runs are hidden (the queue panel lists them).
  if (!run || run.status === 'queued') return 0;
  let height = 28 + 32; // gap after the run, footer
  if (run.prompt !== '') height += 16 + 10 + 23 * lineCount(run.prompt, perLine * 0.8);
  if (run.attachments?.length) {
    const images = run.attachments.some((a) => a.kind === 'image');
    const texts = run.attachments.some((a) => a.kind === 'text');
    height += (run.prompt === '' ? 26 : 8) + (images ? THUMB_PX + 6 : 0) + (texts ? 34 : 0);
  }
  for (const item of run.items) height += 10 + itemHeight(item, perLine);
  if (run.items.length === 0 && run.status === 'running') height += 34;
  return height;
}

/** The estimated height of a timeline entry (with its run's state, for runs) at `width` px of content. */
export function estimateEntry(entry: TimelineEntry, run: RunState | undefined, width: number): number {
  const perLine = Math.max(16, (width || 360) / CHAR_PX);
  switch (entry.kind) {
    case 'cleared':
      return 44;
    case 'notice':
      return 14 + 21 * lineCount(entry.text, perLine) + 10;
    case 'run':
      return runHeight(run, perLine);
    default:
      return 40;
  }
}
