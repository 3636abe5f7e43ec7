/**
 * Finds the user's own `claude` executable: CLAUDE_PATH, then PATH, then the
 * places the installers put it (~/.claude/local, ~/.local/bin).
 */
import { execFile } from 'node:child_process';
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { CliLocation, CliLocator } from '../core/ports.js';

export const INSTALL_HINT =
  'Install Claude Code with `npm install -g @anthropic-ai/claude-code` (or the native installer), ' +
  'log in once with `claude`, or set CLAUDE_PATH to the executable.';

const VERSION_TIMEOUT_MS = 10_000;
/** A found CLI is re-checked this often (it may be upgraded or removed). */
const CACHE_MS = 30_000;

export interface LocatorOptions {
  claudePath?: string | undefined;
  /** PATH to search; defaults to the server's PATH. */
  searchPath?: string | undefined;
  home?: string | undefined;
  /** Environment for `claude --version` (the same cleaned one runs get). */
  env?: Record<string, string> | undefined;
}

export function createCliLocator(options: LocatorOptions): CliLocator {
  let cached: { at: number; location: CliLocation } | undefined;
  return {
    async locate() {
      if (cached && cached.location.found && Date.now() - cached.at < CACHE_MS) return cached.location;
      const location = await locateOnce(options);
      cached = { at: Date.now(), location };
      return location;
    },
  };
}

async function locateOnce(options: LocatorOptions): Promise<CliLocation> {
  const candidates = candidatePaths(options);
  for (const path of candidates) {
    if (!isExecutableFile(path)) continue;
    const version = await readVersion(path, options.env);
    return { found: true, path, version };
  }
  const where = options.claudePath
    ? `CLAUDE_PATH=${options.claudePath} is not an executable file.`
    : 'No `claude` executable on PATH, in ~/.claude/local or in ~/.local/bin.';
  return { found: false, hint: `${where} ${INSTALL_HINT}` };
}

export function candidatePaths(options: LocatorOptions): string[] {
  // An explicit CLAUDE_PATH is the only candidate: silently falling back to
  // another binary would run something the user did not choose.
  if (options.claudePath) return [options.claudePath];
  // `npm start` puts ./node_modules/.bin first on PATH, and there sits the
  // CLI our tests pin as a dev dependency. The product runs the user's own
  // claude (their install, their login), never a package's copy.
  const dirs = (options.searchPath ?? process.env.PATH ?? '')
    .split(delimiter)
    .filter((d) => d !== '' && !/[\\/]node_modules[\\/]\.bin[\\/]?$/.test(d));
  const fromPath = dirs.map((d) => join(d, 'claude'));
  const home = options.home;
  const extra = home ? [join(home, '.claude', 'local', 'claude'), join(home, '.local', 'bin', 'claude')] : [];
  return [...fromPath, ...extra];
}

function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function readVersion(path: string, env: Record<string, string> | undefined): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile(path, ['--version'], { timeout: VERSION_TIMEOUT_MS, env: env ?? { ...process.env, NODE_OPTIONS: '' } }, (err, stdout) => {
      if (err) return resolve(undefined);
      const text = stdout.trim().split('\n')[0];
      resolve(text === '' ? undefined : text);
    });
  });
}
