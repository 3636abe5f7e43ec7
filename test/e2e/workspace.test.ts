/**
 * Worktrees, changes and pictures with the REAL claude CLI against the fake
 * Messages API: two sessions on one repository each write a file that the
 * other never sees, the changes list it with its diff, a purge removes the
 * worktree and keeps the branch, and an attached picture reaches the API as
 * an image block with the same bytes.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { branches, commitAll, git, makeRepo, worktreePaths } from '../support/git.js';
import { PNG_1X1 } from '../support/images.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { finishedOf, newSession, queuePrompt, runEvents, submit } from '../support/runs.js';
import { startTestServer, type TestServer } from '../support/server.js';

const TIMEOUT = 120_000;
let fake: FakeAnthropic;
let claude: ClaudeEnv;
let server: TestServer;

beforeAll(async () => {
  fake = await startFakeAnthropic();
  claude = await makeClaudeEnv(fake);
  server = await startTestServer({ claudePath: realClaudePath(), cliEnv: claude.env, config: { WARM_PREWARM: 'false' } });
});
afterAll(async () => {
  await server?.close();
  await fake?.close();
  await claude?.cleanup();
});

describe('worktree sessions with the real CLI', () => {
  it(
    'keeps two sessions on one repository apart; each one\'s changes show its file; purge removes the worktree, keeps the branch',
    async () => {
      const repo = await makeRepo(join(server.root, 'shared-repo'), { 'README.md': '# shared\n' });
      const a = await newSession(server, { cwd: repo, worktree: true, permissionMode: 'bypassPermissions', name: 'A' });
      const b = await newSession(server, { cwd: repo, worktree: true, permissionMode: 'bypassPermissions', name: 'B' });
      expect(a.cwd).not.toBe(b.cwd);

      const [runA, runB] = await Promise.all([submit(server, a.id, '[[write:from-a.txt:written by A\n]]'), submit(server, b.id, '[[write:from-b.txt:written by B\n]]')]);
      expect(finishedOf(await runEvents(server, a.id, runA)).status).toBe('success');
      expect(finishedOf(await runEvents(server, b.id, runB)).status).toBe('success');

      expect(await readFile(join(a.cwd, 'from-a.txt'), 'utf8')).toBe('written by A\n');
      expect(await readFile(join(b.cwd, 'from-b.txt'), 'utf8')).toBe('written by B\n');
      expect(existsSync(join(a.cwd, 'from-b.txt'))).toBe(false);
      expect(existsSync(join(b.cwd, 'from-a.txt'))).toBe(false);
      // The user's checkout saw neither.
      expect(existsSync(join(repo, 'from-a.txt')) || existsSync(join(repo, 'from-b.txt'))).toBe(false);

      const changesA = (await server.api('GET', `/api/sessions/${a.id}/changes`)).body;
      expect(changesA).toMatchObject({ isGitRepo: true, branch: a.worktree?.branch, baseRef: 'main', truncated: false });
      expect(changesA.files).toEqual([{ path: 'from-a.txt', status: 'untracked', additions: 1, deletions: 0 }]);
      expect(changesA.diff).toBe('diff --git a/from-a.txt b/from-a.txt\nnew file mode 100644\n--- /dev/null\n+++ b/from-a.txt\n@@ -0,0 +1 @@\n+written by A\n');
      expect((await server.api('GET', `/api/sessions/${b.id}/changes`)).body.files.map((f: { path: string }) => f.path)).toEqual(['from-b.txt']);

      // Uncommitted work stops a purge; once committed on the session's branch, the purge goes through.
      const refused = await server.api('DELETE', `/api/sessions/${a.id}?purge=true`);
      expect(refused.status).toBe(409);
      expect(refused.body.error.message).toContain('from-a.txt');
      commitAll(a.cwd, 'work of A');
      const purged = await server.api('DELETE', `/api/sessions/${a.id}?purge=true`);
      expect(purged.body).toMatchObject({ deleted: true, purged: true });
      expect(existsSync(a.worktree?.path ?? '')).toBe(false);
      expect(worktreePaths(repo)).not.toContain(a.worktree?.path);
      expect(branches(repo)).toContain(a.worktree?.branch);
      expect(git(repo, 'show', `${a.worktree?.branch}:from-a.txt`)).toBe('written by A\n');
    },
    TIMEOUT,
  );
});

describe('pictures in prompts with the real CLI', () => {
  it(
    'an attached image reaches the Messages API as an image block with the same bytes',
    async () => {
      const session = await newSession(server);
      const prompt = `what is in the picture ${Date.now()}`;
      const { runId } = await queuePrompt(server, session.id, prompt, {
        attachments: [{ name: 'dot.png', mediaType: 'image/png', data: PNG_1X1.toString('base64') }],
      });
      expect(finishedOf(await runEvents(server, session.id, runId)).status).toBe('success');
      const request = fake.requests.find((r) => JSON.stringify(r.body?.messages ?? []).includes(prompt));
      expect(request, 'the model request with the prompt').toBeDefined();
      const blocks = (request?.body.messages as Array<{ role: string; content: unknown }>)
        .filter((m) => m.role === 'user' && Array.isArray(m.content))
        .flatMap((m) => m.content as Array<{ type: string; source?: { type: string; media_type: string; data: string } }>);
      const images = blocks.filter((b) => b.type === 'image');
      expect(images).toHaveLength(1);
      expect(images[0]?.source).toMatchObject({ type: 'base64', media_type: 'image/png' });
      expect(Buffer.from(images[0]?.source?.data ?? '', 'base64').equals(PNG_1X1)).toBe(true);
    },
    TIMEOUT,
  );
});
