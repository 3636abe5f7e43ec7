/**
 * The REST + SSE door for sessions: validate, call one engine method,
 * serialise. No decisions about sessions or runs are made here.
 */
import { Router, type Request, type Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { z } from 'zod';
import type { Engine } from '../core/engine.js';
import { AppError } from '../core/errors.js';
import type { StorageItem } from '../core/paths.js';
import type { RunRecord } from '../core/store.js';
import {
  createSessionSchema,
  executeSchema,
  permissionAnswerSchema,
  seqSchema,
  submitSchema,
  updateSessionSchema,
} from '../protocol/api.js';
import type { ServerEvent, SessionView } from '../protocol/events.js';
import { parse } from './errors.js';
import type { RequestGuard } from './guard.js';
import { openSse, type SseStream } from './sse.js';

export const MAX_STORAGE_FILE_BYTES = 10 * 1024 * 1024;

const idParam = z.string().min(1).max(100);
const flag = z.enum(['true', 'false', '1', '0']).optional();
const purgeQuery = z.object({ purge: flag });
const rawQuery = z.object({ raw: flag });

/** The session as the API shows it: ours plus the names older clients know. */
export function sessionJson(view: SessionView) {
  return { ...view, session_id: view.id };
}

export function runJson(run: RunRecord) {
  return {
    id: run.id,
    runId: run.id,
    sessionId: run.sessionId,
    prompt: run.prompt,
    clientRequestId: run.clientRequestId,
    state: run.state,
    enqueuedAt: run.enqueuedAt,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    pid: run.pid,
    costUsd: run.costUsd,
    usage: run.usage,
    durationMs: run.durationMs,
    numTurns: run.numTurns,
    result: run.result,
    error: run.error,
    errorKind: run.errorKind,
  };
}

export function sessionsRouter(engine: Engine, guard: RequestGuard): Router {
  const r = Router();
  const sid = (req: Request) => parse(idParam, req.params.id, 'session id');

  r.post('/', async (req, res) => {
    const body = parse(createSessionSchema, req.body);
    res.status(201).json(sessionJson(await engine.createSession(body)));
  });

  r.get('/', async (_req, res) => {
    res.json({ sessions: (await engine.listSessions()).map(sessionJson) });
  });

  r.get('/:id', async (req, res) => {
    res.json(sessionJson(await engine.getSession(sid(req))));
  });

  r.patch('/:id', async (req, res) => {
    const body = parse(updateSessionSchema, req.body);
    res.json(sessionJson(await engine.updateSession(sid(req), body)));
  });

  r.delete('/:id', async (req, res) => {
    const { purge } = parse(purgeQuery, req.query, 'query');
    res.json(await engine.deleteSession(sid(req), purge === 'true' || purge === '1'));
  });

  r.post('/:id/messages', async (req, res) => {
    const id = sid(req);
    const body = parse(submitSchema, req.body);
    if (!wantsEventStream(req)) {
      const result = await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId });
      res.status(202).json(result);
      return;
    }
    const { raw } = parse(rawQuery, req.query, 'query');
    const before = (await engine.getSession(id)).lastSeq;
    // The stream's slot is taken first: a client over its cap gets a 429 and nothing is queued.
    const release = guard.openStream(req);
    const result = await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId }).catch((err: unknown) => {
      release();
      throw err;
    });
    const sse = openSse(req, res, { openStream: () => release });
    sse.send({ event: 'accepted', data: JSON.stringify(result) });
    if (raw === '1' || raw === 'true') await followRaw(engine, sse, result.runId);
    else await followRun(engine, sse, id, result.duplicate ? 0 : before, result.runId);
  });

  r.post('/:id/execute', async (req, res) => {
    const id = sid(req);
    const body = parse(executeSchema, req.body);
    const { runId } = await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId });
    const run = await waitForRun(engine, id, runId, (body.timeout ?? 3600) * 1000);
    const view = await engine.getSession(id);
    res.status(run ? 200 : 504).json(
      run
        ? {
            success: run.state === 'success',
            output: run.result ?? '',
            error: run.error ?? null,
            status: run.state,
            cost_usd: run.costUsd,
            duration_ms: run.durationMs,
            num_turns: run.numTurns,
            session_id: id,
            claude_session_id: view.claudeSessionId,
            run_id: runId,
          }
        : {
            success: false,
            output: '',
            error: 'The run did not finish within the timeout; it goes on, follow it with the events stream.',
            status: 'timeout',
            session_id: id,
            run_id: runId,
          },
    );
  });

  r.get('/:id/events', async (req, res) => {
    const id = sid(req);
    const query = parse(z.object({ after: seqSchema.optional() }), req.query, 'query');
    const header = req.get('last-event-id');
    const fromHeader = header !== undefined ? parse(seqSchema, header, 'Last-Event-ID header') : undefined;
    // On reconnect the browser sends Last-Event-ID with the original URL:
    // the header is the newer truth.
    const after = fromHeader ?? query.after ?? 0;
    await engine.getSession(id);
    const sse = openSse(req, res, guard);
    const off = await engine.subscribe(id, after, (event) => {
      sse.send({ id: event.seq, event: event.type, data: JSON.stringify(event) });
      if (event.type === 'session.deleted') sse.close();
    });
    sse.onClose(off);
  });

  r.get('/:id/history', async (req, res) => {
    const query = parse(
      z.object({ beforeRun: idParam, runs: z.coerce.number().int().min(1).max(1000).optional() }),
      req.query,
      'query',
    );
    res.json(await engine.history(sid(req), query.beforeRun, query.runs ?? 50));
  });

  r.get('/:id/queue', async (req, res) => {
    const runs = await engine.queue(sid(req));
    res.json({ pending: runs.map(runJson) });
  });

  r.delete('/:id/queue/:runId', async (req, res) => {
    const runId = parse(idParam, req.params.runId, 'run id');
    res.json(await engine.cancel(sid(req), runId));
  });

  r.get('/:id/runs', async (req, res) => {
    res.json({ runs: (await engine.listRuns(sid(req))).map(runJson) });
  });

  r.get('/:id/runs/:runId', async (req, res) => {
    const runId = parse(idParam, req.params.runId, 'run id');
    res.json(runJson(await engine.getRun(sid(req), runId)));
  });

  r.get('/:id/runs/:runId/raw', async (req, res) => {
    const id = sid(req);
    const runId = parse(idParam, req.params.runId, 'run id');
    await engine.getRun(id, runId);
    await followRaw(engine, openSse(req, res, guard), runId);
  });

  r.post('/:id/interrupt', async (req, res) => {
    res.status(202).json({ ...(await engine.interrupt(sid(req))), status: 'interrupting' });
  });

  r.post('/:id/clear', async (req, res) => {
    res.json(sessionJson(await engine.clearConversation(sid(req))));
  });

  r.post('/:id/permissions/:requestId', async (req, res) => {
    const requestId = parse(idParam, req.params.requestId, 'request id');
    const body = parse(permissionAnswerSchema, req.body);
    await engine.answerPermission(sid(req), requestId, body, 'api');
    res.json({ requestId, behavior: body.behavior });
  });

  r.get('/:id/storage', async (req, res) => {
    const { path } = parse(z.object({ path: z.string().max(4096).optional() }), req.query, 'query');
    await sendStorage(res, await engine.storage(sid(req), path ?? ''), path ?? '');
  });

  return r;
}

