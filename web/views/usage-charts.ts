/**
 * Two small charts as SVG built node by node (no library: a bar chart and a
 * line are a few dozen lines, where the smallest charting libraries weigh
 * 15-70 KB gzipped against our 100 KB budget, and nothing here is markup
 * from a string, so the CSP and XSS stay out of it). Shapes are drawn in a
 * unit box stretched to the width (`preserveAspectRatio="none"`, strokes
 * that do not scale); labels are HTML around the SVG, so they stay legible.
 */
import type { UsageAnswer, UsageDay } from '../../server/protocol/usage.js';
import { h } from '../dom.js';
import { clock, compactTokens, money, shortDate } from './usage-format.js';

const SVG = 'http://www.w3.org/2000/svg';
const W = 300;
const H = 100;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, children: Node[] = []): SVGElementTagNameMap[K] {
  const el = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) el.setAttribute(name, String(value));
  el.append(...children);
  return el;
}

function title(text: string): SVGTitleElement {
  const t = svg('title', {});
  t.textContent = text;
  return t;
}

function frame(label: string, children: Node[]): SVGSVGElement {
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, preserveAspectRatio: 'none', role: 'img', 'aria-label': label, class: 'usage-chart-svg' }, children);
}

/** Cost per day, today last; a bar's tooltip has the day's figures. */
export function dailyChart(days: readonly UsageDay[]): HTMLElement {
  const max = Math.max(...days.map((d) => d.costUsd), 0);
  const slot = W / Math.max(days.length, 1);
  const bars = days.map((day, i) => {
    const height = max > 0 ? Math.max((day.costUsd / max) * (H - 2), day.costUsd > 0 ? 1.5 : 0) : 0;
    return svg('rect', { x: i * slot + slot * 0.15, y: H - height, width: slot * 0.7, height, class: i === days.length - 1 ? 'bar today' : 'bar' }, [
      title(`${shortDate(day.date)}: ${money(day.costUsd)}, ${compactTokens(day.totalTokens)} tokens`),
    ]);
  });
  const total = days.reduce((sum, d) => sum + d.costUsd, 0);
  const first = days[0];
  const last = days[days.length - 1];
  return h('figure', { class: 'usage-chart' }, [
    h('div', { class: 'usage-chart-y' }, [h('span', {}, [money(max)]), h('span', {}, ['$0'])]),
    frame(`Cost per day over the last ${days.length} days: ${money(total)} in all, at most ${money(max)} a day.`, [
      svg('line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis', 'vector-effect': 'non-scaling-stroke' }),
      ...bars,
    ]),
    h('figcaption', { class: 'usage-chart-x' }, [h('span', {}, [first ? shortDate(first.date) : '']), h('span', {}, [last ? 'Today' : ''])]),
  ]);
}

/** Tokens used so far in the block, the line at this rate to its end, and the user's token limit if any. */
export function burnDownChart(answer: UsageAnswer, tokenLimit: number | undefined, now: number): HTMLElement | undefined {
  const block = answer.activeBlock;
  if (!block) return undefined;
  const start = Date.parse(block.startTime);
  const end = Date.parse(block.endTime);
  const top = Math.max(block.projection.totalTokens, tokenLimit ?? 0, block.totalTokens, 1) * 1.05;
  const x = (time: number) => ((time - start) / (end - start)) * W;
  const y = (tokens: number) => H - (tokens / top) * H;
  const points = [`${x(start)},${H}`, ...answer.burnDown.map((p) => `${x(Date.parse(p.time))},${y(p.totalTokens)}`)];
  const nowX = Math.min(W, x(now));
  const used = svg('polyline', { points: [...points, `${nowX},${y(block.totalTokens)}`].join(' '), class: 'used', 'vector-effect': 'non-scaling-stroke' });
  const ahead = svg('line', { x1: nowX, y1: y(block.totalTokens), x2: W, y2: y(block.projection.totalTokens), class: 'projected', 'vector-effect': 'non-scaling-stroke' });
  const limit =
    tokenLimit === undefined ? [] : [svg('line', { x1: 0, y1: y(tokenLimit), x2: W, y2: y(tokenLimit), class: 'limit', 'vector-effect': 'non-scaling-stroke' })];
  const nowLine = svg('line', { x1: nowX, y1: 0, x2: nowX, y2: H, class: 'now', 'vector-effect': 'non-scaling-stroke' });
  return h('figure', { class: 'usage-chart' }, [
    h('div', { class: 'usage-chart-y' }, [h('span', {}, [compactTokens(top)]), h('span', {}, ['0'])]),
    frame(
      `Tokens in this block: ${compactTokens(block.totalTokens)} so far; at this rate ${compactTokens(block.projection.totalTokens)} by its end` +
        (tokenLimit === undefined ? '.' : `; your limit is ${compactTokens(tokenLimit)}.`),
      [svg('line', { x1: 0, y1: H, x2: W, y2: H, class: 'axis', 'vector-effect': 'non-scaling-stroke' }), nowLine, ...limit, used, ahead],
    ),
    h('figcaption', { class: 'usage-chart-x' }, [
      h('span', {}, [clock(block.startTime)]),
      h('span', {}, [clock(block.endTime)]),
    ]),
  ]);
}
