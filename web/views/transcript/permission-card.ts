/**
 * A permission request as a card worth reading before answering: a Bash
 * command as code with its description, an Edit/MultiEdit/Write as the diff
 * it would make (added and removed lines coloured), a plan as markdown (the
 * sanitising path of render/markdown.ts), any other tool's input as labelled
 * fields, long ones folded. Everything else is text nodes.
 *
 * Answers: Allow, Allow for this session, Deny with an optional message; a
 * plan is approved with the mode to continue in, or sent back with feedback.
 * The card is built once; an answer only swaps the buttons for the verdict,
 * so what the reader typed survives every update before it.
 */
import type { PermissionMode, PermissionPreview } from '../../../server/protocol/events.js';
import { h, makeScrollable, setText } from '../../dom.js';
import { createMarkdownView } from '../../render/markdown.js';
import type { RunItem } from '../../state/reducer.js';
import { diffLines, inputFields, permissionTitle, planModes, verdictText } from '../permission-text.js';

/** An answer as the card gives it; the app sends it over the WebSocket. */
export interface PermissionReply {
  behavior: 'allow' | 'deny';
  message?: string | undefined;
  scope?: 'once' | 'session' | undefined;
  mode?: PermissionMode | undefined;
}

/** Answers a request; rejects when the answer did not go through, and the card can be answered again. */
export type AnswerPermission = (requestId: string, reply: PermissionReply) => Promise<void>;

type PermissionItem = Extract<RunItem, { kind: 'permission' }>;

export interface PermissionCard {
  el: HTMLElement;
  update(item: PermissionItem): void;
}

/** The card's title is an h4, under the run's "You" (an h3); a plan's own headings nest below it. */
const TITLE_LEVEL = 4;

export function createPermissionCard(item: PermissionItem, answer: AnswerPermission): PermissionCard {
  const isPlan = item.preview?.kind === 'plan';
  const el = h('div', { class: 'permission', role: 'group', 'aria-label': `Permission for ${item.toolName}`, 'data-kind': item.preview?.kind ?? 'input' });
  // Focusable so an answer given from this card can leave the focus on its outcome, not on <body>.
  const verdict = h('p', { class: 'verdict', tabindex: '-1' });
  const actions = isPlan ? planActions(item.requestId, answer) : toolActions(item.requestId, answer);
  el.append(h('h4', { class: 'permission-title' }, [permissionTitle(item.toolName, item.preview)]), ...body(item), actions, verdict);

  const update = (next: PermissionItem) => {
    el.dataset.state = next.resolved?.behavior ?? 'open';
    const focusWasInActions = actions.contains(document.activeElement);
    actions.hidden = next.resolved !== undefined;
    verdict.hidden = next.resolved === undefined;
    if (!next.resolved) return;
    setText(verdict, verdictText(next.resolved, isPlan));
    if (focusWasInActions) verdict.focus({ preventScroll: true });
  };
  update(item);
  return { el, update };
}

function body(item: PermissionItem): HTMLElement[] {
  const preview: PermissionPreview | undefined = item.preview;
  switch (preview?.kind) {
    case 'command': {
      const description = said(preview.description ?? item.description, item.toolName);
      return [...(description ? [h('p', { class: 'permission-desc' }, [description])] : []), codeBlock(preview.command, 'permission-code')];
    }
    case 'diff':
      return diffBody(preview, item.input);
    case 'plan': {
      const md = createMarkdownView('permission-plan md', { headingsBelow: TITLE_LEVEL });
      md.update(preview.plan, false);
      return [md.el];
    }
    default: {
      const description = said(item.description, item.toolName);
      return [...(description ? [h('p', { class: 'permission-desc' }, [description])] : []), fields(item.input)];
    }
  }
}

/** A description worth a line: not empty, and not merely the tool's name again (what the CLI sends when it has nothing better). */
function said(description: string | undefined, toolName: string): string | undefined {
  const text = description?.trim();
  return text && text !== toolName ? text : undefined;
}

