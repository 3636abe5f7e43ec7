/**
 * Under the Notifications toggle: the devices that get pushes (this one
 * marked), each with a way to remove it, and what stands in the way when
 * this device cannot get them.
 */
import type { PushSubscriptionInfo } from '../../server/protocol/push.js';
import { h, setText } from '../dom.js';

export type PushSupport = 'supported' | 'insecure' | 'unsupported';

export interface PushPanelState {
  support: PushSupport;
  /** The Notifications toggle is on (the browser allowed notifications). */
  notificationsOn: boolean;
  /** The server's id of this device's subscription, when it has one. */
  thisDevice: string | undefined;
  devices: readonly PushSubscriptionInfo[];
  busy: boolean;
  /** What went wrong last, for a person. */
  problem: string;
}

export interface PushPanel {
  render(state: PushPanelState): void;
}

export interface PushPanelActions {
  subscribe(): void;
  remove(id: string): void;
}

export function createPushPanel(container: HTMLElement, actions: PushPanelActions): PushPanel {
  const status = h('p', { class: 'push-status muted', role: 'status' });
  const list = h('ul', { class: 'push-list', 'aria-label': 'Devices that get pushes' });
  const subscribe = h('button', { type: 'button', class: 'ghost small' }, ['Get pushes on this device']);
  subscribe.addEventListener('click', () => actions.subscribe());
  list.addEventListener('click', (e) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-remove]');
    if (button?.dataset.remove) actions.remove(button.dataset.remove);
  });
  container.append(h('h3', { class: 'push-heading' }, ['Pushes to your devices']), status, list, subscribe);

  return {
    render(state) {
      const here = state.devices.some((d) => d.id === state.thisDevice);
      container.hidden = !state.notificationsOn && state.devices.length === 0;
      setText(status, state.problem || statusText(state, here));
      status.classList.toggle('push-problem', state.problem !== '');
      subscribe.hidden = here || state.support !== 'supported' || !state.notificationsOn;
      subscribe.disabled = state.busy;
      // This device first: it is the one a person usually came to change.
      const devices = [...state.devices].sort((a, b) => Number(b.id === state.thisDevice) - Number(a.id === state.thisDevice));
      list.replaceChildren(
        ...devices.map((d) => {
          const mine = d.id === state.thisDevice;
          return h('li', { class: 'push-device', 'data-this-device': mine ? 'true' : undefined }, [
            h('span', { class: 'push-device-name' }, [mine ? `This device (${deviceName(d.userAgent)})` : deviceName(d.userAgent)]),
            h('span', { class: 'push-device-meta muted' }, [`${d.endpointHost} · since ${new Date(d.createdAt).toLocaleDateString(undefined, { day: 'numeric', month: 'short', year: 'numeric' })}`]),
            h('button', { type: 'button', class: 'ghost small', 'data-remove': d.id, 'aria-label': `Remove ${mine ? 'this device' : deviceName(d.userAgent)}`, disabled: state.busy }, ['Remove']),
          ]);
        }),
      );
    },
  };
}

function statusText(state: PushPanelState, here: boolean): string {
  if (state.support === 'insecure') return 'This device can get pushes once the app is opened over HTTPS (the tunnel) or on localhost.';
  if (state.support === 'unsupported') return 'This browser cannot get pushes (on an iPhone: add the app to the home screen first).';
  if (here) return 'This device gets a push when Claude asks for permission, a run fails or a queue is done, unless the app is open in front of you.';
  if (state.busy) return 'Subscribing…';
  return state.notificationsOn ? 'This device gets no pushes yet.' : '';
}

/** A short name for a browser from its user agent ("Chrome on Android"). */
export function deviceName(userAgent: string | undefined): string {
  if (!userAgent) return 'a browser';
  const ua = userAgent;
  const browser = /Edg\//.test(ua) ? 'Edge' : /Firefox\//.test(ua) ? 'Firefox' : /Chrome\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'a browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}
