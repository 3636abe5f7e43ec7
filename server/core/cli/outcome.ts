/**
 * How a turn ended, in our words: from why we stopped it, what the CLI said
 * (its `result` line and API failure, read by stdout.ts), and how the process
 * exited. An error gets a message written for a person: what happened and
 * what to do. Also the CLI's stderr messages we act on, and its cost.
 */
import type { RunErrorKind, RunStatus } from '../../protocol/events.js';
import type { ExitInfo } from '../ports.js';
import type { ApiFailure } from './api-failure.js';
import { excerpt, type RunOutcome } from './stdout.js';

export type StopReason = 'interrupted' | 'deleted' | 'shutdown';

/** A limit of ours that stopped the run. */
export interface LimitHit {
  kind: 'timeout' | 'idle_timeout' | 'output';
  message: string;
}

export interface Verdict {
  status: RunStatus;
  errorKind?: RunErrorKind | undefined;
  error?: string | undefined;
}

export interface TurnFacts {
  /** The result line, if the CLI printed one. */
  outcome?: RunOutcome | undefined;
  /** Set when the process ended before the turn did. */
  exit?: ExitInfo | undefined;
  stopReason?: StopReason | undefined;
  /** The run was refused before it started (policy, allowed roots). */
  refused?: string | undefined;
  /** The CLI could not be found or started. */
  spawnError?: string | undefined;
  /** A limit of ours ended it (RUN_TIMEOUT_S, RUN_IDLE_TIMEOUT_S, MAX_OUTPUT_BYTES). */
  limit?: LimitHit | undefined;
  /** The API failure the CLI reported. */
  apiFailure?: ApiFailure | undefined;
  /** We ended it at the CLI's first retry of a refused authentication. */
  authRetry?: boolean | undefined;
}

export function judge(facts: TurnFacts): Verdict {
  if (facts.refused) return { status: 'error', errorKind: 'refused', error: facts.refused };
  const spawnError = facts.spawnError ?? facts.exit?.spawnError;
  if (spawnError) {
    const missing = /ENOENT|not found/i.test(spawnError);
    return { status: 'error', errorKind: missing ? 'cli_missing' : 'cli_crashed', error: spawnError };
  }
  if (facts.limit) return { status: 'error', errorKind: facts.limit.kind === 'output' ? 'refused' : facts.limit.kind, error: facts.limit.message };
  if (facts.authRetry) return { status: 'error', errorKind: 'auth', error: explain('auth', facts.apiFailure ?? { status: 401 }) };
  const { outcome } = facts;
  if (facts.stopReason && !(outcome && !outcome.isError)) {
    const why = facts.stopReason === 'interrupted' ? 'Interrupted.' : facts.stopReason === 'deleted' ? 'The session was deleted.' : 'The server shut down.';
    return { status: 'interrupted', errorKind: 'interrupted', error: why };
  }
  if (outcome) {
    if (!outcome.isError) return { status: 'success' };
    if (outcome.aborted) return { status: 'interrupted', errorKind: 'interrupted', error: 'Interrupted.' };
    const kind = outcome.errorKind ?? 'cli_crashed';
    return { status: 'error', errorKind: kind, error: explain(kind, facts.apiFailure ?? {}, outcome.error) };
  }
  const exit = facts.exit ?? { code: null, signal: null, stderrTail: '' };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.stderrTail ? `: ${excerpt(exit.stderrTail, 2000)}` : ' without printing an error';
  return { status: 'error', errorKind: 'cli_crashed', error: `The claude CLI ${how} before finishing the turn${tail}` };
}

/** What happened and what to do, for a person reading it on a phone at 3 a.m. */
export function explain(kind: RunErrorKind, failure: ApiFailure, fallback?: string): string {
  const status = failure.status !== undefined ? ` (HTTP ${failure.status})` : '';
  const said = failure.text ? ` The CLI said: "${excerpt(failure.text, 300)}".` : '';
  switch (kind) {
    case 'auth':
      return (
        `The API refused the credentials${status}. With an API key: check ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN) ` +
        'in the environment this server starts the CLI with. With a Claude subscription: run `claude` once on this machine ' +
        `and log in (/login). Then send the prompt again.${said}`
      );
    case 'billing':
      return `The account's credit balance is too low${status}. Add credits (console.anthropic.com, Plans & Billing), then resume this session's queue: it waits until you do.${said}`;
    case 'usage_limit': {
      const until = failure.resetsAt ? `; it resets at ${failure.resetsAt}, and the queue resumes by itself then` : '; resume the queue once it has reset';
      return `Your Claude usage limit is reached${until}. The prompts behind this one wait.${said}`;
    }
    case 'rate_limit':
      return `The API is limiting how fast requests may come${status}, and the CLI's own retries did not get through. Send it again in a minute; the queue goes on.${said}`;
    case 'server_error':
      return `The API had a problem on its side${status}, and the CLI's own retries did not get through. It is usually brief: send it again in a moment.${said}`;
    case 'max_turns':
      return `The run used all the turns it may (maxTurns) before finishing. Raise maxTurns for this session, or continue in a new prompt.`;
    case 'api_error':
      return `The API refused the request${status}.${said || (fallback ? ` ${excerpt(fallback, 300)}` : '')}`;
    default:
      return fallback ?? `The run ended with ${kind}.`;
  }
}

/**
 * The CLI and our record disagree on whether the conversation's transcript
 * exists (e.g. a run killed just after the CLI created it): the flag to use
 * instead, or undefined when the exit means something else.
 */
export function conversationFlagToRetry(resumed: boolean, exit: ExitInfo): boolean | undefined {
  if (!resumed && /is already in use/i.test(exit.stderrTail)) return true;
  if (resumed && /No conversation found/i.test(exit.stderrTail)) return false;
  return undefined;
}

/**
 * A run's own cost from the conversation total the CLI reported. The CLI
 * keeps that total with the transcript, cumulatively across `--resume` and
 * across the turns of one process. A total lower than the one before means
 * it started counting afresh (its cost record was lost), so the reported
 * total is all this run's.
 */
export function runCost(reportedTotal: number | undefined, previousTotal: number): number {
  if (reportedTotal === undefined) return 0;
  const delta = reportedTotal >= previousTotal ? reportedTotal - previousTotal : reportedTotal;
  // Float noise from repeated subtraction must not show as -0.0000000001.
  return Math.max(0, Math.round(delta * 1e9) / 1e9);
}
