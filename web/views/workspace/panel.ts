/**
 * The frame of the workspace pages (Changes, Files): a modal <dialog> with a
 * heading and a Close button, full screen on a phone, as the usage page is.
 * Focus stays inside; Esc and Close end it, and `onClose` runs once then.
 */
import { h } from '../../dom.js';
import '../../styles/workspace.css';

export interface Panel {
  dialog: HTMLDialogElement;
  /** Below the heading: the page's own controls. */
  tools: HTMLElement;
  body: HTMLElement;
  close(): void;
}

export function openPanel(title: string, className: string, onClose: () => void): Panel {
  const id = `${className}-title`;
  const close = h('button', { type: 'button', class: 'ghost' }, ['Close']);
  const tools = h('div', { class: 'panel-tools' });
  const body = h('div', { class: 'panel-body' });
  const dialog = h('dialog', { class: `dialog panel ${className}`, 'aria-labelledby': id }, [
    h('header', { class: 'panel-head' }, [h('h2', { id }, [title]), tools, close]),
    body,
  ]) as HTMLDialogElement;
  close.addEventListener('click', () => dialog.close());
  dialog.addEventListener('close', () => {
    dialog.remove();
    onClose();
  });
  document.body.append(dialog);
  dialog.showModal();
  return { dialog, tools, body, close: () => dialog.close() };
}

/** A message in place of the page's content: loading, empty, or what went wrong. */
export function note(text: string, kind: 'muted' | 'error' = 'muted'): HTMLElement {
  return h('p', { class: `panel-note ${kind}`, role: kind === 'error' ? 'alert' : undefined }, [text]);
}

export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
