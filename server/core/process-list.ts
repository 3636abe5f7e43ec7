/** The CLI processes as /api/processes shows them: running a turn, warm and idle, or on their way out. */
import type { ProcessInfo } from '../protocol/responses.js';
import type { ClaudeProcess } from './claude-process.js';
import type { Clock } from './ports.js';
import type { Run } from './run.js';
import type { WarmPool } from './warm-pool.js';

export type { ProcessInfo } from '../protocol/responses.js';

/** Every live process of the pool, measured, with the run it serves if any. */
export function listProcesses(pool: WarmPool, runs: readonly Run[], clock: Clock): Promise<ProcessInfo[]> {
  const byProcess = new Map(runs.map((run) => [run.process, run]));
  return Promise.all(
    pool.list().map(async (p): Promise<ProcessInfo> => {
      const run = p.state === 'busy' ? byProcess.get(p) : undefined;
      const stats = await p.stats(clock);
      return {
        pid: p.pid,
        sessionId: p.identity.sessionId,
        state: stateOf(p),
        runId: run?.runId,
        cwd: p.identity.cwd,
        model: run?.model ?? p.identity.model,
        claudeSessionId: p.identity.claudeSessionId,
        startedAt: (run?.startedAt ?? p.startedAt).toISOString(),
        processStartedAt: p.startedAt.toISOString(),
        idleSince: p.idleSince?.toISOString(),
        turns: p.turns,
        ageS: Math.max(0, Math.floor((clock.now().getTime() - p.startedAt.getTime()) / 1000)),
        cpuSeconds: stats?.cpuSeconds,
        cpuPercent: stats?.cpuPercent,
        rssBytes: stats?.rssBytes,
      };
    }),
  );
}

/** The processes alive, by state; measures nothing. */
export function countProcesses(pool: WarmPool): Record<ProcessInfo['state'], number> {
  const counts = { running: 0, idle: 0, exiting: 0 };
  for (const p of pool.list()) counts[stateOf(p)] += 1;
  return counts;
}

function stateOf(p: ClaudeProcess): ProcessInfo['state'] {
  if (p.state === 'busy') return 'running';
  return p.retiring ? 'exiting' : 'idle';
}
