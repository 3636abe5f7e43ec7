/**
 * Usage accounting over finished runs. Today's totals for now; the 5-hour
 * block of the usage issue belongs here too.
 */
import type { TokenUsage } from '../protocol/events.js';
import { sumUsage } from './cli/stdout.js';
import type { Store } from './store.js';

export interface UsageTotals {
  since: string;
  costUsd: number;
  runs: number;
  usage: TokenUsage;
}

export function startOfLocalDay(now: Date): Date {
  return new Date(now.getFullYear(), now.getMonth(), now.getDate());
}

/** Cost, tokens and count of the runs that finished at or after `since` (cancelled ones cost nothing and do not count). */
export async function usageSince(store: Store, since: Date): Promise<UsageTotals> {
  const sinceIso = since.toISOString();
  let costUsd = 0;
  let runs = 0;
  const usages: TokenUsage[] = [];
  for (const session of await store.listSessions()) {
    for (const run of await store.listRuns(session.id)) {
      if (!run.finishedAt || run.finishedAt < sinceIso || run.state === 'cancelled') continue;
      costUsd += run.costUsd;
      runs += 1;
      usages.push(run.usage);
    }
  }
  return { since: sinceIso, costUsd: Math.round(costUsd * 1e9) / 1e9, runs, usage: sumUsage(usages) };
}
