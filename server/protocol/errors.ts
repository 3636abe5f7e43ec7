/**
 * The closed set of error codes every door answers with, as
 * `{ "error": { "code", "message" } }`. Scripts branch on `code`; the message
 * is for people and may change.
 */
export const ERROR_STATUS = {
  bad_request: 400,
  invalid_json: 400,
  validation_failed: 400,
  path_not_allowed: 400,
  unauthorized: 401,
  forbidden: 403,
  host_not_allowed: 403,
  origin_not_allowed: 403,
  policy_refused: 403,
  session_not_found: 404,
  run_not_found: 404,
  process_not_found: 404,
  permission_request_not_found: 404,
  file_not_found: 404,
  not_found: 404,
  conflict: 409,
  /** git refused (a dirty or locked worktree, a ref that is not there); the message says what it said. */
  git_failed: 409,
  already_answered: 409,
  not_running: 409,
  payload_too_large: 413,
  unsupported_media_type: 415,
  queue_full: 429,
  rate_limited: 429,
  too_many_connections: 429,
  cli_unavailable: 503,
  owner_unavailable: 503,
  /** git could not be run (not installed, or GIT_PATH is wrong). */
  git_unavailable: 503,
  /** The store (Redis) cannot be reached right now; the same call may work again soon. */
  store_unavailable: 503,
  internal: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_STATUS;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: unknown };
}
