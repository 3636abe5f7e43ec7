/** What a session's runs came to, for GET /api/sessions/:id/stats and the app. */
import type { SessionStats } from '../protocol/responses.js';
import type { SessionRecord, Store } from './store.js';

export async function sessionStats(store: Store, record: SessionRecord): Promise<SessionStats> {
  const runs = await store.listRuns(record.id);
  const byStatus: Record<string, number> = {};
  const byErrorKind: Record<string, number> = {};
  for (const run of runs) {
    byStatus[run.state] = (byStatus[run.state] ?? 0) + 1;
    if (run.errorKind) byErrorKind[run.errorKind] = (byErrorKind[run.errorKind] ?? 0) + 1;
  }
  const failed = [...runs].reverse().find((r) => r.state === 'error');
  return {
    runs: { total: runs.length, byStatus, byErrorKind },
    tools: await store.toolCallCounts(record.id),
    costUsd: record.costUsd,
    usage: record.usage,
    ...(failed ? { lastError: { runId: failed.id, errorKind: failed.errorKind, error: failed.error, at: failed.finishedAt } } : {}),
  };
}
