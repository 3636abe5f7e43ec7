/**
 * What went wrong and what is going on, as a person reads it: a failed run's
 * kind as a short label (with what to do, when the server said nothing), the
 * CLI retrying an API call with a countdown, a paused queue and when it goes
 * on. Pure functions of their inputs and `now`: no DOM, unit-tested.
 */
import type { RunErrorKind } from '../../server/protocol/events.js';
import type { Paused } from '../../server/protocol/session.js';

interface KindText {
  /** A few words, the start of the error line. */
  label: string;
  /** What to do, shown when the run carries no message of its own. */
  hint: string;
}

/** Every kind of server/protocol/constants.ts: a kind added there breaks the build here until it has words. */
export const ERROR_KIND_TEXT: Readonly<Record<RunErrorKind, KindText>> = {
  auth: {
    label: 'Not logged in',
    hint: 'The API refused the key or login. Log in with `claude` on the server\'s machine (or fix ANTHROPIC_API_KEY), then send the prompt again.',
  },
  billing: { label: 'Out of credit', hint: 'Add credits to the account, then resume this session\'s queue: it waits until you do.' },
  usage_limit: { label: 'Usage limit reached', hint: 'The queue waits until the limit resets, or until you resume it.' },
  rate_limit: { label: 'Rate limited', hint: 'The API limited how fast requests may come. Send it again in a minute; the queue goes on.' },
  server_error: { label: 'The API had a problem', hint: 'It is usually brief: send the prompt again in a moment.' },
  api_error: { label: 'The API refused the request', hint: 'Check the prompt and the session\'s options, then send it again.' },
  timeout: { label: 'Took too long', hint: 'The run passed the server\'s time limit (RUN_TIMEOUT_S) and was stopped; the queue goes on.' },
  idle_timeout: { label: 'Went quiet', hint: 'The CLI printed nothing for too long (RUN_IDLE_TIMEOUT_S) and was stopped; the queue goes on.' },
  max_turns: { label: 'Out of turns', hint: 'The run used every turn it may (maxTurns). Raise it, or continue in a new prompt.' },
  cli_missing: { label: 'Claude CLI not found', hint: 'Install the claude CLI on the server\'s machine, or point CLAUDE_PATH at it.' },
  cli_crashed: { label: 'The CLI crashed', hint: 'It ended before finishing the turn. Send the prompt again.' },
  interrupted: { label: 'Interrupted', hint: 'The run was stopped before it finished.' },
  server_restart: { label: 'Server restarted', hint: 'The server stopped while this ran. It is not run again, since its tools may already have acted.' },
  refused: { label: 'Refused', hint: 'The owner\'s policy, the allowed folders or the output limit refused it.' },
};

/** A newer server may send a kind this app does not know yet. */
const kindText = (kind: string): KindText | undefined => (ERROR_KIND_TEXT as Record<string, KindText | undefined>)[kind];

/** The label of an error kind, or its own words for one this app does not know. */
export function errorKindLabel(kind: string | undefined): string {
  if (kind === undefined) return 'Failed';
  return kindText(kind)?.label ?? kind.replace(/_/g, ' ');
}

/** The error line of a failed run: its label, then the server's message (or our hint when it sent none). */
export function errorLine(kind: string | undefined, message: string | undefined): { label: string; text: string } {
  const text = message?.trim() || (kind === undefined ? '' : (kindText(kind)?.hint ?? ''));
  return { label: errorKindLabel(kind), text };
}

export interface Retrying {
  attempt: number;
  maxRetries: number;
  delayMs: number;
  errorStatus?: number | undefined;
  /** When the server heard of the retry (ISO): the wait counts from there. */
  at: string;
}

/** Milliseconds until the CLI tries again (0 once it is due); never more than the delay it announced. */
export function retryRemainingMs(retrying: Retrying, now: number): number {
  const since = now - Date.parse(retrying.at);
  if (!Number.isFinite(since)) return retrying.delayMs;
  return Math.min(retrying.delayMs, Math.max(0, retrying.delayMs - since));
}

/** "Retrying in 4 s (attempt 2 of 10, HTTP 529)"; "Retrying now (…)" once the wait is over. */
export function retryingText(retrying: Retrying, now: number): string {
  const left = retryRemainingMs(retrying, now);
  const when = left > 0 ? `in ${Math.ceil(left / 1000)} s` : 'now';
  const status = retrying.errorStatus !== undefined ? `, HTTP ${retrying.errorStatus}` : '';
  return `Retrying ${when} (attempt ${retrying.attempt} of ${retrying.maxRetries}${status})`;
}

/** "in 5 min", "in 2 h 05 min", "3 min ago", "just now": a moment relative to `now`. */
export function relativeTime(iso: string, now: number): string {
  const ms = Date.parse(iso) - now;
  if (!Number.isFinite(ms)) return '';
  const minutes = Math.round(Math.abs(ms) / 60_000);
  if (minutes < 1) return ms > 0 ? 'in less than a minute' : 'just now';
  const span = minutes < 60 ? `${minutes} min` : `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} min`;
  return ms > 0 ? `in ${span}` : `${span} ago`;
}

/** "14:05" today, "Tue 14:05" another day: in the reader's time zone. */
export function localTime(iso: string, now: number): string {
  const date = new Date(iso);
  if (!Number.isFinite(date.getTime())) return iso;
  const time = date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
  return date.toDateString() === new Date(now).toDateString() ? time : `${date.toLocaleDateString([], { weekday: 'short', month: 'short', day: 'numeric' })} ${time}`;
}

export interface PausedText {
  /** "Queue paused: out of credit". */
  title: string;
  /** Since when, and when it goes on by itself (or that it waits for you). */
  when: string;
  /** What the API said, when it said something. */
  message?: string | undefined;
}

/** The paused banner's words. */
export function pausedText(paused: Paused, now: number): PausedText {
  const why = paused.reason === 'billing' ? 'out of credit' : 'usage limit reached';
  const since = `Paused since ${localTime(paused.since, now)} (${relativeTime(paused.since, now)}).`;
  const until =
    paused.until !== undefined
      ? ` It resumes by itself at ${localTime(paused.until, now)} (${relativeTime(paused.until, now)}).`
      : ' It waits until you resume it.';
  return { title: `Queue paused: ${why}`, when: since + until, message: paused.message };
}
