import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../store/sqlite.js';
import { loadOrCreateVapidKeys, sharedVapidKeys, VAPID_FILE, VAPID_META_KEY } from './vapid.js';

const root = mkdtempSync(join(tmpdir(), 'cr-vapid-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('the VAPID key file', () => {
  it('is made once, in a data folder only this user can enter, and read back the same', () => {
    const dataDir = join(root, 'fresh', 'data');
    const first = loadOrCreateVapidKeys(dataDir);
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(dataDir, VAPID_FILE)).mode & 0o777).toBe(0o600);
    expect(loadOrCreateVapidKeys(dataDir)).toEqual(first);
  });

  it('refuses a file that holds no key pair, and says how to make a new one', () => {
    const dataDir = join(root, 'broken');
    loadOrCreateVapidKeys(dataDir);
    writeFileSync(join(dataDir, VAPID_FILE), '{"publicKey": "nope"}');
    expect(() => loadOrCreateVapidKeys(dataDir)).toThrow(/move it away/);
  });
});

describe('the VAPID key pair in a shared store', () => {
  it('is the first instance\'s: its file\'s pair when it had one, and every other instance gets the same', async () => {
    const store = createSqliteStore({ file: join(root, 'shared.db') });
    try {
      const ranAlone = loadOrCreateVapidKeys(join(root, 'alone'));
      expect(await sharedVapidKeys(store, join(root, 'alone'))).toEqual(ranAlone);
      const other = join(root, 'other');
      expect(await sharedVapidKeys(store, other)).toEqual(ranAlone);
      expect(() => statSync(join(other, VAPID_FILE))).toThrow(); // nothing written beside it
    } finally {
      await store.close();
    }
  });

  it('refuses a stored value that is no key pair, and says how to make a new one', async () => {
    const store = createSqliteStore({ file: join(root, 'broken.db') });
    try {
      await store.setMeta(VAPID_META_KEY, '{"publicKey": "nope"}');
      await expect(sharedVapidKeys(store, join(root, 'any'))).rejects.toThrow(/delete it/);
    } finally {
      await store.close();
    }
  });
});
