/**
 * A git worktree per session, against real git repositories: where it is
 * made, that runs work in it, what a delete and a purge do with it, and each
 * way it can fail leaving nothing behind.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { branches, commitAll, git, makeRepo, worktreePaths } from '../support/git.js';
import { newSession, runPrompt } from '../support/runs.js';
import { startTestServer, tempDir, type TestServer } from '../support/server.js';

let server: TestServer;
let log: string;

beforeAll(async () => {
  log = join(await tempDir('cr-wt-log-'), 'cli.log');
  server = await startTestServer({ cliEnv: { FAKE_CLAUDE_LOG: log }, config: { WARM_PREWARM: 'false' } });
});
afterAll(async () => {
  await server.close();
});

let n = 0;
const newRepo = async (files?: Record<string, string>) => makeRepo(join(server.root, `repo-${++n}`), files);
const worktreesDir = () => join(server.dataDir, 'worktrees');

/** A session with `worktree: true`; fails the test when it has none. */
async function worktreeSession(body: Record<string, unknown>) {
  const session = await newSession(server, { worktree: true, ...body });
  if (!session.worktree) throw new Error(`no worktree in ${JSON.stringify(session)}`);
  return { ...session, worktree: session.worktree };
}

describe('a worktree per session', () => {
  it('makes a worktree under the data folder on a branch of its own, from HEAD, and the session runs in it', async () => {
    const repo = await newRepo();
    const session = await worktreeSession({ cwd: repo, name: 'Fix the login' });
    const head = git(repo, 'rev-parse', 'HEAD').trim();
    expect(session.worktree).toEqual({
      path: join(worktreesDir(), session.id),
      branch: `claude-remote/fix-the-login-${session.id.slice(0, 8)}`,
      baseRef: 'main',
      baseCommit: head,
      repo,
    });
    expect(session.cwd).toBe(session.worktree.path);
    expect(session.ownFolder).toBe(false);
    expect(worktreePaths(repo)).toContain(session.worktree.path);
    expect(branches(repo)).toContain(session.worktree.branch);
    expect(await readFile(join(session.cwd, 'README.md'), 'utf8')).toBe('# demo\n');
    // The user's checkout is untouched: still on main.
    expect(git(repo, 'symbolic-ref', '--short', 'HEAD').trim()).toBe('main');

    const { finished } = await runPrompt(server, session.id, 'hello');
    expect(finished.status).toBe('success');
    const cwds = (await readFile(log, 'utf8')).trim().split('\n').map((line) => (JSON.parse(line) as { cwd: string }).cwd);
    expect(cwds).toContain(session.worktree.path);
    expect(cwds).not.toContain(repo);
  });

  it('starts from baseRef when given, and keeps the sub-folder cwd was in', async () => {
    const repo = await newRepo({ 'app/main.ts': 'v1\n' });
    const first = git(repo, 'rev-parse', 'HEAD').trim();
    git(repo, 'tag', 'v1');
    await writeFile(join(repo, 'app/main.ts'), 'v2\n');
    commitAll(repo, 'second');
    const session = await worktreeSession({ cwd: join(repo, 'app'), baseRef: 'v1' });
    expect(session.worktree).toMatchObject({ baseRef: 'v1', baseCommit: first, repo });
    expect(session.cwd).toBe(join(session.worktree.path, 'app'));
    expect(await readFile(join(session.cwd, 'main.ts'), 'utf8')).toBe('v1\n');
  });

  it('deletes a worktree session and keeps its worktree; purge then has nothing to remove', async () => {
    const repo = await newRepo();
    const session = await worktreeSession({ cwd: repo });
    const res = await server.api('DELETE', `/api/sessions/${session.id}`);
    expect(res.body).toEqual({ deleted: true, purged: false });
    expect(existsSync(session.worktree.path)).toBe(true);
    expect(worktreePaths(repo)).toContain(session.worktree.path);
  });

  it('purge removes a clean worktree with git and keeps its branch with the work committed on it', async () => {
    const repo = await newRepo();
    const session = await worktreeSession({ cwd: repo });
    await writeFile(join(session.cwd, 'feature.txt'), 'done\n');
    commitAll(session.cwd, 'feature');
    const res = await server.api('DELETE', `/api/sessions/${session.id}?purge=true`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deleted: true, purged: true });
    expect(res.body.message).toContain(session.worktree.branch);
    expect(existsSync(session.worktree.path)).toBe(false);
    expect(worktreePaths(repo)).not.toContain(session.worktree.path);
    expect(branches(repo)).toContain(session.worktree.branch);
    expect(git(repo, 'show', `${session.worktree.branch}:feature.txt`)).toBe('done\n');
  });

  it('refuses to purge a worktree with uncommitted or untracked work, and deletes nothing', async () => {
    const repo = await newRepo();
    const session = await worktreeSession({ cwd: repo });
    await writeFile(join(session.cwd, 'draft.txt'), 'not committed\n');
    const res = await server.api('DELETE', `/api/sessions/${session.id}?purge=true`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe('git_failed');
    expect(res.body.error.message).toContain('draft.txt');
    expect((await server.api('GET', `/api/sessions/${session.id}`)).status).toBe(200);
    expect(await readFile(join(session.cwd, 'draft.txt'), 'utf8')).toBe('not committed\n');
  });

  it('refuses to purge a locked worktree, and says why', async () => {
    const repo = await newRepo();
    const session = await worktreeSession({ cwd: repo });
    git(repo, 'worktree', 'lock', '--reason', 'on a USB disk', session.worktree.path);
    const res = await server.api('DELETE', `/api/sessions/${session.id}?purge=1`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(/locked \(on a USB disk\)/);
    expect((await server.api('GET', `/api/sessions/${session.id}`)).status).toBe(200);
  });
});

describe('a worktree that cannot be made leaves nothing behind', () => {
  const count = async () => (await server.api('GET', '/api/sessions')).body.sessions.length as number;
  const entries = async () => (existsSync(worktreesDir()) ? (await readdir(worktreesDir())).length : 0);

  it('refuses a folder that is not in a git repository (400, a clear message)', async () => {
    const before = [await count(), await entries()];
    const plain = await tempDir('cr-plain-');
    const dir = join(server.root, `plain-${++n}`);
    await makeRepo(dir, {});
    // A repository with no commit has nothing to start a worktree from.
    const unborn = await server.api('POST', '/api/sessions', { cwd: dir, worktree: true });
    expect(unborn.status).toBe(400);
    expect(unborn.body.error.message).toMatch(/no commit yet/);
    await rm(join(dir, '.git'), { recursive: true });
    const res = await server.api('POST', '/api/sessions', { cwd: dir, worktree: true });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/is not inside a git repository/);
    // Outside the roots is refused before git is asked anything.
    expect((await server.api('POST', '/api/sessions', { cwd: plain, worktree: true })).body.error.code).toBe('path_not_allowed');
    expect([await count(), await entries()]).toEqual(before);
  });

  it('refuses worktree without cwd, and baseRef without worktree', async () => {
    const repo = await newRepo();
    const noCwd = await server.api('POST', '/api/sessions', { worktree: true });
    expect(noCwd.status).toBe(400);
    expect(noCwd.body.error.message).toMatch(/needs a cwd/);
    const baseOnly = await server.api('POST', '/api/sessions', { cwd: repo, baseRef: 'main' });
    expect(baseOnly.status).toBe(400);
    expect(baseOnly.body.error.message).toMatch(/baseRef goes with worktree/);
    expect((await server.api('POST', '/api/sessions', { cwd: repo, worktree: 'yes' })).body.error.code).toBe('validation_failed');
  });

  it('refuses a baseRef that names no commit, or looks like an option, without making a branch', async () => {
    const repo = await newRepo();
    const before = [await count(), await entries(), branches(repo)];
    for (const baseRef of ['no-such-branch', '--orphan', 'main..other']) {
      const res = await server.api('POST', '/api/sessions', { cwd: repo, worktree: true, baseRef });
      expect(res.status, baseRef).toBe(400);
      expect(res.body.error.message, baseRef).toMatch(/baseRef/);
    }
    expect([await count(), await entries(), branches(repo)]).toEqual(before);
  });

  it('answers 503 when git cannot be run, and makes nothing', async () => {
    const noGit = await startTestServer({ config: { GIT_PATH: '/nonexistent/git', WARM_PREWARM: 'false' } });
    try {
      const repo = await makeRepo(join(noGit.root, 'repo'));
      const res = await noGit.api('POST', '/api/sessions', { cwd: repo, worktree: true });
      expect(res.status).toBe(503);
      expect(res.body.error).toMatchObject({ code: 'git_unavailable' });
      expect(res.body.error.message).toMatch(/git could not be run .*GIT_PATH/);
      expect((await noGit.api('GET', '/api/sessions')).body.sessions).toEqual([]);
      expect(await readdir(join(noGit.dataDir, 'worktrees'))).toEqual([]);
      // Changes need git too: the same answer, not a "plain folder".
      const plain = await newSession(noGit, { cwd: repo });
      expect((await noGit.api('GET', `/api/sessions/${plain.id}/changes`)).status).toBe(503);
    } finally {
      await noGit.close();
    }
  });

  it('reports git refusing the worktree with its words, and leaves no folder and no branch', async () => {
    const repo = await newRepo();
    // A branch named "claude-remote" makes every "claude-remote/..." branch
    // impossible (a ref cannot be a file and a folder): git refuses the add.
    git(repo, 'branch', 'claude-remote');
    const before = [await count(), await entries(), branches(repo)];
    const res = await server.api('POST', '/api/sessions', { cwd: repo, worktree: true });
    expect(res.status, JSON.stringify(res.body)).toBe(409);
    expect(res.body.error.code).toBe('git_failed');
    expect(res.body.error.message).toMatch(/git could not make the worktree: .*claude-remote/);
    expect([await count(), await entries(), branches(repo)]).toEqual(before);
    expect(worktreePaths(repo)).toEqual([repo]);
  });
});
