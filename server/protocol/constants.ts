/**
 * The closed lists of the protocol, as plain values with no dependency: the
 * web app imports them without pulling zod into its bundle. The schemas in
 * session.ts and runs.ts are built from them.
 */

export const PERMISSION_MODES = ['default', 'acceptEdits', 'bypassPermissions', 'plan', 'dontAsk', 'auto', 'manual'] as const;

export const RUN_STATUSES = ['success', 'error', 'interrupted', 'cancelled'] as const;

/** Why a run ended in error, when we can tell. */
export const RUN_ERROR_KINDS = [
  'cli_missing',
  'cli_crashed',
  'cli_error',
  'api_error',
  'max_turns',
  'timeout',
  'server_restart',
  /** The owner's policy or the allowed roots refused the run before it started. */
  'refused',
] as const;

export const ZERO_USAGE = Object.freeze({
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
});
