/**
 * Notices when a session's queue drains or a run fails: a short sound (a
 * toggle, remembered) and a system notification when the page is not in
 * view and the user allowed them.
 */
import type { ServerEvent, SessionView } from '../../server/protocol/events.js';
import { isPushOn } from './push-flag.js';

const SOUND_KEY = 'claude-remote.sound';
const NOTIFY_KEY = 'claude-remote.notify';
/** Events older than this when they arrive are replays, not news. */
const FRESH_MS = 60_000;

export interface Notifier {
  readonly sound: boolean;
  readonly notifications: boolean;
  setSound(on: boolean): void;
  /** Asks for permission when turning on; resolves to the resulting setting. */
  setNotifications(on: boolean): Promise<boolean>;
  onEvent(event: ServerEvent, session: SessionView | undefined): void;
}

export function createNotifier(): Notifier {
  let sound = localStorage.getItem(SOUND_KEY) !== 'off';
  let notifications = localStorage.getItem(NOTIFY_KEY) === 'on' && permission() === 'granted';
  let audio: AudioContext | undefined;

  const beep = (failed: boolean) => {
    try {
      audio ??= new AudioContext();
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.frequency.value = failed ? 330 : 660;
      gain.gain.setValueAtTime(0.001, audio.currentTime);
      gain.gain.exponentialRampToValueAtTime(0.2, audio.currentTime + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + 0.35);
      osc.connect(gain).connect(audio.destination);
      osc.start();
      osc.stop(audio.currentTime + 0.4);
    } catch {
      // No audio (autoplay policy before any gesture, or none at all): stay quiet.
    }
  };

  const show = (title: string, body: string, tag: string) => {
    // With pushes on, the server's push shows it (and knows whether any page is in view).
    if (!notifications || permission() !== 'granted' || document.visibilityState === 'visible' || isPushOn()) return;
    try {
      new Notification(title, { body, tag, icon: '/icons/icon-192.png' });
    } catch {
      // Some platforms only allow notifications from a service worker; the sound still plays.
    }
  };

  return {
    get sound() {
      return sound;
    },
    get notifications() {
      return notifications;
    },
    setSound(on) {
      sound = on;
      localStorage.setItem(SOUND_KEY, on ? 'on' : 'off');
      if (on) beep(false);
    },
    async setNotifications(on) {
      if (on && permission() === 'default') await Notification.requestPermission();
      notifications = on && permission() === 'granted';
      localStorage.setItem(NOTIFY_KEY, notifications ? 'on' : 'off');
      return notifications;
    },
    onEvent(event, session) {
      const notice = noticeFor(event, session, Date.now());
      if (!notice) return;
      if (sound) beep(notice.failed);
      show(notice.title, notice.body, notice.tag);
    },
  };
}

export interface Notice {
  failed: boolean;
  title: string;
  body: string;
  tag: string;
}

/**
 * Whether an event is news worth a sound: a run that failed, or the last
 * queued run of a session that finished. Cancelled runs and replays of old
 * events (a reconnect, a reload) are not.
 */
export function noticeFor(event: ServerEvent, session: SessionView | undefined, now: number): Notice | undefined {
  if (event.type !== 'run.finished' || event.status === 'cancelled') return undefined;
  if (now - Date.parse(event.at) > FRESH_MS) return undefined;
  const name = session?.name ?? 'A session';
  const failed = event.status === 'error';
  const drained = (session?.queueLength ?? 0) === 0;
  if (!failed && !drained) return undefined;
  return failed
    ? { failed, title: `${name}: the run failed`, body: event.error ?? 'The run ended with an error.', tag: `fail-${event.sessionId}` }
    : { failed, title: `${name} is done`, body: (event.result ?? '').slice(0, 140) || 'The queue is empty.', tag: `done-${event.sessionId}` };
}

function permission(): NotificationPermission | 'unsupported' {
  return typeof Notification === 'undefined' ? 'unsupported' : Notification.permission;
}
