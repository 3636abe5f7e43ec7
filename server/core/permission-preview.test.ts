import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { unifiedDiff } from '../process/diff.js';
import { permissionPreview } from './permission-preview.js';

const dir = (prefix: string) => realpathSync(mkdtempSync(join(tmpdir(), prefix)));

describe('permissionPreview', () => {
  const inside = dir('cr-preview-in-');
  const outside = dir('cr-preview-out-');
  writeFileSync(join(inside, 'a.txt'), 'one\ntwo\nthree\n');
  writeFileSync(join(outside, 'secret.txt'), 'the private key\n');
  const ctx = { folders: [inside], differ: unifiedDiff };

  it('shows a Bash call\'s command and description', () => {
    expect(permissionPreview('Bash', { command: 'npm test', description: 'run the tests' }, ctx)).toEqual({
      kind: 'command',
      command: 'npm test',
      description: 'run the tests',
    });
  });

  it('applies MultiEdit\'s edits in order, and replace_all everywhere', () => {
    const preview = permissionPreview(
      'MultiEdit',
      { file_path: join(inside, 'a.txt'), edits: [{ old_string: 'one', new_string: 'ONE' }, { old_string: 'e', new_string: 'E', replace_all: true }] },
      ctx,
    );
    expect(preview).toMatchObject({ kind: 'diff', isNew: false, additions: 2, deletions: 2 });
    expect(preview?.kind === 'diff' && preview.diff).toContain('+ONE');
    expect(preview?.kind === 'diff' && preview.diff).toContain('+thrEE');
  });

  it('never reads a file outside the session\'s folders, whether it exists or not', () => {
    for (const file_path of [join(outside, 'secret.txt'), join(outside, 'new.txt')]) {
      const preview = permissionPreview('Write', { file_path, content: 'x' }, ctx);
      expect(preview).toMatchObject({ kind: 'diff', diff: '', note: expect.stringContaining('outside') });
      expect(JSON.stringify(preview)).not.toContain('private key');
    }
  });

  it('takes a plan from the tool_use block when the request carries none, else the last thing Claude said', () => {
    expect(permissionPreview('ExitPlanMode', {}, { ...ctx, toolUseInput: { plan: '# Plan' } })).toEqual({ kind: 'plan', plan: '# Plan' });
    expect(permissionPreview('ExitPlanMode', {}, { ...ctx, lastText: 'I will do it.' })).toEqual({ kind: 'plan', plan: 'I will do it.' });
  });

  it('shows nothing special for other tools (the app shows their input as fields)', () => {
    expect(permissionPreview('WebFetch', { url: 'https://example.com' }, ctx)).toBeUndefined();
  });
});
