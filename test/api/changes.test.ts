/**
 * GET /api/sessions/:id/changes against real git repositories: every kind of
 * change with its counts and diff, untracked and binary files, a worktree's
 * committed work, a diff too large to send whole, and a plain folder.
 */
import { chmod, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Changes, FileChange } from '../../server/protocol/workspace.js';
import { MAX_DIFF_BYTES } from '../../server/protocol/limits.js';
import { commitAll, git, makeRepo, writeFiles } from '../support/git.js';
import { newSession } from '../support/runs.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

let server: TestServer;

beforeAll(async () => {
  server = await startTestServer({ config: { WARM_PREWARM: 'false' } });
});
afterAll(async () => {
  await server.close();
});

let n = 0;
const newRepo = (files?: Record<string, string>) => makeRepo(join(server.root, `repo-${++n}`), files);

async function changesOf(sessionId: string): Promise<Extract<Changes, { isGitRepo: true }>> {
  const res = await server.api('GET', `/api/sessions/${sessionId}/changes`);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.body.isGitRepo).toBe(true);
  return res.body as Extract<Changes, { isGitRepo: true }>;
}

const byPath = (files: FileChange[]) => Object.fromEntries(files.map((f) => [f.path, f]));

describe('changes', () => {
  it('lists modified, added, deleted, renamed, untracked and binary files with counts, and one diff', async () => {
    const repo = await newRepo({
      'keep.txt': 'one\ntwo\nthree\n',
      'gone.txt': 'bye\n',
      'old-name.txt': 'a long enough line so that git sees a rename\nand another one\n',
      'staged.txt': 'x\n',
    });
    const session = await newSession(server, { cwd: repo });
    await writeFile(join(repo, 'keep.txt'), 'one\n2\nthree\nfour\n');
    await rm(join(repo, 'gone.txt'));
    await rename(join(repo, 'old-name.txt'), join(repo, 'new-name.txt'));
    await writeFiles(repo, { 'src/new.ts': 'export const a = 1;\nexport const b = 2;\n', 'no-newline.txt': 'last' });
    await writeFile(join(repo, 'pic.bin'), Buffer.from([0x89, 0x50, 0x00, 0x01, 0x02, 0x00]));
    await writeFile(join(repo, '.gitignore'), 'ignored.log\n');
    await writeFile(join(repo, 'ignored.log'), 'noise\n');

    const changes = await changesOf(session.id);
    expect(changes).toMatchObject({ branch: 'main', baseRef: 'HEAD', truncated: false });
    const files = byPath(changes.files);
    expect(files['keep.txt']).toEqual({ path: 'keep.txt', status: 'modified', additions: 2, deletions: 1 });
    expect(files['gone.txt']).toEqual({ path: 'gone.txt', status: 'deleted', additions: 0, deletions: 1 });
    // Untracked files are not in the index, so git sees a delete and a new file, not a rename.
    expect(files['old-name.txt']?.status).toBe('deleted');
    expect(files['new-name.txt']).toMatchObject({ status: 'untracked', additions: 2 });
    expect(files['src/new.ts']).toEqual({ path: 'src/new.ts', status: 'untracked', additions: 2, deletions: 0 });
    expect(files['pic.bin']).toEqual({ path: 'pic.bin', status: 'untracked', additions: 0, deletions: 0, binary: true });
    expect(files['.gitignore']?.status).toBe('untracked');
    expect(files['ignored.log']).toBeUndefined();

    expect(changes.diff).toContain('diff --git a/keep.txt b/keep.txt\n');
    expect(changes.diff).toContain('-two\n+2\n three\n+four\n');
    expect(changes.diff).toContain('diff --git a/src/new.ts b/src/new.ts\nnew file mode 100644\n--- /dev/null\n+++ b/src/new.ts\n@@ -0,0 +1,2 @@\n+export const a = 1;\n');
    expect(changes.diff).toContain('@@ -0,0 +1 @@\n+last\n\\ No newline at end of file\n');
    expect(changes.diff).toContain('Binary files /dev/null and b/pic.bin differ\n');
    expect(changes.diff).not.toContain('\u0000');
  });

  it('counts a staged rename as a rename, and names a changed binary without inlining it', async () => {
    const repo = await newRepo({ 'a.txt': 'a long enough line so that git sees a rename\nand another\n' });
    await writeFile(join(repo, 'blob.dat'), Buffer.from([0, 1, 2, 3]));
    commitAll(repo, 'binary');
    const session = await newSession(server, { cwd: repo });
    git(repo, 'mv', 'a.txt', 'b.txt');
    await writeFile(join(repo, 'blob.dat'), Buffer.from([0, 9, 9, 9, 9]));
    const changes = await changesOf(session.id);
    const files = byPath(changes.files);
    expect(files['b.txt']).toEqual({ path: 'b.txt', status: 'renamed', oldPath: 'a.txt', additions: 0, deletions: 0 });
    expect(files['blob.dat']).toEqual({ path: 'blob.dat', status: 'modified', additions: 0, deletions: 0, binary: true });
    expect(changes.diff).toContain('rename from a.txt\nrename to b.txt\n');
    expect(changes.diff).toContain('Binary files a/blob.dat and b/blob.dat differ\n');
  });

  it('shows an untracked link by its target name, and never reads what it points at', async () => {
    const outside = await tempDir('cr-secret-');
    await writeFile(join(outside, 'secret.txt'), 'TOP SECRET\n');
    const repo = await newRepo();
    const session = await newSession(server, { cwd: repo });
    await symlink(join(outside, 'secret.txt'), join(repo, 'link.txt'));
    await writeFile(join(repo, 'run.sh'), 'echo hi\n');
    await chmod(join(repo, 'run.sh'), 0o755);
    const changes = await changesOf(session.id);
    expect(changes.diff).toContain('diff --git a/link.txt b/link.txt\nnew file mode 120000\n');
    expect(changes.diff).toContain(`+${join(outside, 'secret.txt')}\n`);
    expect(changes.diff).not.toContain('TOP SECRET');
    expect(changes.diff).toContain('diff --git a/run.sh b/run.sh\nnew file mode 100755\n');
  });

  it('counts from the commit a worktree started at, so what Claude committed shows too', async () => {
    const repo = await newRepo({ 'app.ts': 'v1\n' });
    const session = await newSession(server, { cwd: repo, worktree: true });
    await writeFile(join(session.cwd, 'app.ts'), 'v2\n');
    commitAll(session.cwd, 'committed in the worktree');
    await writeFile(join(session.cwd, 'wip.ts'), 'todo\n');
    // The user's checkout moving on does not change what the session did.
    await writeFile(join(repo, 'other.ts'), 'main moved\n');
    commitAll(repo, 'main moves on');
    const changes = await changesOf(session.id);
    expect(changes.branch).toBe(session.worktree?.branch);
    expect(changes.baseRef).toBe('main');
    expect(byPath(changes.files)).toEqual({
      'app.ts': { path: 'app.ts', status: 'modified', additions: 1, deletions: 1 },
      'wip.ts': { path: 'wip.ts', status: 'untracked', additions: 1, deletions: 0 },
    });
    // The checkout itself shows nothing: it is clean.
    const plain = await newSession(server, { cwd: repo });
    expect((await changesOf(plain.id)).files).toEqual([]);
  });

  it('lists only the session folder when it is a sub-folder of the repository, with paths relative to it', async () => {
    const repo = await newRepo({ 'web/a.ts': '1\n', 'api/b.ts': '1\n' });
    const session = await newSession(server, { cwd: join(repo, 'web') });
    await writeFiles(repo, { 'web/a.ts': '2\n', 'api/b.ts': '2\n', 'web/c.ts': 'new\n' });
    const changes = await changesOf(session.id);
    expect(changes.files.map((f) => f.path).sort()).toEqual(['a.ts', 'c.ts']);
    expect(changes.diff).toContain('diff --git a/a.ts b/a.ts');
  });

  it('shows a repository without a commit against nothing', async () => {
    const repo = await makeRepo(join(server.root, `empty-${++n}`), {});
    await writeFile(join(repo, 'first.txt'), 'hello\n');
    const session = await newSession(server, { cwd: repo });
    const changes = await changesOf(session.id);
    expect(changes.files).toEqual([{ path: 'first.txt', status: 'untracked', additions: 1, deletions: 0 }]);
    expect(changes.branch).toBe('main');
  });

  it('cuts a large diff between files, with a note, and keeps every file in the list', async () => {
    const repo = await newRepo({ 'small.txt': 'a\n' });
    const session = await newSession(server, { cwd: repo });
    const line = 'x'.repeat(99) + '\n';
    const big = line.repeat(Math.ceil(MAX_DIFF_BYTES / 100 / 2));
    await writeFiles(repo, { 'small.txt': 'b\n', 'big-1.txt': big, 'big-2.txt': big, 'big-3.txt': big });
    const changes = await changesOf(session.id);
    expect(changes.files).toHaveLength(4);
    expect(changes.truncated).toBe(true);
    expect(changes.note).toMatch(/cut at 1048576 bytes: it shows 2 of 4 files, each whole/);
    expect(Buffer.byteLength(changes.diff)).toBeLessThanOrEqual(MAX_DIFF_BYTES);
    // Whole files only: every piece ends where a file's diff ends.
    expect(changes.diff.split(/^diff --git /m).filter((p) => p !== '')).toHaveLength(2);
    expect(changes.diff.endsWith(line.replace(/^/, '+'))).toBe(true);
  });

  it('leaves the largest diffs out, not every file after the first that does not fit, and counts the lines of a file too large to show', async () => {
    const repo = await newRepo({ 'a-huge.txt': 'a\n', 'b-huge.txt': 'b\n', 'c-small.txt': 'c\n' });
    const session = await newSession(server, { cwd: repo });
    const line = 'y'.repeat(99) + '\n';
    const huge = line.repeat(Math.ceil((MAX_DIFF_BYTES * 0.8) / 100));
    const untracked = line.repeat(Math.ceil((MAX_DIFF_BYTES * 2) / 100));
    await writeFiles(repo, { 'a-huge.txt': huge, 'b-huge.txt': huge, 'c-small.txt': 'changed\n', 'd-new.log': untracked });
    const changes = await changesOf(session.id);
    const shown = changes.diff.split(/^diff --git /m).filter((p) => p !== '').map((p) => p.slice(0, p.indexOf(' ')));
    expect(shown).toEqual(['a/a-huge.txt', 'a/c-small.txt']);
    expect(changes.note).toMatch(/it shows 2 of 4 files, each whole, leaving out the largest/);
    expect(changes.files.find((f) => f.path === 'd-new.log')).toMatchObject({ status: 'untracked', additions: Math.ceil((MAX_DIFF_BYTES * 2) / 100), deletions: 0 });
    expect(Buffer.byteLength(changes.diff)).toBeLessThanOrEqual(MAX_DIFF_BYTES);
  });

  it('answers {isGitRepo: false} for a plain folder, and 404 for an unknown session', async () => {
    const session = await newSession(server);
    const res = await server.api('GET', `/api/sessions/${session.id}/changes`);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ isGitRepo: false });
    expect((await server.api('GET', '/api/sessions/nope/changes')).body.error.code).toBe('session_not_found');
  });
});
