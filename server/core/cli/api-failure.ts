/**
 * API failures as the CLI reports them: on its synthetic assistant line
 * (`is_api_error_message`) it names the class (`error`), the HTTP status and
 * a typed kind (`api_error_type`), and for a usage limit when it resets. We
 * take its classification rather than parse its text (reference §8).
 */
import type { RunErrorKind } from '../../protocol/events.js';

type Json = Record<string, unknown>;

/** How the CLI classified an API failure, from its synthetic assistant line (`is_api_error_message`). */
export interface ApiFailure {
  /** The CLI's class: authentication_failed, billing_error, rate_limit, server_error, overloaded, ... */
  error?: string | undefined;
  status?: number | undefined;
  /** The typed kind, e.g. usage_limit_reached. */
  type?: string | undefined;
  /** What the CLI told the user. */
  text?: string | undefined;
  /** When a usage limit resets (ISO), when the CLI says. */
  resetsAt?: string | undefined;
}

/** Reads the CLI's classification off its synthetic assistant line. */
export function apiFailureOf(msg: Json, message: Json): ApiFailure {
  const content = Array.isArray(message.content) ? (message.content as Json[]) : [];
  const text = content.map((b) => (typeof b?.text === 'string' ? b.text : '')).join('').trim();
  const params = msg.api_error_params as Json | undefined;
  const info = params?.rate_limit_info as Json | undefined;
  return {
    error: typeof msg.error === 'string' ? msg.error : undefined,
    status: typeof msg.api_error_status === 'number' ? msg.api_error_status : undefined,
    type: typeof msg.api_error_type === 'string' ? msg.api_error_type : undefined,
    text: text || undefined,
    resetsAt: resetTime(info?.resetsAt ?? info?.resets_at),
  };
}

/** A reset time as the CLI may give it: epoch seconds, epoch milliseconds or ISO text. */
function resetTime(value: unknown): string | undefined {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return new Date(value < 1e12 ? value * 1000 : value).toISOString();
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value).toISOString();
  return undefined;
}

/** Our error kind for an API failure, from the CLI's own classification (see docs/architecture.md). */
export function classifyApiFailure(f: ApiFailure): RunErrorKind {
  if (f.type === 'usage_limit_reached' || /usage limit reached/i.test(f.text ?? '')) return 'usage_limit';
  switch (f.error) {
    case 'authentication_failed':
    case 'oauth_org_not_allowed':
    case 'cloud_credential_error':
    case 'verification_required':
      return 'auth';
    case 'billing_error':
    case 'account_on_hold':
      return 'billing';
    case 'rate_limit':
      return 'rate_limit';
    case 'server_error':
    case 'overloaded':
      return 'server_error';
  }
  if (f.status === 401) return 'auth';
  if (f.status === 429) return 'rate_limit';
  if (f.status !== undefined && (f.status >= 500 || f.status === 529)) return 'server_error';
  if (/credit balance (is )?too low/i.test(f.text ?? '')) return 'billing';
  return 'api_error';
}

