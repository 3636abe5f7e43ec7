import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, helpText, loadConfig } from './config.js';

const dotenvFile = (text: string) => {
  const file = join(mkdtempSync(join(tmpdir(), 'cr-env-')), '.env');
  writeFileSync(file, text);
  return file;
};

describe('loadConfig', () => {
  it('has safe defaults: loopback, port 8765, the home folder as the only root', () => {
    const c = loadConfig({ home: '/home/u' });
    expect(c).toMatchObject({ host: '127.0.0.1', port: 8765, dataDir: '/home/u/.claude-remote', allowedRoots: ['/home/u'], maxConcurrentRuns: 2 });
    expect(c.authPassword).toBeUndefined();
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('takes a flag over the environment over .env over the default', () => {
    const envFile = dotenvFile('PORT=1111\nMAX_CONCURRENT_RUNS=3\nLOG_LEVEL=warn\nMAX_QUEUE_LENGTH=7\n');
    const c = loadConfig({
      argv: ['--port', '3333'],
      env: { PORT: '2222', MAX_CONCURRENT_RUNS: '4' },
      envFile,
      home: '/h',
    });
    expect(c.port).toBe(3333);
    expect(c.maxConcurrentRuns).toBe(4);
    expect(c.logLevel).toBe('warn');
    expect(c.maxQueueLength).toBe(7);
    expect(c.sources).toMatchObject({ port: 'flag', maxConcurrentRuns: 'env', logLevel: 'dotenv', host: 'default' });
  });

  it('takes MAX_ATTACHMENT_MB in MiB (5 by default, 1 to 100), GIT_PATH only when set, WORKTREES_DIR under DATA_DIR by default', () => {
    expect(loadConfig({ home: '/h' })).toMatchObject({ maxAttachmentBytes: 5 * 2 ** 20, gitPath: undefined, worktreesDir: '/h/.claude-remote/worktrees' });
    expect(loadConfig({ env: { WORKTREES_DIR: '~/shared/wt' }, home: '/h' }).worktreesDir).toBe('/h/shared/wt');
    const c = loadConfig({ argv: ['--max-attachment-mb', '12', '--git-path', '~/bin/git'], home: '/h' });
    expect(c).toMatchObject({ maxAttachmentBytes: 12 * 2 ** 20, gitPath: '/h/bin/git' });
    expect(() => loadConfig({ env: { MAX_ATTACHMENT_MB: '0' } })).toThrow(/MAX_ATTACHMENT_MB/);
    expect(() => loadConfig({ env: { MAX_ATTACHMENT_MB: '2.5' } })).toThrow(/MAX_ATTACHMENT_MB/);
  });

  it('splits and expands allowed roots', () => {
    const c = loadConfig({ env: { ALLOWED_ROOTS: '~/code:/srv/work, /tmp/x' }, home: '/home/u' });
    expect(c.allowedRoots).toEqual(['/home/u/code', '/srv/work', '/tmp/x']);
  });

  it('names the setting and the bad value when validation fails', () => {
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(ConfigError);
    expect(() => loadConfig({ env: { PORT: 'eighty' } })).toThrow(/PORT \(--port\) = "eighty"/);
    expect(() => loadConfig({ env: { MAX_CONCURRENT_RUNS: '0' } })).toThrow(/MAX_CONCURRENT_RUNS/);
    expect(() => loadConfig({ env: { PERMISSION_PROMPTS: 'maybe' } })).toThrow(/PERMISSION_PROMPTS/);
    expect(() => loadConfig({ argv: ['--no-such-flag'] })).toThrow(/--help/);
  });

  it('rescans the transcripts for usage every 10 s unless told otherwise, and refuses 0', () => {
    expect(loadConfig({ home: '/h' }).usageScanIntervalMs).toBe(10_000);
    expect(loadConfig({ argv: ['--usage-scan-interval', '2'], home: '/h' }).usageScanIntervalMs).toBe(2000);
    expect(() => loadConfig({ env: { USAGE_SCAN_INTERVAL_S: '0' }, home: '/h' })).toThrow(ConfigError);
  });

  it('reads the log level and format in any case, and the metrics port only when set', () => {
    expect(loadConfig({ env: { LOG_LEVEL: 'DEBUG', LOG_FORMAT: 'JSON' } })).toMatchObject({ logLevel: 'debug', logFormat: 'json' });
    expect(loadConfig({ argv: ['--log-level', ' Warn '] }).logLevel).toBe('warn');
    expect(loadConfig({})).toMatchObject({ logLevel: 'info', logFormat: 'auto', metricsPort: undefined });
    expect(loadConfig({ env: { METRICS_PORT: '9464' } }).metricsPort).toBe(9464);
    expect(() => loadConfig({ env: { LOG_LEVEL: 'loud' } })).toThrow(/LOG_LEVEL \(--log-level\) = "loud"/);
    expect(() => loadConfig({ env: { LOG_FORMAT: 'xml' } })).toThrow(/LOG_FORMAT/);
    expect(() => loadConfig({ env: { METRICS_PORT: '70000' } })).toThrow(/METRICS_PORT/);
  });

  it('lists every flag with its variable in the help', () => {
    const help = helpText();
    for (const name of ['--port', 'PORT', '--allowed-roots', 'ALLOWED_ROOTS', '--claude-path', 'MAX_CONCURRENT_RUNS']) {
      expect(help).toContain(name);
    }
  });
});

describe('security settings', () => {
  it('reads secrets from files, dropping one trailing newline, and refuses both ways at once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cr-secret-'));
    writeFileSync(join(dir, 'pw'), 'p@ss word\n');
    writeFileSync(join(dir, 'empty'), '');
    const c = loadConfig({ env: { AUTH_PASSWORD_FILE: join(dir, 'pw'), AUTH_TOKEN: 'tok' } });
    expect(c.authPassword).toBe('p@ss word');
    expect(c.authToken).toBe('tok');
    expect(() => loadConfig({ env: { AUTH_PASSWORD: 'x', AUTH_PASSWORD_FILE: join(dir, 'pw') } })).toThrow(/AUTH_PASSWORD or AUTH_PASSWORD_FILE/);
    expect(() => loadConfig({ env: { AUTH_TOKEN_FILE: join(dir, 'missing') } })).toThrow(/AUTH_TOKEN_FILE: cannot read/);
    expect(() => loadConfig({ env: { AUTH_TOKEN_FILE: join(dir, 'empty') } })).toThrow(/is empty/);
  });

  it('reads the policy: all modes and MCP files by default; unknown values refused by name', () => {
    const c = loadConfig({});
    expect(c.permissionModes).toContain('bypassPermissions');
    expect(c.mcpPolicy).toBe('files');
    const strict = loadConfig({ env: { PERMISSION_MODES: 'default, plan', MCP_CONFIG: 'OFF' } });
    expect(strict.permissionModes).toEqual(['default', 'plan']);
    expect(strict.mcpPolicy).toBe('off');
    expect(() => loadConfig({ env: { PERMISSION_MODES: 'default,yolo' } })).toThrow(/PERMISSION_MODES: unknown mode\(s\) yolo/);
    expect(() => loadConfig({ env: { MCP_CONFIG: 'some' } })).toThrow(/MCP_CONFIG/);
  });

  it('takes extra host names and the proxy setting', () => {
    const c = loadConfig({ env: { ALLOWED_HOSTS: 'DevBox, build.lan:9000', TRUST_PROXY: 'yes' } });
    expect(c.allowedHosts).toEqual(['devbox', 'build.lan:9000']);
    expect(c.trustProxy).toEqual(['loopback']);
    expect(loadConfig({}).trustProxy).toEqual([]);
    expect(loadConfig({ env: { TRUST_PROXY: 'off' } }).trustProxy).toEqual([]);
    expect(loadConfig({ argv: ['--trust-proxy', 'loopback, 10.0.0.0/8,192.168.1.5, fd00::/8'] }).trustProxy).toEqual([
      'loopback',
      '10.0.0.0/8',
      '192.168.1.5',
      'fd00::/8',
    ]);
    for (const bad of ['10.0.0.0/33', 'proxy.lan', '10.0.0.0/8/1', '::1/129'])
      expect(() => loadConfig({ env: { TRUST_PROXY: bad } }), bad).toThrow(/TRUST_PROXY \(--trust-proxy\)/);
  });
});

