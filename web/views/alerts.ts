/**
 * One message at a time over the page (a role="alert" container in
 * index.html): an error, or information such as a command's answer. It goes
 * by its Dismiss button or after a while.
 */
import { h } from '../dom.js';

export interface Alerts {
  info(text: string): void;
  error(err: unknown): void;
}

const INFO_MS = 15_000;
const ERROR_MS = 10_000;

export function createAlerts(container: HTMLElement): Alerts {
  let timer: ReturnType<typeof setTimeout> | undefined;

  const show = (text: string, kind: 'error' | 'info') => {
    const close = h('button', { type: 'button', class: 'small', 'aria-label': 'Dismiss' }, ['×']);
    close.addEventListener('click', () => container.replaceChildren());
    container.replaceChildren(h('p', { class: kind === 'info' ? 'info' : undefined }, [h('span', {}, [text]), close]));
    clearTimeout(timer);
    timer = setTimeout(() => container.replaceChildren(), kind === 'info' ? INFO_MS : ERROR_MS);
  };

  return {
    info: (text) => show(text, 'info'),
    error: (err) => show(err instanceof Error ? err.message : String(err), 'error'),
  };
}
