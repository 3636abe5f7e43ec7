/**
 * One run: the user's prompt, then what Claude streamed (markdown text,
 * collapsed thinking, tool cards, notices, permission requests), then the
 * footer. Updated in place: only items the reducer gave a new object are
 * touched, so streaming changes one text item per frame.
 */
import { h, makeScrollable, setText } from '../../dom.js';
import { createMarkdownView } from '../../render/markdown.js';
import type { RunItem, RunState, ToolCall } from '../../state/reducer.js';
import { createPermissionCard, type AnswerPermission } from './permission-card.js';
import type { EntryView } from './rows.js';
import { renderPromptFiles } from './prompt-files.js';
import { renderFooter } from './run-footer.js';

export type { PermissionReply } from './permission-card.js';

export interface TranscriptHandlers {
  onPermission: AnswerPermission;
  /** The address of a file of the shown session's folder (a prompt's attachments); `download` to save it. */
  fileUrl(path: string, download: boolean): string;
}
/** A run's heading ("You", an h3 under the session's h2): Claude's headings nest below it. */
const RUN_HEADING_LEVEL = 3;

interface ItemView {
  el: HTMLElement;
  item: RunItem;
  update(item: RunItem): void;
}

export function createRunView(handlers: TranscriptHandlers): EntryView {
  const promptText = h('div', { class: 'prompt-text' });
  const promptFiles = h('ul', { class: 'prompt-files', 'aria-label': 'Attached files' });
  const promptBox = h('div', { class: 'prompt' }, [h('h3', { class: 'who' }, ['You']), promptText, promptFiles]);
  const items = h('div', { class: 'items' });
  const waiting = h('p', { class: 'waiting' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Waiting for Claude…']);
  const footer = h('footer', { class: 'run-footer' });
  const el = h('article', { class: 'run' }, [promptBox, items, waiting, footer]);
  const itemViews: ItemView[] = [];
  let last: RunState | undefined;

  const update = (run: RunState | undefined) => {
    if (!run || run === last) return;
    const prev = last;
    last = run;
    el.dataset.runId = run.runId;
    // Queued prompts are listed by the queue panel until they start.
    el.hidden = run.status === 'queued';
    el.dataset.status = run.status;
    setText(promptText, run.prompt);
    promptText.hidden = run.prompt === '';
    if (run.attachments !== prev?.attachments) renderPromptFiles(promptFiles, run.attachments, handlers.fileUrl);
    // A run known only from its later events (history trimmed) has no prompt to show.
    promptBox.hidden = run.prompt === '' && !run.attachments?.length;
    run.items.forEach((item, i) => updateItem(items, itemViews, i, item, handlers));
    waiting.hidden = !(run.status === 'running' && run.items.length === 0);
    // Not on every delta: rebuilding would restart the spinner's animation.
    const footerChanged =
      !prev ||
      prev.status !== run.status ||
      prev.usage !== run.usage ||
      prev.outcome !== run.outcome ||
      prev.started !== run.started ||
      prev.retrying !== run.retrying;
    if (footerChanged) renderFooter(footer, run);
  };
  return { el, update };
}

/** Item i: left alone when unchanged, updated when of the same kind, else made anew. */
function updateItem(container: HTMLElement, views: ItemView[], i: number, item: RunItem, handlers: TranscriptHandlers): void {
  const existing = views[i];
  if (existing && existing.item === item) return;
  if (existing && sameSlot(existing.item, item)) {
    existing.update(item);
    existing.item = item;
    return;
  }
  const fresh = createItem(item, handlers);
  if (existing) existing.el.replaceWith(fresh.el);
  else container.append(fresh.el);
  views[i] = fresh;
}

/** Whether `next` is a later state of the item a view shows (a permission card is one request's). */
function sameSlot(shown: RunItem, next: RunItem): boolean {
  if (shown.kind !== next.kind) return false;
  return shown.kind !== 'permission' || (next.kind === 'permission' && shown.requestId === next.requestId);
}

function createItem(item: RunItem, handlers: TranscriptHandlers): ItemView {
  switch (item.kind) {
    case 'text': {
      const md = createMarkdownView('assistant md', { headingsBelow: RUN_HEADING_LEVEL });
      const view: ItemView = { el: md.el, item, update: (next) => next.kind === 'text' && md.update(next.text, next.streaming) };
      view.update(item);
      return view;
    }
    case 'thinking':
      return createThinking(item);
    case 'tool':
      return createTool(item);
    case 'notice': {
      const el = h('p', { class: 'notice' });
      const update = (next: RunItem) => {
        if (next.kind !== 'notice') return;
        el.dataset.level = next.level;
        setText(el, next.text);
      };
      update(item);
      return { el, item, update };
    }
    case 'permission': {
      const card = createPermissionCard(item, handlers.onPermission);
      return { el: card.el, item, update: (next) => next.kind === 'permission' && card.update(next) };
    }
    default: {
      const never: never = item;
      return never;
    }
  }
}

/** Collapsed until opened. */
function createThinking(item: Extract<RunItem, { kind: 'thinking' }>): ItemView {
  const text = h('div', { class: 'thinking-text' });
  const el = h('details', { class: 'thinking' }, [h('summary', {}, ['Thinking']), text]);
  const update = (next: RunItem) => next.kind === 'thinking' && setText(text, next.text);
  update(item);
  return { el, item, update };
}

/** A card: name, one-line summary and status in the summary row; the output (plain text) when opened. */
function createTool(item: Extract<RunItem, { kind: 'tool' }>): ItemView {
  const name = h('span', { class: 'tool-name' });
  const summary = h('code', { class: 'tool-summary' });
  const status = h('span', { class: 'tool-status' });
  const output = h('pre', { class: 'tool-output' });
  // Long output scrolls inside its box.
  makeScrollable(output);
  const el = h('details', { class: 'tool' }, [h('summary', { class: 'tool-head' }, [name, summary, status]), output]);
  let prev: ToolCall | undefined;
  const update = (next: RunItem) => {
    if (next.kind !== 'tool') return;
    const tool = next.tool;
    el.dataset.status = tool.status;
    setText(name, tool.name);
    setText(summary, tool.summary);
    summary.hidden = tool.summary === '';
    if (prev?.status !== tool.status) {
      if (tool.status === 'running') status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…');
      else status.replaceChildren(tool.status === 'ok' ? 'ok' : 'error');
    }
    if (tool.status === 'running') setText(output, 'Still running…');
    else {
      const text = tool.output === '' ? '(no output)' : tool.output;
      setText(output, tool.truncated ? `${text}\n[output truncated]` : text);
    }
    prev = tool;
  };
  update(item);
  return { el, item, update };
}
