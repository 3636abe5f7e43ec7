/**
 * The header chip: time left in the 5-hour block and today's cost on this
 * machine; it opens the usage page. The feed behind it asks the server after
 * runs finish and once a minute, and counts the time left down in between
 * from the server's own figure (so a phone whose clock is off still shows
 * the truth).
 */
import type { UsageAnswer } from '../../server/protocol/usage.js';
import { h, setText } from '../dom.js';
import { usage } from '../net/api.js';
import { compactTokens, minutesLeft, money, shortMinutes } from '../views/usage-format.js';
import { limitWarning, loadLimits } from './usage-limits.js';

export interface UsageFeed {
  /** The last answer, and when it came (Date.now()). */
  latest(): { answer: UsageAnswer; at: number } | undefined;
  /** Minutes left in the active block now, counted down from the last answer. */
  minutesLeft(): number | undefined;
  /** Calls `listener` with each new answer (and at once when there is one); returns the unsubscribe. */
  subscribe(listener: () => void): () => void;
  /** Asks the server after `delayMs` (bursts of finished runs make one request). */
  refresh(delayMs?: number): void;
}

const POLL_MS = 60_000;
/** After a run finishes the CLI has written its transcript; the server's watch needs a moment to read it. */
const AFTER_RUN_MS = 1500;

export function createUsageFeed(): UsageFeed {
  let last: { answer: UsageAnswer; at: number } | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const listeners = new Set<() => void>();
  const emit = () => listeners.forEach((l) => l());
  const feed: UsageFeed = {
    latest: () => last,
    minutesLeft() {
      const block = last?.answer.activeBlock;
      return block && last ? Math.max(0, block.remainingMinutes - (Date.now() - last.at) / 60_000) : undefined;
    },
    subscribe(listener) {
      listeners.add(listener);
      if (last) listener();
      return () => listeners.delete(listener);
    },
    refresh(delayMs = AFTER_RUN_MS) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        usage().then(
          (answer) => {
            last = { answer, at: Date.now() };
            emit();
          },
          () => undefined, // offline: keep the last figures
        );
        feed.refresh(POLL_MS);
      }, delayMs);
    },
  };
  // The time left changes every minute even when nothing else does.
  setInterval(emit, 30_000);
  return feed;
}

export function attachUsageChip(chip: HTMLButtonElement, feed: UsageFeed, open: () => void): void {
  const time = chip.querySelector<HTMLElement>('.usage-chip-time');
  const cost = chip.querySelector<HTMLElement>('.usage-chip-cost');
  chip.addEventListener('click', open);
  feed.subscribe(() => {
    const answer = feed.latest()?.answer;
    if (!answer || !time || !cost) return;
    chip.hidden = false;
    const left = feed.minutesLeft();
    const warning = limitWarning(answer.activeBlock, loadLimits(), money, compactTokens);
    const timeText = left === undefined ? 'No block' : `${shortMinutes(left)} left`;
    setText(time, timeText);
    // "today" gives way on a phone's top bar, where three things share 390 pixels.
    if (cost.firstChild?.textContent !== money(answer.today.costUsd)) cost.replaceChildren(money(answer.today.costUsd), h('span', { class: 'usage-chip-wide' }, [' today']));
    chip.dataset.block = left === undefined ? 'none' : 'active';
    chip.dataset.warn = warning ? (warning.already ? 'over' : 'projected') : 'no';
    // The name starts with the words on the chip ("label in name", WCAG 2.5.3: voice control users
    // say what they see), then says them in full.
    chip.setAttribute(
      'aria-label',
      `Usage: ${timeText}, ${money(answer.today.costUsd)} today. ` +
        `${left === undefined ? 'No 5-hour block in progress' : `${minutesLeft(left)} left in this 5-hour block`}; ` +
        `${money(answer.today.costUsd)} today on this machine${warning ? `. ${warning.text}` : ''}. Open the usage page.`,
    );
  });
}
