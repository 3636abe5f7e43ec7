/**
 * The server's VAPID key pair (RFC 8292): browsers subscribe with its public
 * key, and push services accept only pushes signed with its private key. It
 * is made on the first start and kept in DATA_DIR/vapid.json, readable by
 * this user only: whoever holds the private key can push to every
 * subscribed device. A new pair would orphan every subscription, so it is
 * never replaced by itself; deleting the file (and subscribing again) is the
 * way to rotate it.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import webpush from 'web-push';
import { z } from 'zod';

export const VAPID_FILE = 'vapid.json';

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
