/**
 * Every setting the server reads: its environment variable, its flag, its
 * help line and its default, in the order --help lists them. config.ts
 * reads and validates them; nothing else in the server reads the
 * environment.
 */
import { delimiter } from 'node:path';

/** Each setting: its environment name, its flag, and how to read it. */
export const SETTINGS = {
  host: { env: 'HOST', flag: 'host', help: 'Address to listen on', default: '127.0.0.1' },
  port: { env: 'PORT', flag: 'port', help: 'Port to listen on (0 = any free port)', default: '8765' },
  dataDir: { env: 'DATA_DIR', flag: 'data-dir', help: 'Where the database and own session folders live', default: '~/.claude-remote' },
  sessionsDir: {
    env: 'SESSIONS_DIR',
    flag: 'sessions-dir',
    help: 'Folders of sessions created without one (default: DATA_DIR/sessions); with Redis, a folder every instance shares at the same path',
    default: '',
  },
  worktreesDir: {
    env: 'WORKTREES_DIR',
    flag: 'worktrees-dir',
    help: 'Git worktrees of sessions created with worktree: true (default: DATA_DIR/worktrees); with Redis, a folder every instance shares at the same path',
    default: '',
  },
  allowedRoots: {
    env: 'ALLOWED_ROOTS',
    flag: 'allowed-roots',
    help: `Folders sessions may work in, separated by "${delimiter}" or ","`,
    default: '~',
  },
  claudePath: { env: 'CLAUDE_PATH', flag: 'claude-path', help: 'The claude executable (default: auto-detect)', default: '' },
  maxConcurrentRuns: { env: 'MAX_CONCURRENT_RUNS', flag: 'max-concurrent-runs', help: 'CLI processes at once, over all sessions', default: '2' },
  maxQueueLength: { env: 'MAX_QUEUE_LENGTH', flag: 'max-queue-length', help: 'Queued prompts per session', default: '100' },
  permissionPrompts: {
    env: 'PERMISSION_PROMPTS',
    flag: 'permission-prompts',
    help: 'Ask in the app before tools that need approval (default-mode sessions)',
    default: 'true',
  },
  permissionTimeoutS: {
    env: 'PERMISSION_TIMEOUT_S',
    flag: 'permission-timeout',
    help: 'Seconds to wait for an answer before denying',
    default: '600',
  },
  warmIdleS: { env: 'WARM_IDLE_S', flag: 'warm-idle', help: 'Seconds a finished session keeps its CLI process warm for the next prompt', default: '600' },
  warmMax: { env: 'WARM_MAX', flag: 'warm-max', help: 'Warm CLI processes at most (0 = a fresh process for every prompt)', default: '4' },
  warmMaxMb: { env: 'WARM_MAX_MB', flag: 'warm-max-mb', help: 'Memory (MiB, whole process trees) the warm processes may use', default: '1024' },
  warmPrewarm: {
    env: 'WARM_PREWARM',
    flag: 'warm-prewarm',
    help: "Start a new (or cleared) session's CLI before its first prompt",
    default: 'true',
  },
  runTimeoutS: { env: 'RUN_TIMEOUT_S', flag: 'run-timeout', help: 'End a run that takes longer, as timeout (0 = no limit)', default: '0' },
  runIdleTimeoutS: {
    env: 'RUN_IDLE_TIMEOUT_S',
    flag: 'run-idle-timeout',
    help: 'End a run whose CLI printed nothing for this long, as idle_timeout (0 = no limit)',
    default: '0',
  },
  maxOutputBytes: {
    env: 'MAX_OUTPUT_BYTES',
    flag: 'max-output-bytes',
    help: 'Stop a run that prints more than this (0 = no limit)',
    default: String(256 * 1024 * 1024),
  },
  maxAttachmentMb: {
    env: 'MAX_ATTACHMENT_MB',
    flag: 'max-attachment-mb',
    help: 'MB one file attached to a prompt may weigh (at most 10 files a prompt)',
    default: '5',
  },
  gitPath: { env: 'GIT_PATH', flag: 'git-path', help: 'The git executable, for worktrees and changes (default: git on PATH)', default: '' },
  eventRetentionDays: {
    env: 'EVENT_RETENTION_DAYS',
    flag: 'event-retention-days',
    help: 'Drop the streaming deltas and raw lines of runs that finished longer ago (0 = keep all)',
    default: '30',
  },
  killGraceMs: { env: 'KILL_GRACE_MS', flag: 'kill-grace-ms', help: 'Grace per step of SIGINT -> SIGTERM -> SIGKILL', default: '3000' },
  usageScanIntervalS: {
    env: 'USAGE_SCAN_INTERVAL_S',
    flag: 'usage-scan-interval',
    help: "Seconds between rescans of the CLI's transcripts for the usage page (changes are also watched)",
    default: '10',
  },
  authUser: { env: 'AUTH_USER', flag: 'auth-user', help: 'User name for HTTP Basic auth', default: 'admin' },
  authPassword: { env: 'AUTH_PASSWORD', flag: 'auth-password', help: 'Password for the app and Basic auth', default: '' },
  authToken: { env: 'AUTH_TOKEN', flag: 'auth-token', help: 'Bearer token for API clients', default: '' },
  authPasswordFile: {
    env: 'AUTH_PASSWORD_FILE',
    flag: 'auth-password-file',
    help: 'A file holding the password (kept out of the environment and ps)',
    default: '',
  },
  authTokenFile: { env: 'AUTH_TOKEN_FILE', flag: 'auth-token-file', help: 'A file holding the Bearer token', default: '' },
  allowedHosts: {
    env: 'ALLOWED_HOSTS',
    flag: 'allowed-hosts',
    help: 'Host names the server answers to without a password, besides loopback (comma-separated)',
    default: '',
  },
  trustProxy: {
    env: 'TRUST_PROXY',
    flag: 'trust-proxy',
    help: 'Believe X-Forwarded-For/-Proto from these proxies: true (loopback: a proxy on this machine), or addresses and CIDR ranges, comma-separated (loopback, 10.0.0.0/8, fd00::/8)',
    default: 'false',
  },

  permissionModes: {
    env: 'PERMISSION_MODES',
    flag: 'permission-modes',
    help: `Permission modes clients may choose, comma-separated (default: all)`,
    default: '',
  },
  mcpConfig: {
    env: 'MCP_CONFIG',
    flag: 'mcp-config',
    help: 'MCP configs clients may pass: off, files (files inside the allowed roots) or any',
    default: 'files',
  },
  authSessionDays: { env: 'AUTH_SESSION_DAYS', flag: 'auth-session-days', help: 'Days a browser login lasts', default: '30' },
  allowUnauthenticatedRemote: {
    env: 'DANGEROUSLY_ALLOW_UNAUTHENTICATED_REMOTE',
    flag: 'dangerously-allow-unauthenticated-remote',
    help: 'Listen beyond loopback or tunnel WITHOUT a password: anyone who reaches it runs commands as you',
    default: 'false',
    boolean: true,
  },
  tunnel: { env: 'TUNNEL', flag: 'tunnel', help: 'Open an ngrok tunnel (needs NGROK_AUTHTOKEN)', default: 'false', boolean: true },
  ngrokAuthtoken: { env: 'NGROK_AUTHTOKEN', flag: 'ngrok-authtoken', help: 'ngrok authtoken', default: '' },
  ngrokDomain: { env: 'NGROK_DOMAIN', flag: 'ngrok-domain', help: 'Fixed ngrok domain, e.g. you.ngrok.app', default: '' },
  ngrokOauthProvider: { env: 'NGROK_OAUTH_PROVIDER', flag: 'ngrok-oauth-provider', help: 'OAuth at the ngrok edge: google, github, ...', default: '' },
  ngrokOauthAllowEmails: { env: 'NGROK_OAUTH_ALLOW_EMAILS', flag: 'ngrok-oauth-allow-emails', help: 'Emails the edge lets in (comma-separated)', default: '' },
  ngrokOauthAllowDomains: { env: 'NGROK_OAUTH_ALLOW_DOMAINS', flag: 'ngrok-oauth-allow-domains', help: 'Email domains the edge lets in (comma-separated)', default: '' },
  pushSubject: {
    env: 'PUSH_SUBJECT',
    flag: 'push-subject',
    help: 'Contact in Web Push requests (mailto: or https:), for the push services; Apple refuses localhost ones',
    default: 'mailto:claude-remote@example.com',
  },
  redisUrl: {
    env: 'REDIS_URL',
    flag: 'redis-url',
    help: 'Use Redis instead of SQLite: redis://[user:password@]host:port[/db], or rediss:// for TLS',
    default: '',
  },
  redisHost: { env: 'REDIS_HOST', flag: 'redis-host', help: 'Use Redis on this host instead of SQLite (REDIS_URL wins)', default: '' },
  redisPort: { env: 'REDIS_PORT', flag: 'redis-port', help: 'Port of REDIS_HOST', default: '6379' },
  redisPassword: { env: 'REDIS_PASSWORD', flag: 'redis-password', help: 'Password of REDIS_HOST', default: '' },
  leaseTtlS: {
    env: 'LEASE_TTL_S',
    flag: 'lease-ttl-s',
    help: 'With Redis: seconds a session stays with an instance that stopped renewing its lease (failover time)',
    default: '15',
  },
  logLevel: { env: 'LOG_LEVEL', flag: 'log-level', help: 'debug, info, warn or error (any case)', default: 'info' },
  logFormat: {
    env: 'LOG_FORMAT',
    flag: 'log-format',
    help: 'json (one object per line), pretty (readable), or auto: pretty when stderr is a terminal',
    default: 'auto',
  },
  metricsPort: {
    env: 'METRICS_PORT',
    flag: 'metrics-port',
    help: 'Also serve /metrics without credentials on 127.0.0.1 at this port (default: only on the main port, behind auth)',
    default: '',
  },
  webDir: { env: 'WEB_DIR', flag: 'web-dir', help: 'Built web app to serve (default: dist/web)', default: '' },
} as const;

export type SettingKey = keyof typeof SETTINGS;

/** The environment variables this server reads: its own, not the CLI's business. */
export const SETTING_ENV_NAMES: readonly string[] = Object.values(SETTINGS).map((s) => s.env);
