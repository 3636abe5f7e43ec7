/**
 * The server's VAPID key pair (RFC 8292): browsers subscribe with its public
 * key, and push services accept only pushes signed with its private key. It
 * is made on the first start and kept in DATA_DIR/vapid.json, readable by
 * this user only: whoever holds the private key can push to every
 * subscribed device. A new pair would orphan every subscription, so it is
 * never replaced by itself; deleting the file (and subscribing again) is the
 * way to rotate it.
 *
 * Several instances on one Redis share one pair, kept in the store: a
 * browser subscribed through one instance gets pushes signed by whichever
 * instance sends them, and a push service refuses a push signed with a key
 * other than the one the browser subscribed with. Whoever can read that
 * Redis could push to the devices, but could also queue prompts: the pair
 * adds nothing to what Redis must already be protected for.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { z } from 'zod';
import type { Store } from '../core/store.js';

export const VAPID_FILE = 'vapid.json';
/** Its name in a shared store's named values. */
export const VAPID_META_KEY = 'push.vapid';

const vapidFileSchema = z.object({
  publicKey: z.string().regex(/^[A-Za-z0-9_-]{87}$/),
  privateKey: z.string().regex(/^[A-Za-z0-9_-]{43}$/),
});
export type VapidKeys = z.infer<typeof vapidFileSchema>;

/** The kept key pair, or a new one written (mode 0600) when there is none yet. */
export function loadOrCreateVapidKeys(dataDir: string): VapidKeys {
  const file = join(dataDir, VAPID_FILE);
  const existing = readKeys(file);
  if (existing) return existing;
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const keys = webpush.generateVAPIDKeys();
  try {
    // `wx`: a second server starting on the same folder at the same moment keeps the first one's pair.
    writeFileSync(file, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const raced = readKeys(file);
    if (raced) return raced;
    throw err;
  }
  return vapidFileSchema.parse(keys);
}

/**
 * The pair every instance sharing the store signs with: the one kept there,
 * else this instance's file's (it may have run alone before) or a new one,
 * whichever instance gets there first.
 */
export async function sharedVapidKeys(store: Pick<Store, 'initMeta'>, dataDir: string): Promise<VapidKeys> {
  const candidate = readKeys(join(dataDir, VAPID_FILE)) ?? webpush.generateVAPIDKeys();
  const kept = await store.initMeta(VAPID_META_KEY, JSON.stringify({ publicKey: candidate.publicKey, privateKey: candidate.privateKey }));
  const parsed = vapidFileSchema.safeParse(safeJson(kept));
  if (!parsed.success) {
    throw new Error(`The shared store's ${VAPID_META_KEY} is no VAPID key pair; delete it to make a new one (every device then subscribes again).`);
  }
  return parsed.data;
}

function readKeys(file: string): VapidKeys | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new Error(`Cannot read the VAPID keys in ${file}`, { cause: err });
  }
  const parsed = vapidFileSchema.safeParse(safeJson(text));
  if (!parsed.success) {
    throw new Error(`${file} does not hold a VAPID key pair; move it away to make a new one (every device then subscribes again).`);
  }
  return parsed.data;
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
