/** A run's footer: its status badge, then cost, tokens, duration and turns once it ended. */
import type { TokenUsage } from '../../../server/protocol/events.js';
import { h } from '../../dom.js';
import { formatCost, formatDuration, formatTokens, plural } from '../../format.js';
import type { RunState } from '../../state/reducer.js';

export function renderFooter(footer: HTMLElement, run: RunState): void {
  const outcome = run.outcome;
  if (run.status === 'queued') {
    footer.replaceChildren();
    return;
  }
  if (!outcome) {
    const badge = h('span', { class: 'badge', 'data-status': 'running' }, [h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'running…']);
    footer.replaceChildren(badge, ...(run.usage ? tokenParts(run.usage) : []));
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
  // An interrupted or cancelled run says so in its badge; only failures need
  // their text, and not twice when the CLI already printed it as the answer.
  const lastText = [...run.items].reverse().find((i) => i.kind === 'text');
  const showError = outcome.status === 'error' && outcome.error && outcome.error.trim() !== lastText?.text.trim();
  const error = showError ? h('p', { class: 'run-error' }, [outcome.error ?? '']) : null;
  footer.replaceChildren(...parts, ...(error ? [error] : []));
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
