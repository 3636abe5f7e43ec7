/**
 * Configuration: command-line flags, then environment variables, then a
 * `.env` file, then defaults; validated once and frozen. Nothing else in the
 * server reads `process.env`.
 */
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { isIP } from 'node:net';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs, parseEnv } from 'node:util';
import { z } from 'zod';
import type { McpPolicy } from './core/policy.js';
import { PERMISSION_MODES, type PermissionMode } from './protocol/events.js';
import { SETTINGS, type SettingKey } from './settings.js';

export { SETTING_ENV_NAMES, type SettingKey } from './settings.js';

/** true/false, 1/0, yes/no, on/off, in any case. */
const TRUTHY = ['1', 'true', 'yes', 'on'];
const FALSY = ['0', 'false', 'no', 'off'];
const boolText = z.stringbool({ truthy: TRUTHY, falsy: FALSY });

/** TRUST_PROXY: a yes or no (yes = loopback), or a list of proxies; a string says what is wrong. */
function trustProxyList(text: string): string[] | string {
  const value = text.trim().toLowerCase();
  if (value === '' || FALSY.includes(value)) return [];
  if (TRUTHY.includes(value)) return ['loopback'];
  const entries = value.split(',').map((e) => e.trim()).filter((e) => e !== '');
  for (const entry of entries) {
    if (entry === 'loopback') continue;
    const [address = '', prefix, extra] = entry.split('/');
    const family = isIP(address);
    const bits = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= bits);
    if (family === 0 || !prefixOk || extra !== undefined) return `expected true, false, or addresses and CIDR ranges (like 10.0.0.0/8); "${entry}" is none of these`;
  }
  return entries;
}