function diffBody(preview: Extract<PermissionPreview, { kind: 'diff' }>, input: unknown): HTMLElement[] {
  const stat = h('p', { class: 'diff-stat' }, [
    h('span', { class: 'diff-count', 'data-kind': 'add' }, [`+${preview.additions}`]),
    ' ',
    h('span', { class: 'diff-count', 'data-kind': 'del' }, [`−${preview.deletions}`]),
    preview.isNew ? ' (a new file)' : '',
  ]);
  stat.setAttribute('aria-label', `${preview.additions} lines added, ${preview.deletions} removed${preview.isNew ? ', a new file' : ''}`);
  const parts: HTMLElement[] = [h('p', { class: 'permission-path' }, [h('code', {}, [preview.path])]), stat];
  if (preview.note) parts.push(h('p', { class: 'permission-note' }, [preview.note]));
  const lines = diffLines(preview.diff).filter((line) => line.kind !== 'header');
  if (lines.length === 0) {
    // No diff (too large, outside the folders, unreadable): the input tells what would change.
    parts.push(fields(input));
    return parts;
  }
  const pre = h('pre', { class: 'diff' }, lines.map((line) => h('span', { class: 'diff-line', 'data-kind': line.kind }, [`${line.text}\n`])));
  makeScrollable(pre);
  parts.push(pre);
  return parts;
}

function codeBlock(text: string, className: string): HTMLElement {
  const pre = h('pre', { class: className }, [h('code', {}, [text])]);
  makeScrollable(pre);
  return pre;
}

/** The input as labelled fields; a long value folds under its label. */
function fields(input: unknown): HTMLElement {
  const list = inputFields(input);
  if (list.length === 0) return h('p', { class: 'muted' }, ['(no input)']);
  return h(
    'dl',
    { class: 'permission-fields' },
    list.flatMap((field) =>
      field.long
        ? [
            h('dt', {}, [field.label]),
            h('dd', {}, [
              h('details', { class: 'permission-fold' }, [
                h('summary', {}, [`Show ${field.label} (${field.value.split('\n').length} lines, ${field.value.length} characters)`]),
                codeBlock(field.value, 'permission-value'),
              ]),
            ]),
          ]
        : [h('dt', {}, [field.label]), h('dd', {}, [h('code', { class: 'permission-value' }, [field.value])])],
    ),
  );
}

/** Disables the card's controls while an answer is on its way; gives them back if it failed. */
function sending(controls: Array<HTMLButtonElement | HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>, send: () => Promise<void>): void {
  for (const c of controls) c.disabled = true;
  send().catch(() => {
    for (const c of controls) c.disabled = false;
  });
}

function toolActions(requestId: string, answer: AnswerPermission): HTMLElement {
  const message = h('input', { type: 'text', maxlength: '10000', autocomplete: 'off', class: 'permission-input' }) as HTMLInputElement;
  const allow = h('button', { type: 'button', class: 'primary' }, ['Allow']);
  const always = h('button', { type: 'button' }, ['Allow for this session']);
  const deny = h('button', { type: 'button' }, ['Deny']);
  const controls = [allow, always, deny, message];
  const reply = (r: PermissionReply) => sending(controls, () => answer(requestId, r));
  allow.addEventListener('click', () => reply({ behavior: 'allow', scope: 'once' }));
  always.addEventListener('click', () => reply({ behavior: 'allow', scope: 'session' }));
  deny.addEventListener('click', () => reply({ behavior: 'deny', message: message.value.trim() || undefined }));
  // Deny sits with its message, as Keep planning sits with its feedback.
  return h('div', { class: 'permission-actions' }, [
    h('div', { class: 'row' }, [allow, always]),
    h('div', { class: 'permission-choice' }, [h('label', { class: 'permission-label' }, ['Message to Claude if you deny (optional)', message]), deny]),
  ]);
}

function planActions(requestId: string, answer: AnswerPermission): HTMLElement {
  const mode = h(
    'select',
    { class: 'permission-input' },
    planModes().map((m) => h('option', { value: m.mode }, [m.label])),
  ) as HTMLSelectElement;
  const feedback = h('textarea', { rows: '2', maxlength: '10000', class: 'permission-input' }) as HTMLTextAreaElement;
  const approve = h('button', { type: 'button', class: 'primary' }, ['Approve and run']);
  const keep = h('button', { type: 'button' }, ['Keep planning']);
  const controls = [approve, keep, mode, feedback];
  approve.addEventListener('click', () =>
    sending(controls, () => answer(requestId, { behavior: 'allow', mode: mode.value as PermissionMode })),
  );
  keep.addEventListener('click', () =>
    sending(controls, () => answer(requestId, { behavior: 'deny', message: feedback.value.trim() || undefined })),
  );
  return h('div', { class: 'permission-actions' }, [
    h('div', { class: 'permission-choice' }, [h('label', { class: 'permission-label' }, ['Then continue in', mode]), approve]),
    h('div', { class: 'permission-choice' }, [h('label', { class: 'permission-label' }, ['Feedback for Claude (optional)', feedback]), keep]),
  ]);
}
