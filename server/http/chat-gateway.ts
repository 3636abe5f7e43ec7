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
import { Router } from 'express';
import type { Engine } from '../core/engine.js';
import { chatSchema, type ChatBody } from '../protocol/api.js';
import type { SessionOptions } from '../protocol/events.js';
import { parse } from './errors.js';
import { followRaw } from './sessions.js';
import type { RequestGuard } from './guard.js';
import { openSse } from './sse.js';
import { z } from 'zod';

function chatOptions(body: ChatBody): SessionOptions {
  const options: SessionOptions = {
    model: body.model,
    systemPrompt: body.system_prompt,
    appendSystemPrompt: body.append_system_prompt,
    permissionMode: body.permission_mode,
    allowedTools: body.allowed_tools,
    disallowedTools: body.disallowed_tools,
    tools: body.tools,
    addDirs: body.add_dir,
    mcpConfig: body.mcp_config,
    jsonSchema: body.json_schema ? JSON.stringify(body.json_schema) : undefined,
    agents: body.agents ? JSON.stringify(body.agents) : undefined,
  };
  return Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SessionOptions;
}

export function chatRouter(engine: Engine, guard: RequestGuard): Router {
  const r = Router();

  r.post('/chat', async (req, res) => {
    const body = parse(chatSchema, req.body);
    const options = chatOptions(body);
    // The stream's slot first: a client over its cap gets a 429 with nothing made or queued.
    const release = guard.openStream(req);
    let runId: string;
    try {
      ({ runId } = await engine.chat({ prompt: body.prompt, cwd: body.cwd, claudeSessionId: body.session_id, options }));
    } catch (err) {
      release();
      throw err;
    }
    await followRaw(engine, openSse(req, res, { openStream: () => release }), runId);
  });

  r.delete('/chat/:processId', async (req, res) => {
    const processId = parse(z.string().min(1).max(100), req.params.processId, 'process id');
    await engine.interruptRun(processId);
    res.json({ status: 'cancelled', process_id: processId });
  });

  r.get('/processes', async (_req, res) => {
    const processes = (await engine.processes()).map((p) => ({
      // A run's process is named by its run (DELETE /chat/:process_id interrupts it); a warm idle one by its pid.
      process_id: p.runId ?? `idle-${p.pid}`,
      state: p.state,
      pid: p.pid,
      cwd: p.cwd,
      model: p.model ?? null,
      started_at: p.startedAt,
      session_id: p.claudeSessionId,
    }));
    res.json({ processes, count: processes.length });
  });

  return r;
}