describe('the .env file', () => {
  it('reads KEY=value lines with comments, quotes and export (Node\'s own parser)', () => {
    const envFile = dotenvFile('# a comment\nAUTH_USER="two words"\nexport LOG_LEVEL=warn\nALLOWED_HOSTS=\'a#b\'\nMAX_QUEUE_LENGTH=7 # seven\n\nnot a setting\n');
    const c = loadConfig({ envFile, home: '/h' });
    expect(c).toMatchObject({ authUser: 'two words', logLevel: 'warn', allowedHosts: ['a#b'], maxQueueLength: 7 });
  });

  it('reads booleans in any case, and refuses anything else by name', () => {
    expect(loadConfig({ env: { TRUST_PROXY: 'Yes', PERMISSION_PROMPTS: 'OFF' } })).toMatchObject({ trustProxy: ['loopback'], permissionPrompts: false });
    expect(() => loadConfig({ env: { TRUST_PROXY: 'maybe' } })).toThrow(/TRUST_PROXY/);
  });

  it('stores in SQLite unless REDIS_URL or REDIS_HOST says Redis; REDIS_URL wins', () => {
    expect(loadConfig({}).redisUrl).toBeUndefined();
    expect(loadConfig({ env: { REDIS_URL: 'rediss://u:p@cache:6380/2' } }).redisUrl).toBe('rediss://u:p@cache:6380/2');
    expect(loadConfig({ env: { REDIS_HOST: 'cache' } }).redisUrl).toBe('redis://cache:6379');
    expect(loadConfig({ env: { REDIS_URL: 'redis://a:1', REDIS_HOST: 'b', REDIS_PORT: '2', REDIS_PASSWORD: 'x' } }).redisUrl).toBe('redis://a:1');
    expect(loadConfig({ argv: ['--redis-host', '::1', '--redis-port', '7000'] }).redisUrl).toBe('redis://[::1]:7000');
  });

  it('puts REDIS_PASSWORD into the Redis URL escaped, so any character survives', () => {
    const password = 'p@ss:w/rd%?#';
    const url = loadConfig({ env: { REDIS_HOST: 'cache', REDIS_PASSWORD: password } }).redisUrl ?? '';
    expect(decodeURIComponent(new URL(url).password)).toBe(password);
    expect(new URL(url).host).toBe('cache:6379');
  });

  it('refuses Redis settings that cannot work: another scheme, a port or password without a host', () => {
    expect(() => loadConfig({ env: { REDIS_URL: 'http://cache:6379' } })).toThrow(/REDIS_URL must start with redis:\/\//);
    expect(() => loadConfig({ env: { REDIS_PASSWORD: 'x' } })).toThrow(/REDIS_HOST/);
    expect(() => loadConfig({ env: { REDIS_PORT: '7000' } })).toThrow(/REDIS_HOST/);
    expect(() => loadConfig({ env: { REDIS_HOST: 'cache', REDIS_PORT: 'x' } })).toThrow(/REDIS_PORT \(--redis-port\)/);
  });

  it('makes folders of sessions without one under DATA_DIR unless SESSIONS_DIR says where; leases last 15 s unless told', () => {
    expect(loadConfig({ home: '/home/u', env: { DATA_DIR: '/srv/cr' } }).sessionsDir).toBe('/srv/cr/sessions');
    expect(loadConfig({ home: '/home/u', env: { SESSIONS_DIR: '~/shared' } }).sessionsDir).toBe('/home/u/shared');
    expect(loadConfig({}).leaseTtlMs).toBe(15_000);
    expect(loadConfig({ env: { LEASE_TTL_S: '3' } }).leaseTtlMs).toBe(3_000);
    expect(() => loadConfig({ env: { LEASE_TTL_S: '1' } })).toThrow(/LEASE_TTL_S \(--lease-ttl-s\)/);
  });
});
