import { describe, expect, it } from 'vitest';
import { diffsByPath, splitDiff } from './diff.js';

const DIFF = [
  'diff --git a/src/app.ts b/src/app.ts',
  'index 1111111..2222222 100644',
  '--- a/src/app.ts',
  '+++ b/src/app.ts',
  '@@ -1,3 +1,4 @@ export function main() {',
  ' const a = 1;',
  '-const b = 2;',
  '+const b = 3;',
  '+const c = 4;',
  ' return a;',
  '@@ -10,2 +11,2 @@',
  '-old',
  '+new',
  '\\ No newline at end of file',
  'diff --git a/logo.png b/logo.png',
  'new file mode 100644',
  'index 0000000..3333333',
  'Binary files /dev/null and b/logo.png differ',
  'diff --git a/gone.txt b/gone.txt',
  'deleted file mode 100644',
  '--- a/gone.txt',
  '+++ /dev/null',
  '@@ -1 +0,0 @@',
  '-bye',
  'diff --git a/old name.md b/new name.md',
  'similarity index 90%',
  'rename from old name.md',
  'rename to new name.md',
  'diff --git "a/caf\\303\\251.txt" "b/caf\\303\\251.txt"',
  'new file mode 100644',
  '--- /dev/null',
  '+++ "b/caf\\303\\251.txt"',
  '@@ -0,0 +1 @@',
  '+<script>alert(1)</script>',
  '',
].join('\n');

describe('splitDiff', () => {
  it('splits a diff into files and hunks with line numbers on both sides', () => {
    const [app] = splitDiff(DIFF);
    expect(app?.path).toBe('src/app.ts');
    expect(app?.binary).toBe(false);
    expect(app?.hunks.map((h) => h.header)).toEqual(['@@ -1,3 +1,4 @@ export function main() {', '@@ -10,2 +11,2 @@']);
    expect(app?.hunks[0]?.lines).toEqual([
      { kind: 'ctx', text: 'const a = 1;', oldNo: 1, newNo: 1 },
      { kind: 'del', text: 'const b = 2;', oldNo: 2 },
      { kind: 'add', text: 'const b = 3;', newNo: 2 },
      { kind: 'add', text: 'const c = 4;', newNo: 3 },
      { kind: 'ctx', text: 'return a;', oldNo: 3, newNo: 4 },
    ]);
    expect(app?.hunks[1]?.lines.at(-1)).toEqual({ kind: 'note', text: 'No newline at end of file' });
  });

  it('names binary files, deletions, renames and quoted paths', () => {
    const byPath = diffsByPath(DIFF);
    expect([...byPath.keys()]).toEqual(['src/app.ts', 'logo.png', 'gone.txt', 'new name.md', 'café.txt']);
    expect(byPath.get('logo.png')).toMatchObject({ binary: true, hunks: [] });
    expect(byPath.get('gone.txt')?.hunks[0]?.lines).toEqual([{ kind: 'del', text: 'bye', oldNo: 1 }]);
    expect(byPath.get('new name.md')?.meta).toContain('rename from old name.md');
    // Markup in a file stays text: the parser never interprets it.
    expect(byPath.get('café.txt')?.hunks[0]?.lines[0]).toEqual({ kind: 'add', text: '<script>alert(1)</script>', newNo: 1 });
  });

  it('answers no files for an empty diff', () => {
    expect(splitDiff('')).toEqual([]);
  });
});
