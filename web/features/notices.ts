/**
 * The Notices settings (sound, system notifications) and what a finished run
 * is news for: a sound or a notification (notify.ts decides which runs deserve
 * one), and the usage chip, which asks the server again.
 */
import type { ServerEvent, SessionView } from '../../server/protocol/events.js';
import type { Notifier } from './notify.js';
import type { UsageFeed } from './usage-chip.js';

export interface NoticeElements {
  sound: HTMLButtonElement;
  notify: HTMLButtonElement;
}

export interface NoticeDeps {
  notifier: Notifier;
  usage: Pick<UsageFeed, 'refresh'>;
  session(id: string): SessionView | undefined;
  error(err: unknown): void;
}

export interface Notices {
  /** Every event, followed or summary. */
  onEvent(event: ServerEvent): void;
}

export function createNotices(els: NoticeElements, deps: NoticeDeps): Notices {
  const { notifier } = deps;
  const syncToggles = () => {
    els.sound.setAttribute('aria-pressed', String(notifier.sound));
    els.notify.setAttribute('aria-pressed', String(notifier.notifications));
  };
  els.sound.addEventListener('click', () => {
    notifier.setSound(!notifier.sound);
    syncToggles();
  });
  els.notify.addEventListener('click', () => {
    notifier.setNotifications(!notifier.notifications).then(
      (on) => {
        syncToggles();
        if (!on && typeof Notification !== 'undefined' && Notification.permission === 'denied') {
          deps.error(new Error('Notifications are blocked for this site in the browser settings.'));
        }
      },
      (err: unknown) => deps.error(err),
    );
  });
  syncToggles();

  return {
    onEvent(event) {
      if (event.type !== 'run.finished') return;
      notifier.onEvent(event, deps.session(event.sessionId));
      deps.usage.refresh();
    },
  };
}
