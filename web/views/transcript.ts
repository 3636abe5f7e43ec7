/**
 * The transcript of one session: each run as the user's prompt, then what
 * Claude streamed (text, thinking, tool cards, notices), then a footer with
 * cost, tokens, duration, turns and status.
 *
 * Rendering is keyed and incremental: the timeline only grows, so entries are
 * appended once and then updated in place, and an item is touched only when
 * the reducer gave it a new object. That keeps streaming cheap and keeps the
 * reader's open <details> and text selection intact.
 */
import { h, setText } from '../dom.js';
import { formatCost, formatDuration, formatTokens, oneLine, plural } from '../format.js';
import type { RunItem, RunState, SessionState, TimelineEntry, ToolCall } from '../state/reducer.js';

export interface TranscriptHandlers {
  onPermission(requestId: string, behavior: 'allow' | 'deny'): void;
}

export interface TranscriptView {
  render(state: SessionState | undefined): void;
}

const PERMISSION_INPUT_CHARS = 300;

export function createTranscriptView(root: HTMLElement, handlers: TranscriptHandlers): TranscriptView {
  let sessionId: string | undefined;
  const entries = new Map<string, EntryView>();

  return {
    render(state) {
      if (state?.sessionId !== sessionId) {
        sessionId = state?.sessionId;
        entries.clear();
        root.replaceChildren();
      }
      if (!state) return;
      for (const entry of state.timeline) {
        const key = entryKey(entry);
        let view = entries.get(key);
        if (!view) {
          view = createEntry(entry, handlers);
          entries.set(key, view);
          root.append(view.el);
        }
        view.update(state);
      }
    },
  };
}

function entryKey(entry: TimelineEntry): string {
  return entry.kind === 'run' ? `run:${entry.runId}` : `${entry.kind}:${entry.seq}`;
}

interface EntryView {
  el: HTMLElement;
  update(state: SessionState): void;
}

function createEntry(entry: TimelineEntry, handlers: TranscriptHandlers): EntryView {
  switch (entry.kind) {
    case 'run': {
      const view = createRunView(handlers);
      return {
        el: view.el,
        update: (state) => {
          const run = state.runs[entry.runId];
          if (run) view.update(run);
        },
      };
    }
    case 'notice':
      return { el: h('p', { class: 'notice', 'data-level': entry.level }, [entry.text]), update: () => {} };
    case 'cleared':
      return { el: h('p', { class: 'divider' }, ['New conversation']), update: () => {} };
    default: {
      const never: never = entry;
      return never;
    }
  }
}

interface ItemView {
  el: HTMLElement;
  item: RunItem;
}