function wantsEventStream(req: Request): boolean {
  return (req.get('accept') ?? '').includes('text/event-stream');
}

/** Streams one run's events (replayed from `after`) until it finishes. */
async function followRun(engine: Engine, sse: SseStream, sessionId: string, after: number, runId: string): Promise<void> {
  const off = await engine.subscribe(sessionId, after, (event: ServerEvent) => {
    if (!('runId' in event) || event.runId !== runId) return;
    sse.send({ id: event.seq, event: event.type, data: JSON.stringify(event) });
    if (event.type === 'run.finished') sse.close();
  });
  sse.onClose(off);
}

/** Streams one run's raw CLI lines (`event: message`, unmodified), then `event: done`. */
export async function followRaw(engine: Engine, sse: SseStream, runId: string): Promise<void> {
  const off = await engine.subscribeRaw(runId, 0, (item) => {
    if ('end' in item) {
      sse.send({ event: 'done', data: JSON.stringify({ process_id: runId, status: item.status }) });
      sse.close();
      return;
    }
    sse.send({ event: 'message', data: item.line });
  });
  sse.onClose(off);
}

/** Resolves with the finished run, or undefined when the deadline passes first. */
async function waitForRun(engine: Engine, sessionId: string, runId: string, timeoutMs: number): Promise<RunRecord | undefined> {
  let off: (() => void) | undefined;
  let timer: NodeJS.Timeout | undefined;
  try {
    const finished = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
      void engine
        .subscribe(sessionId, 0, (event) => {
          if (event.type === 'run.finished' && event.runId === runId) resolve(true);
        })
        .then((unsubscribe) => (off = unsubscribe), () => resolve(false));
    });
    if (!(await finished)) return undefined;
    return await engine.getRun(sessionId, runId);
  } finally {
    clearTimeout(timer);
    off?.();
  }
}

async function sendStorage(res: Response, item: StorageItem, relPath: string): Promise<void> {
  if (item.type === 'dir') {
    res.json({ path: relPath, type: 'dir', entries: item.entries });
    return;
  }
  if (item.size > MAX_STORAGE_FILE_BYTES) {
    throw new AppError('payload_too_large', `${relPath} is ${item.size} bytes; files over ${MAX_STORAGE_FILE_BYTES} are not served.`);
  }
  // Files of the session are the model's output, not ours: never let the
  // browser render them in our origin (no HTML, no sniffing, a sandbox).
  res.setHeader('Content-Type', 'application/octet-stream');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  res.setHeader('Content-Disposition', `attachment; filename="${item.name.replace(/["\\\r\n]/g, '_')}"`);
  res.setHeader('Content-Length', String(item.size));
  // pipeline, not pipe: a read error (the file vanished) must end this
  // response, not surface as an unhandled 'error' event.
  pipeline(createReadStream(item.realPath), res).catch(() => res.destroy());
}
