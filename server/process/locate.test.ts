import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candidatePaths, createCliLocator } from './locate.js';

function fakeClaude(dir: string, version = '9.9.9 (Claude Code)'): string {
  mkdirSync(dir, { recursive: true });
  const path = join(dir, 'claude');
  writeFileSync(path, `#!/bin/sh\necho "${version}"\n`);
  chmodSync(path, 0o755);
  return path;
}

describe('CLI location', () => {
  it('finds claude on PATH and reads its version', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-loc-'));
    const path = fakeClaude(join(dir, 'bin'));
    const found = await createCliLocator({ searchPath: join(dir, 'bin'), home: join(dir, 'home') }).locate();
    expect(found).toEqual({ found: true, path, version: '9.9.9 (Claude Code)' });
  });

  it('never picks the copy in a node_modules/.bin that npm puts on PATH', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-loc-'));
    fakeClaude(join(dir, 'node_modules', '.bin'));
    const own = fakeClaude(join(dir, 'home', '.local', 'bin'), '1.0.0 (Claude Code)');
    const found = await createCliLocator({ searchPath: join(dir, 'node_modules', '.bin'), home: join(dir, 'home') }).locate();
    expect(found.path).toBe(own);
  });

  it('looks in ~/.claude/local then ~/.local/bin after PATH', () => {
    expect(candidatePaths({ searchPath: '/a:/b', home: '/h' })).toEqual([
      '/a/claude',
      '/b/claude',
      '/h/.claude/local/claude',
      '/h/.local/bin/claude',
    ]);
  });

  it('uses only CLAUDE_PATH when it is set, and says how to fix a wrong one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-loc-'));
    fakeClaude(join(dir, 'bin'));
    const missing = await createCliLocator({ claudePath: join(dir, 'nope'), searchPath: join(dir, 'bin') }).locate();
    expect(missing.found).toBe(false);
    expect(missing.hint).toContain('CLAUDE_PATH');
    expect(missing.hint).toContain('npm install -g @anthropic-ai/claude-code');
  });
});
