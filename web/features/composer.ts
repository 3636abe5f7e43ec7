/**
 * The message box and its buttons: Enter sends (Shift+Enter is a new line),
 * "/" opens the command completion, a known command runs here instead of
 * going to Claude, and Interrupt (or Esc) stops the running prompt. A prompt
 * shows as "sending…" until the server queued it; a re-send after a reconnect
 * carries the same clientRequestId, so the server keeps it once.
 *
 * Attached files go in the same submit frame, as base64: a frame has no
 * deadline (an HTTP request must arrive whole within 60 s, which pictures
 * over a slow uplink may not), and the socket waits for its pong while such
 * a frame is still going out (net/ws-client.ts). On a failure the prompt and
 * its files go back in the composer.
 */
import { MAX_PROMPT_BYTES } from '../../server/protocol/limits.js';
import type { SessionView } from '../../server/protocol/events.js';
import type { WsClient } from '../net/ws-client.js';
import { toWire, type PendingAttachment } from '../workspace/attachments.js';
import type { AttachmentTray } from './attach.js';
import { addOutgoing, dropOutgoing, selectedSessionState, type AppState } from '../app/state.js';
import { attachCommandMenu, type CommandMenu } from './command-menu.js';
import { parseCommand, type ParsedCommand } from './commands.js';

/** The message box grows with its text up to this part of the window. */
const MESSAGE_MAX_HEIGHT_RATIO = 0.4;

export interface ComposerElements {
  form: HTMLFormElement;
  message: HTMLTextAreaElement;
  send: HTMLButtonElement;
  interrupt: HTMLButtonElement;
  commandMenu: HTMLElement;
}

export interface ComposerDeps {
  state: AppState;
  client: Pick<WsClient, 'request'>;
  attachments: AttachmentTray;
  runCommand(command: ParsedCommand): Promise<void>;
  /** The state changed: render soon. */
  changed(): void;
  /** The reader sent something: show the end of the transcript. */
  showLatest(): void;
  error(err: unknown): void;
}

export interface Composer {
  render(session: SessionView | undefined, running: boolean): void;
  /** Esc on the page (a desktop habit from the terminal): interrupts a running prompt; true if it did. */
  interruptOnEscape(): boolean;
  focus(): void;
}

export function createComposer(els: ComposerElements, deps: ComposerDeps): Composer {
  const { message } = els;
  const commandMenu = attachCommandMenu(message, els.commandMenu);

  const clearMessage = () => {
    message.value = '';
    fitMessage(message);
  };
  /** A prompt that failed goes back in the box, unless the reader typed something new meanwhile. */
  const giveBack = (prompt: string, err: unknown) => {
    if (message.value === '') message.value = prompt;
    deps.error(err);
  };

  const send = () => {
    const prompt = message.value;
    const sessionId = deps.state.selectedId;
    const files = deps.attachments.pending();
    if (!sessionId || (prompt.trim() === '' && files.length === 0)) return;
    const command = files.length === 0 ? parseCommand(prompt) : undefined;
    if (command) {
      clearMessage();
      commandMenu.update();
      deps.runCommand(command).catch((err: unknown) => giveBack(prompt, err));
      return;
    }
    const bytes = new TextEncoder().encode(prompt).length;
    if (bytes > MAX_PROMPT_BYTES) {
      deps.error(new Error(`The message is ${bytes} bytes; the limit is ${MAX_PROMPT_BYTES}.`));
      return;
    }
    clearMessage();
    submitPrompt(deps, { sessionId, prompt, files }, (err) => giveBack(prompt, err));
  };

  const interrupt = () => {
    const sessionId = deps.state.selectedId;
    if (!sessionId) return;
    els.interrupt.disabled = true;
    deps.client.request({ type: 'interrupt', sessionId }).catch((err: unknown) => {
      els.interrupt.disabled = false;
      deps.error(err);
    });
  };

  listen(els, commandMenu, send, interrupt);
  keepAboveKeyboard(message);

  return {
    render(session, running) {
      message.disabled = !session;
      els.send.disabled = !session;
      deps.attachments.setEnabled(Boolean(session));
      els.interrupt.hidden = !running;
      if (!running) els.interrupt.disabled = false;
    },
    interruptOnEscape() {
      if (!selectedSessionState(deps.state)?.activeRunId || els.interrupt.disabled) return false;
      interrupt();
      return true;
    },
    focus: () => message.focus(),
  };
}

/**
 * Sends a prompt (the box is cleared already): shown as "sending…" until the
 * server queued it, sent again after a reconnect (the clientRequestId keeps
 * it once); on a failure its files go back in the tray and `failed` puts its
 * text back in the box.
 */
function submitPrompt(
  deps: ComposerDeps,
  { sessionId, prompt, files }: { sessionId: string; prompt: string; files: readonly PendingAttachment[] },
  failed: (err: unknown) => void,
): void {
  // One id per prompt: re-sends after a reconnect carry the same one, so the server keeps it once.
  const clientRequestId = crypto.randomUUID();
  addOutgoing(deps.state, { clientRequestId, sessionId, prompt, files: files.length });
  deps.showLatest();
  deps.attachments.clear();
  const frame = { type: 'submit' as const, sessionId, prompt, clientRequestId, ...(files.length > 0 ? { attachments: toWire(files) } : {}) };
  deps.client
    .request(frame, { retry: true })
    .then(
      () => dropOutgoing(deps.state, clientRequestId),
      (err: unknown) => {
        dropOutgoing(deps.state, clientRequestId);
        deps.attachments.restore(files);
        failed(err);
      },
    )
    .finally(deps.changed);
  deps.changed();
}

function listen(els: ComposerElements, commandMenu: CommandMenu, send: () => void, interrupt: () => void): void {
  els.form.addEventListener('submit', (e) => {
    e.preventDefault();
    send();
  });
  els.message.addEventListener('keydown', (e) => {
    if (commandMenu.onKeyDown(e)) return;
    // Enter sends; Shift+Enter is a new line; an IME composing text keeps its Enter.
    if (e.key !== 'Enter' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
    e.preventDefault();
    send();
  });
  els.message.addEventListener('input', () => {
    fitMessage(els.message);
    commandMenu.update();
  });
  els.interrupt.addEventListener('click', interrupt);
}

/** Grows the message box with its text, up to part of the window. */
function fitMessage(message: HTMLTextAreaElement): void {
  message.style.height = 'auto';
  const max = Math.round(window.innerHeight * MESSAGE_MAX_HEIGHT_RATIO);
  message.style.height = `${Math.min(message.scrollHeight + 2, max)}px`;
}

/**
 * Keeps the message box above a phone's keyboard. Chrome resizes the layout
 * for it (interactive-widget in the viewport meta); iOS Safari does not, so
 * the app takes the height of the visible part instead (--app-height, style.css).
 */
function keepAboveKeyboard(message: HTMLTextAreaElement): void {
  const vv = window.visualViewport;
  if (!vv) return;
  const fit = () => {
    document.documentElement.style.setProperty('--app-height', `${Math.round(vv.height)}px`);
    if (document.activeElement === message) message.scrollIntoView({ block: 'nearest' });
  };
  vv.addEventListener('resize', fit);
  fit();
}
