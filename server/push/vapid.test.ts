import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadOrCreateVapidKeys, VAPID_FILE } from './vapid.js';

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
