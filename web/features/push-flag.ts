/**
 * Whether this device gets pushes, remembered in the browser: set once the
 * server keeps this device's subscription, cleared when it is removed. The
 * in-page notices (notify.ts) leave system notifications to the pushes then,
 * so that one event does not ring twice.
 */
const PUSH_KEY = 'claude-remote.push';
const DEVICE_KEY = 'claude-remote.push-device';

export function isPushOn(): boolean {
  return localStorage.getItem(PUSH_KEY) === 'on';
}

/** The server's id of this device's subscription, while it has one. */
export function pushDeviceId(): string | undefined {
  return localStorage.getItem(DEVICE_KEY) ?? undefined;
}

export function rememberPushDevice(id: string | undefined): void {
  if (id === undefined) {
    localStorage.removeItem(PUSH_KEY);
    localStorage.removeItem(DEVICE_KEY);
    return;
  }
  localStorage.setItem(PUSH_KEY, 'on');
  localStorage.setItem(DEVICE_KEY, id);
}
