import { execFileSync } from 'node:child_process';
import { chmod, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { UsageAnswer } from '../protocol/usage.js';
import { tempDir } from '../../test/support/server.js';
import { appendLines, assistantLine, writeTranscript } from '../../test/support/transcripts.js';
import { createUsageService, transcriptRoots } from './index.js';

const SUMMARY_SCRIPT = fileURLToPath(new URL('../../test/support/usage-summary.ts', import.meta.url));
const NOBODY = 65534;

describe('where the transcripts are', () => {
  it("are in every folder of CLAUDE_CONFIG_DIR, comma-separated, as ccusage reads it", () => {
    expect(transcriptRoots({ CLAUDE_CONFIG_DIR: ' /a/one , /b/two,,/a/one', HOME: '/home/u' }, '/x')).toEqual(['/a/one', '/b/two']);
  });

  it("are in the CLI's environment's ~/.claude otherwise", () => {
    expect(transcriptRoots({ HOME: '/home/u' }, '/x')).toEqual(['/home/u/.claude']);
    expect(transcriptRoots({ CLAUDE_CONFIG_DIR: '  ' }, '/home/me')).toEqual(['/home/me/.claude']);
  });
});

describe('the usage service', () => {
  let root: string;
  beforeEach(async () => {
    root = await tempDir('cr-usage-service-');
  });
  afterEach(() => rm(root, { recursive: true, force: true }));

  it('answers after its first scan, then from memory; a refresh picks up what was appended', async () => {
    const file = await writeTranscript(root, '/p', 's', [assistantLine({ at: Date.now() - 60_000, output: 10 })]);
    const service = createUsageService({ roots: [root], scanIntervalMs: 60_000, watch: false });
    try {
      expect((await service.summary()).today.outputTokens).toBe(10);
      await appendLines(file, [assistantLine({ at: Date.now(), output: 5 })]);
      expect((await service.summary()).today.outputTokens).toBe(10);
      await Promise.all([service.refresh(), service.refresh(), service.refresh()]);
      expect((await service.summary()).today.outputTokens).toBe(15);
    } finally {
      await service.close();
    }
  });

  it('skips a file it may not read, says so, and counts the rest', async () => {
    await writeTranscript(root, '/p', 'readable', [assistantLine({ at: Date.now(), output: 10 })]);
    const secret = await writeTranscript(root, '/p', 'secret', [assistantLine({ at: Date.now(), output: 99 })]);
    await chmod(secret, 0o000);
    // Root reads any file: run the scan as nobody then, with the folders open to it.
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      execFileSync('chmod', ['-R', 'a+rX', root]);
      await chmod(secret, 0o000);
    }
    const out = execFileSync(process.execPath, ['--import', 'tsx', SUMMARY_SCRIPT, root], {
      encoding: 'utf8',
      cwd: fileURLToPath(new URL('../..', import.meta.url)),
      env: { ...process.env, HOME: root },
      ...(asRoot ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    const answer = JSON.parse(out) as UsageAnswer;
    expect(answer.source).toMatchObject({ files: 2, unreadableFiles: 1, entries: 1 });
    expect(answer.today.outputTokens).toBe(10);
  });
});
