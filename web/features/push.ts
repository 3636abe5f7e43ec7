/**
 * Web Push on this device (docs/push.md). Turning the Notifications toggle
 * on asks the browser for permission (notify.ts), then subscribes this
 * device with the server's VAPID key and hands the subscription to the
 * server; turning it off unsubscribes it. Under the toggle, the devices that
 * get pushes, each removable. A device that gets pushes renews its
 * subscription with the server at every start: the server forgets one that
 * its push service called gone, and a new data folder means a new key.
 *
 * Tapping a notification while the app is open: the service worker sends
 * the session to show (`open-session`), and the app's own routing (the
 * hash) takes it from there.
 */
import type { OpenSessionMessage } from '../../server/protocol/push.js';
import { ApiError } from '../net/api.js';
import { deletePushSubscription, listPushSubscriptions, savePushSubscription, vapidPublicKey } from '../net/push-api.js';
import { createPushPanel, type PushPanelState, type PushSupport } from '../views/push-devices.js';
import type { Notifier } from './notify.js';
import { isPushOn, pushDeviceId, rememberPushDevice } from './push-flag.js';
import '../styles/push.css';

/** The service worker should be running within this; without it there is no push. */
const WORKER_WAIT_MS = 10_000;

/** The notifier, with pushes following its Notifications toggle; the device list goes under `toggle`'s row. */
export function withPush(notifier: Notifier, toggle: HTMLElement): Notifier {
  const container = document.createElement('div');
  container.className = 'push-devices';
  (toggle.closest('.row') ?? toggle).after(container);
  const state: PushPanelState = { support: pushSupport(), notificationsOn: notifier.notifications, thisDevice: pushDeviceId(), devices: [], busy: false, problem: '' };
  const panel = createPushPanel(container, { subscribe: () => void change(subscribeThisDevice), remove: (id) => void change(() => remove(id)) });
  const render = () => panel.render({ ...state, notificationsOn: notifier.notifications, thisDevice: pushDeviceId() });

  const refresh = async (quiet = false) => {
    try {
      state.devices = (await listPushSubscriptions()).subscriptions;
    } catch (err) {
      if (!quiet) state.problem = text(err);
    }
  };
  /** Runs one change at a time, then shows the list as the server has it. */
  const change = async (work: () => Promise<void>) => {
    if (state.busy) return;
    state.busy = true;
    state.problem = '';
    render();
    try {
      await work();
    } catch (err) {
      state.problem = `Pushes: ${text(err)}`;
    }
    await refresh();
    state.busy = false;
    render();
  };
  const remove = async (id: string) => {
    if (id === pushDeviceId()) await unsubscribeThisDevice();
    else await forget(id);
  };

  // At once, before the list comes: an empty panel must not show and then vanish, moving what is below it.
  render();
  listenForOpenSession();
  if (notifier.notifications && isPushOn() && state.support === 'supported') void change(subscribeThisDevice);
  else void refresh(true).then(render);

  return {
    get sound() {
      return notifier.sound;
    },
    get notifications() {
      return notifier.notifications;
    },
    setSound: (on) => notifier.setSound(on),
    async setNotifications(on) {
      const result = await notifier.setNotifications(on);
      // In the background: the toggle shows its new state at once, the list says how subscribing goes.
      if (state.support === 'supported') void change(result ? subscribeThisDevice : unsubscribeThisDevice);
      else render();
      return result;
    },
    onEvent: (event, session) => notifier.onEvent(event, session),
  };
}

export function pushSupport(): PushSupport {
  if (!window.isSecureContext) return 'insecure';
  if (!('serviceWorker' in navigator) || !('PushManager' in window) || typeof Notification === 'undefined') return 'unsupported';
  return 'supported';
}

async function subscribeThisDevice(): Promise<void> {
  const registration = await workerReady();
  const key = base64urlBytes((await vapidPublicKey()).publicKey);
  let subscription = await registration.pushManager.getSubscription();
  // Made with another key (the server's data folder changed): push services would refuse our pushes to it.
  if (subscription && !sameBytes(subscription.options.applicationServerKey, key)) {
    await subscription.unsubscribe();
    subscription = null;
  }
  subscription ??= await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
  const { id } = await savePushSubscription(subscription.toJSON());
  rememberPushDevice(id);
}

async function unsubscribeThisDevice(): Promise<void> {
  const id = pushDeviceId();
  rememberPushDevice(undefined);
  const registration = await navigator.serviceWorker.getRegistration();
  await (await registration?.pushManager.getSubscription())?.unsubscribe();
  if (id !== undefined) await forget(id);
}

/** The server forgets a device; one it forgot already is fine. */
async function forget(id: string): Promise<void> {
  try {
    await deletePushSubscription(id);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404)) throw err;
  }
}

function workerReady(): Promise<ServiceWorkerRegistration> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('the service worker is not running (reload the app)')), WORKER_WAIT_MS);
  });
  return Promise.race([navigator.serviceWorker.ready, late]).finally(() => clearTimeout(timer));
}

function listenForOpenSession(): void {
  if (!('serviceWorker' in navigator)) return;
  navigator.serviceWorker.addEventListener('message', (e: MessageEvent<Partial<OpenSessionMessage> | undefined>) => {
    if (e.data?.type !== 'open-session' || typeof e.data.sessionId !== 'string') return;
    // The app's routing: main.ts selects the session named in the hash.
    location.hash = encodeURIComponent(e.data.sessionId);
  });
  navigator.serviceWorker.startMessages();
}

function base64urlBytes(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/').padEnd(Math.ceil(text.length / 4) * 4, '='));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function sameBytes(a: ArrayBuffer | null, b: Uint8Array): boolean {
  if (!a || a.byteLength !== b.length) return false;
  const view = new Uint8Array(a);
  return view.every((x, i) => x === b[i]);
}

function text(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
