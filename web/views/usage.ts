/**
 * The usage page: the 5-hour block in progress (burn-down, rate,
 * projection, the user's limit), the last 30 days, and the same by model
 * and by project. A modal <dialog>: focus stays in it, Esc closes it, and on
 * a phone it fills the screen. Everything is text nodes and SVG elements.
 */
import type { UsageAnswer, UsageModel, UsageProject } from '../../server/protocol/usage.js';
import { h } from '../dom.js';
import { formatCost, formatTokens, plural, timeAgo } from '../format.js';
import type { UsageFeed } from '../features/usage-chip.js';
import { limitWarning, loadLimits, saveLimits, type UsageLimits } from '../features/usage-limits.js';
import { burnDownChart, dailyChart } from './usage-charts.js';
import { clock, compactTokens, minutesLeft, money } from './usage-format.js';
import '../styles/usage.css';

export function openUsagePage(feed: UsageFeed): void {
  // Two live parts around the limits form, which is left alone so a refresh never eats what is being typed.
  const top = h('div', { class: 'usage-live' }, [h('p', { class: 'muted' }, ['Reading the transcripts…'])]);
  const bottom = h('div', { class: 'usage-live' });
  const close = h('button', { type: 'button', class: 'ghost' }, ['Close']);
  const dialog = h('dialog', { class: 'dialog usage-page', 'aria-labelledby': 'usage-title' }, [
    h('header', { class: 'usage-head' }, [h('h2', { id: 'usage-title' }, ['Usage']), close]),
    h('div', { class: 'usage-body' }, [top, limitsForm(loadLimits(), () => feed.refresh(0)), bottom]),
  ]) as HTMLDialogElement;
  const render = () => {
    const latest = feed.latest();
    if (!latest) return;
    const { answer } = latest;
    top.replaceChildren(...topSections(answer, feed.minutesLeft()));
    bottom.replaceChildren(...bottomSections(answer));
  };
  const unsubscribe = feed.subscribe(render);
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    unsubscribe();
    dialog.remove();
  });
  document.body.append(dialog);
  dialog.showModal();
  feed.refresh(0);
}

// The big figures are <div>s, not <p>s: a large bold paragraph reads as a heading that is not one (axe p-as-heading).
function topSections(answer: UsageAnswer, left: number | undefined): HTMLElement[] {
  return [
    h('p', { class: 'muted usage-intro' }, ["This machine's Claude Code use, read from the CLI's own transcripts: runs made outside this app count too."]),
    blockSection(answer, left, loadLimits()),
    h('section', { class: 'usage-today', 'aria-labelledby': 'usage-today-h' }, [
      h('h3', { id: 'usage-today-h' }, ['Today']),
      h('div', { class: 'usage-big' }, [money(answer.today.costUsd), h('span', { class: 'muted' }, [` · ${formatTokens(answer.today.totalTokens)} tokens`])]),
      answer.server ? h('p', { class: 'muted' }, [`Through this app: ${formatCost(answer.server.costUsd)} over ${plural(answer.server.runs, 'run')}.`]) : null,
    ]),
  ];
}

function bottomSections(answer: UsageAnswer): HTMLElement[] {
  return [
    h('section', { class: 'usage-wide', 'aria-labelledby': 'usage-days-h' }, [h('h3', { id: 'usage-days-h' }, ['Last 30 days']), dailyChart(answer.days)]),
    table('By model', ['Model', 'Tokens', 'Cost', 'Priced from'], answer.models.map(modelRow)),
    table('By project', ['Project', 'Tokens', 'Cost', 'Last used'], answer.projects.map(projectRow)),
    sourceNote(answer),
  ];
}

function blockSection(answer: UsageAnswer, left: number | undefined, limits: UsageLimits): HTMLElement {
  const block = answer.activeBlock;
  const heading = h('h3', { id: 'usage-block-h' }, ['This 5-hour block']);
  if (!block || left === undefined) {
    return h('section', { class: 'usage-block', 'aria-labelledby': 'usage-block-h' }, [heading, h('p', { class: 'muted' }, ['No block in progress: the next message starts one.'])]);
  }
  const warning = limitWarning(block, limits, money, compactTokens);
  return h('section', { class: 'usage-block', 'aria-labelledby': 'usage-block-h' }, [
    heading,
    h('div', { class: 'usage-big' }, [`${minutesLeft(left)} left`, h('span', { class: 'muted' }, [` · ${clock(block.startTime)}–${clock(block.endTime)}`])]),
    warning ? h('p', { class: 'usage-warning', role: 'alert', 'data-already': String(warning.already) }, [warning.text]) : null,
    burnDownChart(answer, limits.tokens, Date.now()) ?? null,
    h('dl', { class: 'usage-figures' }, [
      ...figure('Used', `${formatTokens(block.totalTokens)} tokens · ${money(block.costUsd)}`),
      ...figure('Rate', `${compactTokens(block.burnRate.tokensPerHour)} tokens/h · ${money(block.burnRate.costPerHour)}/h`),
      ...figure(`By ${clock(block.endTime)}`, `${formatTokens(block.projection.totalTokens)} tokens · ${money(block.projection.costUsd)}`),
      ...figure('Kinds', `${compactTokens(block.inputTokens)} in · ${compactTokens(block.outputTokens)} out · ${compactTokens(block.cacheCreationTokens)} cache write · ${compactTokens(block.cacheReadTokens)} cache read`),
    ]),
  ]);
}

