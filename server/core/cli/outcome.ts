/**
 * How a turn ended, in our words: from why we stopped it, what the CLI said
 * (its `result` line, read by stdout.ts), and how the process exited. Also
 * the CLI's stderr messages we act on, and its cost accounting.
 */
import type { RunErrorKind, RunStatus } from '../../protocol/events.js';
import type { ExitInfo } from '../ports.js';
import { excerpt, type RunOutcome } from './stdout.js';

export type StopReason = 'interrupted' | 'deleted' | 'shutdown';

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
}

export function judge(facts: TurnFacts): Verdict {
  if (facts.refused) return { status: 'error', errorKind: 'refused', error: facts.refused };
  const spawnError = facts.spawnError ?? facts.exit?.spawnError;
  if (spawnError) {
    const missing = /ENOENT|not found/i.test(spawnError);
    return { status: 'error', errorKind: missing ? 'cli_missing' : 'cli_crashed', error: spawnError };
  }
  const { outcome } = facts;
  if (facts.stopReason && !(outcome && !outcome.isError)) {
    const why = facts.stopReason === 'interrupted' ? 'Interrupted.' : facts.stopReason === 'deleted' ? 'The session was deleted.' : 'The server shut down.';
    return { status: 'interrupted', error: why };
  }
  if (outcome) {
    if (!outcome.isError) return { status: 'success' };
    if (outcome.aborted) return { status: 'interrupted', error: 'Interrupted.' };
    return { status: 'error', errorKind: outcome.errorKind, error: outcome.error };
  }
  const exit = facts.exit ?? { code: null, signal: null, stderrTail: '' };
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const tail = exit.stderrTail ? `: ${excerpt(exit.stderrTail, 2000)}` : ' without printing an error';
  return { status: 'error', errorKind: 'cli_crashed', error: `The claude CLI ${how} before finishing the turn${tail}` };
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
