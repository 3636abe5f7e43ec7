/**
 * The `/chat` gateway, a drop-in for scripts written against the SSE gateway
 * we replace: each raw CLI stdout line goes out unmodified as
 * `event: message`, then `event: done` with the process id.
 *
 * Under the hood a /chat request is an ordinary run in a session (made on the
 * fly, or found by the CLI `session_id` it continues), so it is queued,
 * limited by MAX_CONCURRENT_RUNS, recorded and visible in the app like any
 * other. The process id is the run id.
 */
import type { Engine } from '../core/engine.js';
import { chatSchema, idSchema } from '../protocol/api.js';
import { parse } from './errors.js';
import type { RequestGuard } from './guard.js';
import type { RouteHandlers } from './handlers.js';
import { followRaw } from './sessions.js';
import { openSse } from './sse.js';

export function chatHandlers(engine: Engine, guard: RequestGuard): RouteHandlers<'chat' | 'chatCancel' | 'gatewayProcesses'> {
  return {
    async chat(req, res) {
      const request = parse(chatSchema, req.body);
      // The stream's slot first: a client over its cap gets a 429 with nothing made or queued.
      const release = guard.openStream(req, 'sse');
      let runId: string;
      try {
        ({ runId } = await engine.chat(request));
      } catch (err) {
        release();
        throw err;
      }
      await followRaw(engine, openSse(req, res, { openStream: () => release }), runId);
    },

    async chatCancel(req, res) {
      const processId = parse(idSchema, req.params.processId, 'process id');
      await engine.interruptRun(processId);
      res.json({ status: 'cancelled', process_id: processId });
    },

    async gatewayProcesses(_req, res) {
      const processes = (await engine.processes()).map((p) => ({
        // A run's process is named by its run (DELETE /chat/:process_id interrupts it); a warm idle one by its pid.
        process_id: p.runId ?? `idle-${p.pid}`,
        state: p.state,
        pid: p.pid,
        cwd: p.cwd,
        model: p.model ?? null,
        started_at: p.startedAt,
        session_id: p.claudeSessionId,
        age_s: p.ageS,
        cpu_percent: p.cpuPercent ?? null,
        rss_bytes: p.rssBytes ?? null,
      }));
      res.json({ processes, count: processes.length });
    },
  };
}
