/**
 * A run's footer: its status badge, then cost, tokens, duration and turns
 * once it ended. While the CLI retries a failed API call it says so, counting
 * down to the next attempt; a failed run says what kind of failure it was and
 * what to do (views/run-text.ts has the words).
 */
import type { TokenUsage } from '../../../server/protocol/events.js';
import { h, setText } from '../../dom.js';
import { formatCost, formatDuration, formatTokens, plural } from '../../format.js';
import type { RunState } from '../../state/reducer.js';
import { errorLine, retryingText, retryRemainingMs, type Retrying } from '../run-text.js';

const COUNTDOWN_TICK_MS = 1000;

export function renderFooter(footer: HTMLElement, run: RunState): void {
  const outcome = run.outcome;
  if (run.status === 'queued') {
    footer.replaceChildren();
    return;
  }
  if (!outcome) {
    const retrying = run.retrying;
    const badge = retrying
      ? h('span', { class: 'badge', 'data-status': 'retrying' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'retrying'])
      : h('span', { class: 'badge', 'data-status': 'running' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…']);
    footer.replaceChildren(badge, ...(retrying ? [countdown(retrying)] : []), ...(run.usage ? tokenParts(run.usage) : []));
    return;
  }
  if (!run.started) {
    footer.replaceChildren(h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]), h('span', {}, ['never started']));
    return;
  }
  const parts = [
    h('span', { class: 'badge', 'data-status': outcome.status }, [outcome.status]),
    h('span', { title: 'Cost' }, [formatCost(outcome.costUsd)]),
    ...tokenParts(outcome.usage),
    h('span', { title: 'Duration' }, [formatDuration(outcome.durationMs)]),
    h('span', {}, [plural(outcome.numTurns, 'turn')]),
  ];
  const error = outcome.status === 'error' ? errorParagraph(run) : null;
  footer.replaceChildren(...parts, ...(error ? [error] : []));
}

/**
 * A failed run's kind as a label, then the server's message (written for a
 * person), unless the CLI already printed that very text as the answer.
 */
function errorParagraph(run: RunState): HTMLElement | null {
  const outcome = run.outcome!;
  const lastText = [...run.items].reverse().find((i) => i.kind === 'text');
  const repeated = outcome.error !== undefined && outcome.error.trim() === lastText?.text.trim();
  const { label, text } = errorLine(outcome.errorKind, repeated ? undefined : outcome.error);
  if (!outcome.errorKind && !text) return null;
  const el = h('p', { class: 'run-error' }, [h('strong', { class: 'run-error-kind' }, [`${label}.`]), text ? ` ${text}` : '']);
  if (outcome.errorKind) el.dataset.kind = outcome.errorKind;
  return el;
}

/**
 * "Retrying in 4 s (attempt 2 of 10, HTTP 529)", counting down once a
 * second. The tick stops by itself once the wait is over (the text then says
 * "now" and stays so until the footer is redrawn), so a footer dropped while
 * retrying leaves no timer behind for long.
 */
function countdown(retrying: Retrying): HTMLElement {
  const el = h('span', { class: 'retrying' });
  const tick = () => {
    const now = Date.now();
    setText(el, retryingText(retrying, now));
    return retryRemainingMs(retrying, now) > 0;
  };
  if (tick()) {
    const timer = setInterval(() => {
      if (!tick()) clearInterval(timer);
    }, COUNTDOWN_TICK_MS);
  }
  return el;
}

function tokenParts(usage: TokenUsage): HTMLElement[] {
  const parts = [h('span', {}, [`${formatTokens(usage.inputTokens)} in / ${formatTokens(usage.outputTokens)} out tokens`])];
  if (usage.cacheReadTokens > 0 || usage.cacheWriteTokens > 0) {
    parts.push(
      h('span', { title: 'Prompt cache: tokens read / written' }, [
        `cache ${formatTokens(usage.cacheReadTokens)} read / ${formatTokens(usage.cacheWriteTokens)} written`,
      ]),
    );
  }
  return parts;
}
