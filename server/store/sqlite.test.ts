import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from './sqlite.js';
import { describeStoreContract } from './store.contract.js';

const dirs: string[] = [];
let lastFile = '';

describeStoreContract('SqliteStore', {
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'cr-sqlite-'));
    dirs.push(dir);
    lastFile = join(dir, 'store.db');
    return createSqliteStore({ file: lastFile });
  },
  async reopen() {
    return createSqliteStore({ file: lastFile });
  },
});

describe('SqliteStore specifics', () => {
  it('uses WAL journaling so readers never block the writer', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-sqlite-'));
    dirs.push(dir);
    const file = join(dir, 'nested', 'store.db');
    const store = createSqliteStore({ file });
    await store.close();
    const Database = (await import('better-sqlite3')).default;
    const db = new Database(file, { readonly: true });
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    db.close();
  });
});

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