const figure = (term: string, value: string) => [h('dt', {}, [term]), h('dd', {}, [value])];

function limitsForm(limits: UsageLimits, saved: () => void): HTMLElement {
  const cost = h('input', { id: 'usage-limit-cost', type: 'number', min: '0', step: 'any', inputmode: 'decimal', value: limits.costUsd?.toString() ?? '', placeholder: 'none' }) as HTMLInputElement;
  const tokens = h('input', { id: 'usage-limit-tokens', type: 'number', min: '0', step: 'any', inputmode: 'numeric', value: limits.tokens?.toString() ?? '', placeholder: 'none' }) as HTMLInputElement;
  const form = h('form', { class: 'usage-limits', 'aria-labelledby': 'usage-limits-h' }, [
    h('h3', { id: 'usage-limits-h' }, ['Warn me']),
    h('p', { class: 'muted' }, ['When a block is on course to pass either limit. Kept in this browser only.']),
    h('div', { class: 'usage-limit-row' }, [
      h('label', { for: 'usage-limit-cost' }, ['Cost per block ($)']),
      cost,
      h('label', { for: 'usage-limit-tokens' }, ['Tokens per block']),
      tokens,
      h('button', { type: 'submit' }, ['Save limits']),
    ]),
  ]);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    saveLimits({ costUsd: cost.valueAsNumber, tokens: tokens.valueAsNumber });
    saved();
  });
  return form;
}

function table(caption: string, head: string[], rows: HTMLTableRowElement[]): HTMLElement {
  const id = `usage-${caption.toLowerCase().replace(/\W+/g, '-')}`;
  return h('section', { 'aria-labelledby': id }, [
    h('h3', { id }, [caption]),
    rows.length === 0
      ? h('p', { class: 'muted' }, ['Nothing in the last 30 days.'])
      : h('div', { class: 'usage-table-wrap' }, [
          h('table', { class: 'usage-table' }, [
            h('thead', {}, [h('tr', {}, head.map((c) => h('th', { scope: 'col' }, [c])))]),
            h('tbody', {}, rows),
          ]),
        ]),
  ]);
}

const PRICED_FROM: Record<UsageModel['costSource'], string> = {
  transcript: 'transcript',
  priceTable: 'price table',
  mixed: 'both',
  none: 'unknown model: $0',
};

function modelRow(m: UsageModel): HTMLTableRowElement {
  return h('tr', {}, [h('th', { scope: 'row' }, [m.model]), h('td', {}, [compactTokens(m.totalTokens)]), h('td', {}, [money(m.costUsd)]), h('td', {}, [PRICED_FROM[m.costSource]])]);
}

function projectRow(p: UsageProject): HTMLTableRowElement {
  const name = p.path ?? p.project;
  return h('tr', {}, [
    h('th', { scope: 'row', title: name }, [name]),
    h('td', {}, [compactTokens(p.totalTokens)]),
    h('td', {}, [money(p.costUsd)]),
    h('td', {}, [timeAgo(p.lastActivity)]),
  ]);
}

function sourceNote(answer: UsageAnswer): HTMLElement {
  const { costs, priceTable, roots, files, unreadableFiles } = answer.source;
  const lines = [
    `Costs: ${plural(costs.fromTranscript, 'message')} priced by the transcript itself, ${plural(costs.fromPriceTable, 'message')} from the price table of ${priceTable.takenAt}` +
      (costs.unpriced > 0 ? `, ${plural(costs.unpriced, 'message')} of models it does not know (${costs.unpricedModels.join(', ') || 'none'}) counted as $0.` : '.'),
    `Read ${plural(files, 'file')} in ${roots.map((r) => `${r.path}${r.exists ? '' : ' (missing)'}`).join(', ')}` +
      (unreadableFiles > 0 ? `; ${plural(unreadableFiles, 'file')} could not be read.` : '.'),
    'Blocks follow ccusage: 5 hours from the first message, floored to the hour. Days are the server\'s days.',
  ];
  return h('footer', { class: 'usage-source muted' }, lines.map((l) => h('p', {}, [l])));
}
