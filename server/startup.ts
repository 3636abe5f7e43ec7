/**
 * What a start checks and gathers before anything opens: the package's
 * version, whether the address is loopback, whether the server may be
 * reached without a secret, secrets given on the command line, and the
 * environment the CLI gets (never our own settings).
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ConfigError, SETTING_ENV_NAMES, type Config } from './config.js';
import type { Logger } from './log.js';

/** The package root: where package.json is, whether we run from server/ or dist/. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (pkg.name === 'claude-remote') return dir;
    } catch {
      // not here; go up
    }
    dir = dirname(dir);
  }
  return process.cwd();
}

export function packageVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1|localhost)$/i;

export function isLoopback(host: string): boolean {
  return LOOPBACK.test(host);
}

/**
 * The CLI's environment: the user's own (their login, API key, PATH), minus
 * our Node flags (as the Agent SDK does) and minus every setting of ours.
 * Claude's tools can read and print their environment: AUTH_PASSWORD,
 * AUTH_TOKEN or NGROK_AUTHTOKEN must never be within their reach.
 */
export function defaultCliEnv(source: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const ours = new Set([...SETTING_ENV_NAMES, 'NODE_OPTIONS', 'CLAUDE_REMOTE_SUPERVISED']);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(source)) if (value !== undefined && !ours.has(key)) env[key] = value;
  return env;
}

/** Command lines are visible to every user of the machine (`ps`). */
export function warnAboutSecretsOnCommandLine(config: Readonly<Config>, log: Logger): void {
  const flags = {
    authPassword: '--auth-password',
    authToken: '--auth-token',
    ngrokAuthtoken: '--ngrok-authtoken',
    redisPassword: '--redis-password',
    redisUrl: '--redis-url',
  } as const;
  for (const [key, flag] of Object.entries(flags) as [keyof typeof flags, string][]) {
    if (config.sources[key] !== 'flag') continue;
    if (key === 'redisUrl' && !/\/\/[^/]*@/.test(config.redisUrl ?? '')) continue;
    log.warn(
      `${flag} puts a secret on the command line, where every user of this machine can read it (ps). ` +
        'Put it in the .env file (chmod 600) or the environment instead (AUTH_PASSWORD_FILE / AUTH_TOKEN_FILE name files for the app\'s secrets).',
    );
  }
}

/**
 * Whoever reaches this server can run commands as this user. Beyond loopback
 * (another address, or a tunnel) a secret is required, unless the loudly
 * named opt-out is set, and then every start says so.
 */
export function checkExposure(config: Readonly<Config>, log: Logger): void {
  const exposed = !isLoopback(config.host) || config.tunnel !== undefined;
  if (!exposed || config.authPassword || config.authToken) return;
  const where = config.tunnel ? 'an ngrok tunnel' : `${config.host}`;
  if (config.allowUnauthenticatedRemote) {
    log.warn(
      `UNAUTHENTICATED on ${where}: anyone who can reach this server can run any command as this user. ` +
        'Set AUTH_PASSWORD and drop --dangerously-allow-unauthenticated-remote.',
    );
    return;
  }
  throw new ConfigError(
    `Refusing to start on ${where} without authentication: anyone who reaches it could run commands on this computer.\n` +
      'Set AUTH_PASSWORD (the app asks for it) and/or AUTH_TOKEN (for API clients: Authorization: Bearer), ' +
      'or listen on 127.0.0.1 only (HOST=127.0.0.1).',
  );
}