function createRunView(handlers: TranscriptHandlers) {
  const promptText = h('div', { class: 'prompt-text' });
  let promptBox: HTMLElement;
  const items = h('div', { class: 'items' });
  const waiting = h('p', { class: 'waiting' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Waiting for Claude…']);
  const footer = h('footer', { class: 'run-footer' });
  const el = h('article', { class: 'run' }, [
    (promptBox = h('div', { class: 'prompt' }, [h('h3', { class: 'who' }, ['You']), promptText])),
    items,
    waiting,
    footer,
  ]);
  const itemViews: ItemView[] = [];
  let last: RunState | undefined;

  const update = (run: RunState) => {
    if (run === last) return;
    const prev = last;
    last = run;
    // Queued prompts are listed by the queue panel until they start.
    el.hidden = run.status === 'queued';
    el.dataset.status = run.status;
    setText(promptText, run.prompt);
    // A run known only from its later events (history trimmed) has no prompt to show.
    promptBox.hidden = run.prompt === '';
    run.items.forEach((item, i) => {
      const existing = itemViews[i];
      if (existing && existing.item === item) return;
      if (existing && existing.item.kind === item.kind) {
        updateItem(existing.el, item, handlers);
        existing.item = item;
        return;
      }
      const fresh = { el: createItem(item, handlers), item };
      if (existing) existing.el.replaceWith(fresh.el);
      else items.append(fresh.el);
      itemViews[i] = fresh;
    });
    waiting.hidden = !(run.status === 'running' && run.items.length === 0);
    // Not on every delta: rebuilding would restart the spinner's animation.
    const footerChanged =
      !prev || prev.status !== run.status || prev.usage !== run.usage || prev.outcome !== run.outcome || prev.started !== run.started;
    if (footerChanged) renderFooter(footer, run);
  };
  return { el, update };
}

function createItem(item: RunItem, handlers: TranscriptHandlers): HTMLElement {
  let el: HTMLElement;
  switch (item.kind) {
    case 'text':
      el = h('div', { class: 'assistant' });
      break;
    case 'thinking':
      el = h('details', { class: 'thinking' }, [h('summary', {}, ['Thinking']), h('div', { class: 'thinking-text' })]);
      break;
    case 'tool':
      el = h('section', { class: 'tool' }, [
        h('div', { class: 'tool-head' }, [
          h('span', { class: 'tool-name' }),
          h('code', { class: 'tool-summary' }),
          h('span', { class: 'tool-status' }),
        ]),
      ]);
      break;
    case 'notice':
      el = h('p', { class: 'notice' });
      break;
    case 'permission':
      el = h('div', { class: 'permission', role: 'group' });
      break;
    default: {
      const never: never = item;
      return never;
    }
  }
  updateItem(el, item, handlers);
  return el;
}

/** Precondition: `el` was made by createItem for an item of the same kind. */
function updateItem(el: HTMLElement, item: RunItem, handlers: TranscriptHandlers): void {
  switch (item.kind) {
    case 'text':
      setText(el, item.text);
      el.classList.toggle('streaming', item.streaming);
      return;
    case 'thinking':
      setText(el.querySelector('.thinking-text')!, item.text);
      return;
    case 'tool':
      updateTool(el, item.tool);
      return;
    case 'notice':
      el.dataset.level = item.level;
      setText(el, item.text);
      return;
    case 'permission':
      renderPermission(el, item, handlers);
      return;
    default: {
      const never: never = item;
      return never;
    }
  }
}

function updateTool(el: HTMLElement, tool: ToolCall): void {
  el.dataset.status = tool.status;
  el.setAttribute('aria-label', `Tool ${tool.name}`);
  setText(el.querySelector('.tool-name')!, tool.name);
  const summary = el.querySelector<HTMLElement>('.tool-summary')!;
  setText(summary, tool.summary);
  summary.hidden = tool.summary === '';
  const status = el.querySelector<HTMLElement>('.tool-status')!;
  if (tool.status === 'running') {
    status.replaceChildren(h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…');
  } else {
    status.replaceChildren(tool.status === 'ok' ? 'ok' : 'error');
  }
  let details = el.querySelector<HTMLDetailsElement>('details.tool-output');
  if (tool.status === 'running') {
    details?.remove();
    return;
  }
  if (!details) {
    details = h('details', { class: 'tool-output' }, [h('summary', {}, ['Output']), h('pre', {})]);
    el.append(details);
  }
  const output = tool.output === '' ? '(no output)' : tool.output;
  setText(details.querySelector('pre')!, tool.truncated ? `${output}\n[output truncated]` : output);
}

function renderPermission(el: HTMLElement, item: Extract<RunItem, { kind: 'permission' }>, handlers: TranscriptHandlers): void {
  el.setAttribute('aria-label', `Permission for ${item.toolName}`);
  const input = oneLine(safeJson(item.input), PERMISSION_INPUT_CHARS);
  const what = h('p', {}, ['Claude wants to use ', h('strong', {}, [item.toolName]), input ? ': ' : '', input ? h('code', {}, [input]) : null]);
  if (item.resolved) {
    const verdict = item.resolved.behavior === 'allow' ? 'Allowed' : 'Denied';
    el.replaceChildren(what, h('p', { class: 'verdict' }, [`${verdict} (${item.resolved.by})`]));
    return;
  }
  const allow = h('button', { type: 'button', class: 'primary' }, ['Allow']);
  const deny = h('button', { type: 'button' }, ['Deny']);
  const answer = (behavior: 'allow' | 'deny') => {
    allow.disabled = true;
    deny.disabled = true;
    handlers.onPermission(item.requestId, behavior);
  };
  allow.addEventListener('click', () => answer('allow'));
  deny.addEventListener('click', () => answer('deny'));
  el.replaceChildren(what, h('div', { class: 'row' }, [allow, deny]));
}

function renderFooter(footer: HTMLElement, run: RunState): void {
  const outcome = run.outcome;
  if (run.status === 'queued') {
    footer.replaceChildren();
    return;
  }
  if (!outcome) {
    const usage = run.usage;
    const badge = h('span', { class: 'badge', 'data-status': 'running' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…']);
    if (usage) footer.replaceChildren(badge, h('span', {}, [`${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out tokens`]));
    else footer.replaceChildren(badge);
    return;
  }
  if (!run.started) {
    footer.replaceChildren(h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]), h('span', {}, ['never started']));
    return;
  }
  const parts = [
    h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]),
    h('span', { title: 'Cost' }, [formatCost(outcome.costUsd)]),
    h('span', {}, [`${formatTokens(outcome.usage.inputTokens)} in / ${formatTokens(outcome.usage.outputTokens)} out tokens`]),
    h('span', { title: 'Duration' }, [formatDuration(outcome.durationMs)]),
    h('span', {}, [plural(outcome.numTurns, 'turn')]),
  ];
  // An interrupted or cancelled run says so in its badge; only failures need
  // their text, and not twice when the CLI already printed it as the answer.
  const lastText = [...run.items].reverse().find((i) => i.kind === 'text');
  const showError = outcome.status === 'error' && outcome.error && outcome.error.trim() !== lastText?.text.trim();
  const error = showError ? h('p', { class: 'run-error' }, [outcome.error ?? '']) : null;
  footer.replaceChildren(...parts, ...(error ? [error] : []));
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value) ?? '';
  } catch {
    return String(value);
  }
}
