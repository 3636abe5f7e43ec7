/**
 * `npm run demo`: the whole product, offline. The real `claude` CLI (the
 * pinned dev dependency) talks to the fake Anthropic API on loopback, so
 * anyone can click through the app without an account or network.
 *
 * Settings come from flags and the environment as for the real server, except
 * that DATA_DIR and ALLOWED_ROOTS default to fresh temp folders (removed on
 * exit) and the CLI is always the bundled one.
 */
import { mkdir, mkdtemp, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../server/config.js';
import { startServer } from '../server/main.js';
import { startFakeAnthropic } from '../test/support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath } from '../test/support/real-claude.js';

/** Slow enough to watch the text stream in, fast enough not to bore. */
const TEXT_CHUNK_DELAY_MS = 30;

async function tempDir(prefix: string): Promise<string> {
  return realpath(await mkdtemp(join(tmpdir(), prefix)));
}

async function main(): Promise<void> {
  const ownDirs: string[] = [];
  const dataDir = process.env.DATA_DIR || (await tempDir('claude-remote-demo-data-'));
  if (!process.env.DATA_DIR) ownDirs.push(dataDir);
  let demoFolder = process.env.ALLOWED_ROOTS;
  if (!demoFolder) {
    demoFolder = await tempDir('claude-remote-demo-');
    ownDirs.push(demoFolder);
    await mkdir(join(demoFolder, 'project'), { recursive: true });
  }

  const fake = await startFakeAnthropic({ textChunkDelayMs: TEXT_CHUNK_DELAY_MS });
  const claude = await makeClaudeEnv(fake);
  const config = loadConfig({
    argv: process.argv.slice(2),
    env: {
      ...process.env,
      PORT: process.env.PORT ?? '8765',
      DATA_DIR: dataDir,
      ALLOWED_ROOTS: demoFolder,
      CLAUDE_PATH: realClaudePath(),
    },
  });
  const server = await startServer(config, { cliEnv: claude.env });

  const projectHint = process.env.ALLOWED_ROOTS ? demoFolder : join(demoFolder, 'project');
  process.stdout.write(
    [
      '',
      `  Claude Remote demo: ${server.url}`,
      '',
      '  The real claude CLI answers through a fake Anthropic API: no account, no network.',
      `  Data:    ${dataDir}`,
      `  Folders: ${demoFolder}  (e.g. ${projectHint})`,
      '',
      '  Try these prompts:',
      '    hello                     an echo, streamed',
      '    [[markdown]]              a heading, a list, a code fence and a link',
      '    [[slow]]                  40 slow chunks: try Interrupt, or queue more and Cancel one',
      '    [[think]]                 a thinking block before the answer',
      '    [[write:hello.txt:hi]]    the Write tool: runs at once with permission mode bypassPermissions,',
      '                              asks Allow/Deny in the app with the default mode',
      '    [[bash:ls -la]]           the Bash tool (read-only commands need no permission)',
      '    [[error:500]]             an API error, reported as a failed run',
      '',
      '  Ctrl+C stops everything.',
      '',
    ].join('\n'),
  );

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) {
      process.stderr.write(`${signal} again: exiting now\n`);
      process.exit(1);
    }
    stopping = true;
    process.stdout.write(`\n${signal}: stopping\n`);
    void (async () => {
      try {
        await server.close();
        await fake.close();
        await claude.cleanup();
        for (const dir of ownDirs) await rm(dir, { recursive: true, force: true });
        process.exit(0);
      } catch (err) {
        process.stderr.write(`shutdown failed: ${(err as Error)?.stack ?? String(err)}\n`);
        process.exit(1);
      }
    })();
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof ConfigError ? err.message : ((err as Error)?.stack ?? String(err))}\n`);
  process.exit(err instanceof ConfigError ? 2 : 1);
});
