import { describe, expect, it } from 'vitest';
import { diffLines, fieldLabel, inputFields, isLong, permissionTitle, planModes, verdictText } from './permission-text.js';

describe('a permission card\'s words', () => {
  it('titles a command, a new file, a change, a plan and any other tool', () => {
    expect(permissionTitle('Bash', { kind: 'command', command: 'ls' })).toBe('Claude wants to run a command');
    expect(permissionTitle('Write', { kind: 'diff', path: '/w/a.txt', isNew: true, diff: '', additions: 1, deletions: 0 })).toBe('Claude wants to create a.txt');
    expect(permissionTitle('Edit', { kind: 'diff', path: '/w/a.txt', isNew: false, diff: '', additions: 1, deletions: 1 })).toBe('Claude wants to change a.txt');
    expect(permissionTitle('ExitPlanMode', { kind: 'plan', plan: '# P' })).toBe('Claude proposes a plan');
    expect(permissionTitle('WebFetch', undefined)).toBe('Claude wants to use WebFetch');
  });

  it('splits a unified diff into header, hunk, context, removed and added lines', () => {
    const diff = ['Index: a.txt', '===', '--- a.txt', '+++ a.txt', '@@ -1,3 +1,3 @@', ' one', '-two', '+TWO', ' three', '\\ No newline at end of file', ''].join('\n');
    expect(diffLines(diff).map((l) => l.kind)).toEqual(['header', 'header', 'header', 'header', 'hunk', 'context', 'del', 'add', 'context', 'meta']);
    expect(diffLines(diff)[6]).toEqual({ kind: 'del', text: '-two' });
    expect(diffLines('')).toEqual([]);
  });

  it('shows another tool\'s input as labelled fields, long ones folded, non-text values as JSON', () => {
    const fields = inputFields({ url: 'https://example.com', prompt: 'x'.repeat(500), options: { depth: 2 }, filePath: 'a\nb' });
    expect(fields.map((f) => f.label)).toEqual(['url', 'prompt', 'options', 'file path']);
    expect(fields.map((f) => f.long)).toEqual([false, true, false, false]);
    expect(fields[2]?.value).toBe('{\n  "depth": 2\n}');
    expect(inputFields('just text')).toEqual([{ label: 'input', value: 'just text', long: false }]);
    expect(inputFields(null)).toEqual([]);
    expect(fieldLabel('old_string')).toBe('old string');
    expect(fieldLabel('replaceAll')).toBe('replace all');
    expect(isLong('1\n2\n3\n4\n5\n6')).toBe(false);
    expect(isLong('1\n2\n3\n4\n5\n6\n7')).toBe(true);
  });

  it('says how a request was answered, and by whom', () => {
    expect(verdictText({ behavior: 'allow', by: 'app', scope: 'once' }, false)).toBe('Allowed (in the app)');
    expect(verdictText({ behavior: 'allow', by: 'api', scope: 'session' }, false)).toBe('Allowed for this session (through the API)');
    expect(verdictText({ behavior: 'allow', by: 'remembered', scope: 'session' }, false)).toBe('Allowed: this tool is allowed for this session');
    expect(verdictText({ behavior: 'deny', by: 'timeout' }, false)).toBe('Denied (no one answered in time)');
    expect(verdictText({ behavior: 'allow', by: 'app', mode: 'acceptEdits' }, true)).toBe('Approved: continues in acceptEdits (in the app)');
    expect(verdictText({ behavior: 'deny', by: 'app' }, true)).toBe('Kept planning (in the app)');
  });

  it('offers every mode but plan to continue in after a plan, default first', () => {
    const modes = planModes().map((m) => m.mode);
    expect(modes[0]).toBe('default');
    expect(modes).toContain('acceptEdits');
    expect(modes).not.toContain('plan');
  });
});