const intText = (min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const configSchema = z.object({
  host: z.string().min(1),
  port: intText(0, 65535),
  dataDir: z.string().min(1),
  sessionsDir: z.string(),
  worktreesDir: z.string(),
  allowedRoots: z.string(),
  claudePath: z.string(),
  maxConcurrentRuns: intText(1, 64),
  maxQueueLength: intText(1, 10_000),
  permissionPrompts: boolText,
  permissionTimeoutS: intText(1, 7 * 24 * 3600),
  killGraceMs: intText(10, 600_000),
  runTimeoutS: intText(0, 7 * 24 * 3600),
  runIdleTimeoutS: intText(0, 7 * 24 * 3600),
  maxOutputBytes: intText(0, 2 ** 40),
  eventRetentionDays: intText(0, 36_500),
  maxAttachmentMb: intText(1, 100),
  gitPath: z.string(),
  warmIdleS: intText(1, 7 * 24 * 3600),
  warmMax: intText(0, 1000),
  warmMaxMb: intText(0, 1024 * 1024),
  warmPrewarm: boolText,
  usageScanIntervalS: intText(1, 3600),
  authUser: z.string().min(1),
  authPassword: z.string(),
  authToken: z.string(),
  authSessionDays: intText(1, 3650),
  authPasswordFile: z.string(),
  authTokenFile: z.string(),
  allowedHosts: z.string(),
  trustProxy: z.string().transform((text, ctx) => {
    const list = trustProxyList(text);
    if (typeof list === 'string') ctx.addIssue({ code: 'custom', message: list });
    return typeof list === 'string' ? [] : list;
  }),
  permissionModes: z.string(),
  mcpConfig: z.string().trim().toLowerCase().pipe(z.enum(['off', 'files', 'any'])),
  allowUnauthenticatedRemote: boolText,
  tunnel: boolText,
  ngrokAuthtoken: z.string(),
  ngrokDomain: z.string(),
  ngrokOauthProvider: z.string(),
  ngrokOauthAllowEmails: z.string(),
  ngrokOauthAllowDomains: z.string(),
  pushSubject: z
    .string()
    .trim()
    .regex(/^(mailto:[^@\s]+@[^@\s]+|https:\/\/\S+)$/, 'expected mailto:you@example.org or an https:// URL'),
  redisUrl: z.string().trim(),
  redisHost: z.string().trim(),
  redisPort: intText(1, 65535),
  redisPassword: z.string(),
  leaseTtlS: intText(2, 600),
  logLevel: z.string().trim().toLowerCase().pipe(z.enum(['debug', 'info', 'warn', 'error'])),
  logFormat: z.string().trim().toLowerCase().pipe(z.enum(['auto', 'json', 'pretty'])),
  metricsPort: z.union([z.literal(''), intText(0, 65535)]),
  webDir: z.string(),
});

export interface Config {
  host: string;
  port: number;
  dataDir: string;
  /** Folders of sessions created without one. */
  sessionsDir: string;
  /** Where worktree sessions' worktrees are made. */
  worktreesDir: string;
  allowedRoots: string[];
  claudePath?: string | undefined;
  maxConcurrentRuns: number;
  maxQueueLength: number;
  permissionPrompts: boolean;
  permissionTimeoutMs: number;
  killGraceMs: number;
  /** 0: no limit. */
  runTimeoutMs: number;
  idleTimeoutMs: number;
  maxOutputBytes: number;
  /** Streaming deltas and raw lines of runs finished longer ago are dropped (0: kept forever). */
  eventRetentionDays: number;
  /** MAX_ATTACHMENT_MB, in bytes. */
  maxAttachmentBytes: number;
  gitPath?: string | undefined;
  /** Warm CLI processes (see server/core/warm-pool.ts). */
  warm: { idleMs: number; maxCount: number; maxBytes: number; prewarm: boolean };
  usageScanIntervalMs: number;
  authUser: string;
  authPassword?: string | undefined;
  authToken?: string | undefined;
  authSessionTtlMs: number;
  /** Host names (optionally with a port) accepted in `Host` without a secret, besides loopback ones. */
  allowedHosts: string[];
  /** Believe X-Forwarded-* from loopback connections (the operator's own reverse proxy). */
  /** Proxies whose X-Forwarded-* is believed: `loopback`, addresses, CIDR ranges (empty: none). */
  trustProxy: readonly string[];
  /** The permission modes clients may choose. */
  permissionModes: PermissionMode[];
  /** What MCP configs clients may pass: none, files inside the allowed roots, or anything. */
  mcpPolicy: McpPolicy;
  /** The loudly named opt-out: listen beyond loopback, or tunnel, with no secret. */
  allowUnauthenticatedRemote: boolean;
  tunnel?:
    | {
        authtoken: string;
        domain?: string | undefined;
        oauthProvider?: string | undefined;
        oauthAllowEmails: string[];
        oauthAllowDomains: string[];
      }
    | undefined;
  /** The VAPID subject of every push: who the push services' operators can reach. */
  pushSubject: string;
  /** Redis to store in instead of SQLite: REDIS_URL, or one made of REDIS_HOST, _PORT and _PASSWORD. */
  redisUrl?: string | undefined;
  /** With Redis: how long a session's lease outlives its holder's last renewal. */
  leaseTtlMs: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  /** JSON lines, readable lines, or readable only on a terminal. */
  logFormat: 'auto' | 'json' | 'pretty';
  /** A second listener for /metrics alone, on 127.0.0.1 and without credentials; off when absent. */
  metricsPort?: number | undefined;
  webDir?: string | undefined;
  /** Where each value came from, for the start-up log. */
  sources: Record<SettingKey, 'flag' | 'env' | 'dotenv' | 'default'>;
}

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export interface ConfigInput {
  argv?: readonly string[];
  env?: Record<string, string | undefined>;
  /** Path of the .env file; it is read only if it exists. */
  envFile?: string | undefined;
  home?: string;
}

export function loadConfig(input: ConfigInput = {}): Readonly<Config> {
  const argv = input.argv ?? [];
  const env = input.env ?? {};
  const home = input.home ?? homedir();
  const dotenv = input.envFile && existsSync(input.envFile) ? parseEnv(readFileSync(input.envFile, 'utf8')) : {};
  const flags = parseFlags(argv);

  const raw: Record<string, string> = {};
  const sources = {} as Config['sources'];
  for (const [key, setting] of Object.entries(SETTINGS) as [SettingKey, (typeof SETTINGS)[SettingKey]][]) {
    const fromFlag = flags[setting.flag];
    const fromEnv = env[setting.env];
    const fromDotenv = dotenv[setting.env];
    if (fromFlag !== undefined) [raw[key], sources[key]] = [fromFlag, 'flag'];
    else if (fromEnv !== undefined && fromEnv !== '') [raw[key], sources[key]] = [fromEnv, 'env'];
    else if (fromDotenv !== undefined && fromDotenv !== '') [raw[key], sources[key]] = [fromDotenv, 'dotenv'];
    else [raw[key], sources[key]] = [setting.default, 'default'];
  }
  const parsed = configSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const key = issue.path[0] as SettingKey;
      const setting = SETTINGS[key];
      return `${setting.env} (--${setting.flag}) = ${JSON.stringify(raw[key])}: ${issue.message}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const c = parsed.data;
  const expand = (p: string) => resolve(p === '~' ? home : p.startsWith('~/') ? join(home, p.slice(2)) : p);
  const optional = (v: string) => (v === '' ? undefined : v);
  return Object.freeze({
    host: c.host,
    port: c.port,
    dataDir: expand(c.dataDir),
    sessionsDir: c.sessionsDir.trim() === '' ? join(expand(c.dataDir), 'sessions') : expand(c.sessionsDir.trim()),
    worktreesDir: c.worktreesDir.trim() === '' ? join(expand(c.dataDir), 'worktrees') : expand(c.worktreesDir.trim()),
    allowedRoots: c.allowedRoots
      .split(new RegExp(`[${delimiter === ':' ? ':' : ';'},]`))
      .map((p) => p.trim())
      .filter((p) => p !== '')
      .map(expand),
    claudePath: optional(c.claudePath) && expand(c.claudePath),
    maxConcurrentRuns: c.maxConcurrentRuns,
    maxQueueLength: c.maxQueueLength,
    permissionPrompts: c.permissionPrompts,
    permissionTimeoutMs: c.permissionTimeoutS * 1000,
    killGraceMs: c.killGraceMs,
    runTimeoutMs: c.runTimeoutS * 1000,
    idleTimeoutMs: c.runIdleTimeoutS * 1000,
    maxOutputBytes: c.maxOutputBytes,
    eventRetentionDays: c.eventRetentionDays,
    maxAttachmentBytes: c.maxAttachmentMb * 2 ** 20,
    gitPath: optional(c.gitPath) && expand(c.gitPath),
    warm: { idleMs: c.warmIdleS * 1000, maxCount: c.warmMax, maxBytes: c.warmMaxMb * 2 ** 20, prewarm: c.warmPrewarm },
    usageScanIntervalMs: c.usageScanIntervalS * 1000,
    authUser: c.authUser,
    authPassword: secret(c.authPassword, c.authPasswordFile, 'AUTH_PASSWORD', expand),
    authToken: secret(c.authToken, c.authTokenFile, 'AUTH_TOKEN', expand),
    authSessionTtlMs: c.authSessionDays * 24 * 3600 * 1000,
    allowedHosts: commaList(c.allowedHosts).map((h) => h.toLowerCase()),
    trustProxy: c.trustProxy,
    permissionModes: permissionModes(c.permissionModes),
    mcpPolicy: c.mcpConfig,
    allowUnauthenticatedRemote: c.allowUnauthenticatedRemote,
    tunnel: tunnelSettings(c),
    pushSubject: c.pushSubject,
    redisUrl: redisUrl(c, sources),
    leaseTtlMs: c.leaseTtlS * 1000,
    logLevel: c.logLevel,
    logFormat: c.logFormat,
    metricsPort: c.metricsPort === '' ? undefined : c.metricsPort,
    webDir: optional(c.webDir) && expand(c.webDir),
    sources,
  });
}

function commaList(v: string): string[] {
  return v
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
}

/**
 * A secret given directly or as a file (AUTH_PASSWORD_FILE): a file keeps it
 * out of the process environment, which the CLI's tools (same user) can read
 * in /proc. One trailing newline is dropped, as `echo secret > file` adds it.
 */
function secret(direct: string, file: string, name: string, expand: (p: string) => string): string | undefined {
  if (direct !== '' && file !== '') throw new ConfigError(`Set ${name} or ${name}_FILE, not both.`);
  if (file === '') return direct === '' ? undefined : direct;
  let text: string;
  try {
    text = readFileSync(expand(file), 'utf8');
  } catch (err) {
    throw new ConfigError(`${name}_FILE: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}).`);
  }
  const value = text.replace(/\r?\n$/, '');
  if (value === '') throw new ConfigError(`${name}_FILE: ${file} is empty.`);
  return value;
}

function permissionModes(v: string): PermissionMode[] {
  const list = commaList(v);
  if (list.length === 0) return [...PERMISSION_MODES];
  const unknown = list.filter((m) => !(PERMISSION_MODES as readonly string[]).includes(m));
  if (unknown.length > 0) {
    throw new ConfigError(`PERMISSION_MODES: unknown mode(s) ${unknown.join(', ')}; the modes are ${PERMISSION_MODES.join(', ')}.`);
  }
  return list as PermissionMode[];
}

function tunnelSettings(c: z.infer<typeof configSchema>): Config['tunnel'] {
  if (!c.tunnel) return undefined;
  if (c.ngrokAuthtoken === '') {
    throw new ConfigError('The tunnel needs an ngrok authtoken: set NGROK_AUTHTOKEN (or --ngrok-authtoken). Get one at the ngrok dashboard.');
  }
  return {
    authtoken: c.ngrokAuthtoken,
    domain: c.ngrokDomain || undefined,
    oauthProvider: c.ngrokOauthProvider || undefined,
    oauthAllowEmails: commaList(c.ngrokOauthAllowEmails),
    oauthAllowDomains: commaList(c.ngrokOauthAllowDomains),
  };
}

/**
 * REDIS_URL as given, or else a URL of REDIS_HOST, REDIS_PORT and
 * REDIS_PASSWORD (escaped, so any character may appear in it). A port or
 * password without a host would silently mean SQLite: refused instead.
 */
function redisUrl(c: z.infer<typeof configSchema>, sources: Config['sources']): string | undefined {
  if (c.redisUrl !== '') {
    if (!/^rediss?:\/\//i.test(c.redisUrl)) throw new ConfigError('REDIS_URL must start with redis:// or rediss:// (TLS).');
    return c.redisUrl;
  }
  if (c.redisHost === '') {
    if (c.redisPassword !== '' || sources.redisPort !== 'default') {
      throw new ConfigError('REDIS_PORT and REDIS_PASSWORD need REDIS_HOST (or set REDIS_URL).');
    }
    return undefined;
  }
  const host = c.redisHost.includes(':') ? `[${c.redisHost}]` : c.redisHost;
  const auth = c.redisPassword === '' ? '' : `:${encodeURIComponent(c.redisPassword)}@`;
  return `redis://${auth}${host}:${c.redisPort}`;
}

function parseFlags(argv: readonly string[]): Record<string, string | undefined> {
  const options = Object.fromEntries(
    Object.values(SETTINGS).map((s) => [s.flag, { type: 'boolean' in s ? ('boolean' as const) : ('string' as const) }]),
  );
  try {
    const { values } = parseArgs({ args: [...argv], options, strict: true, allowPositionals: false });
    // Boolean flags become the same text an environment variable would carry.
    return Object.fromEntries(Object.entries(values).map(([k, v]) => [k, typeof v === 'boolean' ? String(v) : v]));
  } catch (err) {
    throw new ConfigError(`${(err as Error).message}. Run with --help for the list of options.`);
  }
}

export function helpText(): string {
  const rows = Object.values(SETTINGS).map(
    (s) => `  --${s.flag.padEnd(22)} ${s.env.padEnd(22)} ${s.help}${s.default ? ` (default: ${s.default})` : ''}`,
  );
  return [
    'Usage: claude-remote [options]',
    '',
    'Every option can also be set as an environment variable or in a .env file',
    '(flag > environment > .env > default).',
    '',
    '  flag                     variable               meaning',
    ...rows,
    '  --help                                          Show this help',
  ].join('\n');
}
