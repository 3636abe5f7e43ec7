/**
 * The closed lists of the protocol, as plain values with no dependency: the
 * web app imports them without pulling zod into its bundle. The schemas in
 * session.ts and runs.ts are built from them.
 */

export const PERMISSION_MODES = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto', 'manual'] as const;

export const RUN_STATUSES = ['success', 'error', 'interrupted', 'cancelled'] as const;

/**
 * Why a run did not succeed, when we can tell. The API's failures come as
 * the CLI classifies them: `auth` (the key or login was refused), `billing`
 * (the credit ran out), `usage_limit` (a subscription's limit is reached),
 * `rate_limit` and `server_error` (after the CLI's own retries), `api_error`
 * (anything else the API refused). Ours: `timeout` and `idle_timeout`
 * (RUN_TIMEOUT_S, RUN_IDLE_TIMEOUT_S), `max_turns`, `cli_missing`,
 * `cli_crashed`, `interrupted`, `server_restart` (the server died while it
 * ran), `refused` (the owner's policy, the allowed roots or MAX_OUTPUT_BYTES).
 */
export const RUN_ERROR_KINDS = [
  'auth',
  'billing',
  'usage_limit',
  'rate_limit',
  'server_error',
  'api_error',
  'timeout',
  'idle_timeout',
  'max_turns',
  'cli_missing',
  'cli_crashed',
  'interrupted',
  'server_restart',
  'refused',
] as const;

/** Why a session's queue waits: its runs cannot succeed until the account's limit resets or credit is added. */
export const PAUSE_REASONS = ['billing', 'usage_limit'] as const;

export const ZERO_USAGE = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});

/** Image types that reach the CLI as image content blocks (the Messages API takes these four). */
export const IMAGE_MEDIA_TYPES = ['image/png', 'image/jpeg', 'image/gif', 'image/webp'] as const;

/**
 * Types saved into the session folder as text files (besides every `text/*`):
 * the prompt names them and Claude reads them with its tools.
 */
export const TEXT_MEDIA_TYPES = [
  'application/json',
  'application/xml',
  'application/yaml',
  'application/x-yaml',
  'application/toml',
  'application/javascript',
  'application/typescript',
  'application/x-sh',
  'application/sql',
  'application/graphql',
  'application/x-ndjson',
] as const;
