/**
 * One file's diff, hunk by hunk: a hunk's header, then its lines with their
 * numbers and a +, - or space. Every line goes in as a text node, so a file
 * full of markup shows as markup. A long line scrolls sideways inside its
 * hunk (or wraps, when the page's "Wrap lines" is on); the hunk box is
 * reachable from the keyboard to be scrolled.
 */
import { h, makeScrollable } from '../../dom.js';
import type { DiffHunk, DiffLine, FileDiff } from '../../workspace/diff.js';

const SIGN: Record<DiffLine['kind'], string> = { add: '+', del: '−', ctx: ' ', note: '\\' };
const SPOKEN: Record<DiffLine['kind'], string> = { add: 'added', del: 'removed', ctx: '', note: '' };

export function renderFileDiff(diff: FileDiff | undefined, binary: boolean): HTMLElement[] {
  if (binary || diff?.binary) return [h('p', { class: 'diff-note muted' }, ['A binary file: its changes are not shown. The Files page offers it as a download.'])];
  if (!diff) return [h('p', { class: 'diff-note muted' }, ['Its diff was left out (see the note above).'])];
  const meta = diff.meta.filter((line) => !line.startsWith('index ') && !line.startsWith('diff '));
  const parts: HTMLElement[] = [];
  if (meta.length > 0) parts.push(h('p', { class: 'diff-meta muted' }, [meta.join(' · ')]));
  if (diff.hunks.length === 0) parts.push(h('p', { class: 'diff-note muted' }, ['No lines changed (a mode change or an empty file).']));
  for (const hunk of diff.hunks) parts.push(renderHunk(hunk));
  return parts;
}

function renderHunk(hunk: DiffHunk): HTMLElement {
  // A <section>: a box in the tab order (to scroll it) must be one a screen reader can name (axe focus-order-semantics).
  const lines = h('section', { class: 'hunk-lines' }, hunk.lines.map(renderLine));
  makeScrollable(lines);
  return h('section', { class: 'hunk' }, [h('p', { class: 'hunk-head' }, [h('code', {}, [hunk.header])]), lines]);
}

function renderLine(line: DiffLine): HTMLElement {
  const spoken = SPOKEN[line.kind];
  return h('div', { class: 'dl', 'data-kind': line.kind }, [
    h('span', { class: 'ln ln-old', 'aria-hidden': 'true' }, [number(line.oldNo)]),
    h('span', { class: 'ln ln-new', 'aria-hidden': 'true' }, [number(line.newNo)]),
    // A phone has room for one number: the new file's, or the old one's for a removed line.
    h('span', { class: 'ln ln-one', 'aria-hidden': 'true' }, [number(line.newNo ?? line.oldNo)]),
    h('span', { class: 'sign', 'aria-hidden': 'true' }, [SIGN[line.kind]]),
    spoken ? h('span', { class: 'visually-hidden' }, [`${spoken}: `]) : null,
    h('span', { class: 'code' }, [line.text === '' ? '\u200b' : line.text]),
  ]);
}

const number = (n: number | undefined) => (n === undefined ? '' : String(n));

