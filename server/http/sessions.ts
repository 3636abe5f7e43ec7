/**
 * The REST + SSE door for sessions: the handlers of the session routes in
 * the route table. Each validates, calls one engine method, serialises; no
 * decisions about sessions or runs are made here.
 */
import type { Request, Response } from 'express';
import type { Engine } from '../core/engine.js';
import type { StorageItem } from '../core/paths.js';
import type { RunRecord } from '../core/store.js';
import {
  createSessionSchema,
  eventsQuerySchema,
  executeSchema,
  historyQuerySchema,
  idSchema,
  isTrue,
  permissionAnswerSchema,
  purgeQuerySchema,
  rawQuerySchema,
  seqSchema,
  storageQuerySchema,
  submitSchema,
  updateSessionSchema,
} from '../protocol/api.js';
import type { ServerEvent, SessionView } from '../protocol/events.js';
import type { SessionResponse } from '../protocol/responses.js';
import type { RunJson } from '../protocol/runs.js';
import { parse } from './errors.js';
import type { RequestGuard } from './guard.js';
import type { RouteHandlers } from './handlers.js';
import { openSse, type SseStream } from './sse.js';
import { sendFile } from './workspace.js';

export { MAX_STORAGE_FILE_BYTES } from './workspace.js';

/** The session as the API shows it: ours plus the names older clients know. */
export function sessionJson(view: SessionView): SessionResponse {
  return { ...view, session_id: view.id };
}

export function runJson(run: RunRecord): RunJson {
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
    instanceId: run.instanceId,
    ...(run.attachments?.length ? { attachments: run.attachments } : {}),
  };
}

type SessionRouteId =
  | 'createSession'
  | 'listSessions'
  | 'getSession'
  | 'updateSession'
  | 'deleteSession'
  | 'submit'
  | 'execute'
  | 'events'
  | 'history'
  | 'queue'
  | 'cancel'
  | 'listRuns'
  | 'getRun'
  | 'rawRun'
  | 'interrupt'
  | 'clear'
  | 'answerPermission'
  | 'revokeAllowedTool'
  | 'resume'
  | 'stats'
  | 'storage';

export function sessionHandlers(engine: Engine, guard: RequestGuard): RouteHandlers<SessionRouteId> {
  const sid = (req: Request) => parse(idSchema, req.params.id, 'session id');
  const rid = (req: Request) => parse(idSchema, req.params.runId, 'run id');

  return {
    async createSession(req, res) {
      const body = parse(createSessionSchema, req.body);
      res.status(201).json(sessionJson(await engine.createSession(body)));
    },

    async listSessions(_req, res) {
      res.json({ sessions: (await engine.listSessions()).map(sessionJson) });
    },

    async getSession(req, res) {
      res.json(sessionJson(await engine.getSession(sid(req))));
    },

    async updateSession(req, res) {
      const body = parse(updateSessionSchema, req.body);
      res.json(sessionJson(await engine.updateSession(sid(req), body)));
    },

    async deleteSession(req, res) {
      const { purge } = parse(purgeQuerySchema, req.query, 'query');
      res.json(await engine.deleteSession(sid(req), isTrue(purge)));
    },

    async submit(req, res) {
      const id = sid(req);
      const body = parse(submitSchema, req.body);
      if (!wantsEventStream(req)) {
        res.status(202).json(await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId, attachments: body.attachments }));
        return;
      }
      const { raw } = parse(rawQuerySchema, req.query, 'query');
      // The stream's slot is taken first: a client over its cap gets a 429 and nothing is queued.
      const release = guard.openStream(req, 'sse');
      const result = await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId, attachments: body.attachments }).catch((err: unknown) => {
        release();
        throw err;
      });
      const sse = openSse(req, res, { openStream: () => release });
      sse.send({ event: 'accepted', data: JSON.stringify(result) });
      if (isTrue(raw)) await followRaw(engine, sse, result.runId);
      else await followRun(engine, sse, id, result.runId);
    },

    async execute(req, res) {
      const id = sid(req);
      const body = parse(executeSchema, req.body);
      const { runId } = await engine.submit(id, body.prompt, { clientRequestId: body.clientRequestId });
      const run = await engine.waitForRun(id, runId, (body.timeout ?? 3600) * 1000);
      const view = await engine.getSession(id);
      res.status(run ? 200 : 504).json(executeJson(id, runId, run, view.claudeSessionId));
    },

    async events(req, res) {
      const id = sid(req);
      const { after } = parse(eventsQuerySchema, req.query, 'query');
      const header = req.get('last-event-id');
      const lastEventId = header !== undefined ? parse(seqSchema, header, 'Last-Event-ID header') : undefined;
      await engine.getSession(id);
      const sse = openSse(req, res, guard);
      const off = await engine.followEvents(id, { after, lastEventId }, (event) => {
        sse.send({ id: event.seq, event: event.type, data: JSON.stringify(event) });
        if (event.type === 'session.deleted') sse.close();
      });
      sse.onClose(off);
    },

    async history(req, res) {
      const query = parse(historyQuerySchema, req.query, 'query');
      res.json(await engine.history(sid(req), query.beforeRun, query.runs ?? 50));
    },

    async queue(req, res) {
      res.json({ pending: (await engine.queue(sid(req))).map(runJson) });
    },

    async cancel(req, res) {
      res.json(await engine.cancel(sid(req), rid(req)));
    },

    async listRuns(req, res) {
      res.json({ runs: (await engine.listRuns(sid(req))).map(runJson) });
    },

    async getRun(req, res) {
      res.json(runJson(await engine.getRun(sid(req), rid(req))));
    },

    async rawRun(req, res) {
      const runId = rid(req);
      await engine.getRun(sid(req), runId);
      await followRaw(engine, openSse(req, res, guard), runId);
    },

    async interrupt(req, res) {
      res.status(202).json({ ...(await engine.interrupt(sid(req))), status: 'interrupting' });
    },

    async clear(req, res) {
      res.json(sessionJson(await engine.clearConversation(sid(req))));
    },

    async answerPermission(req, res) {
      const requestId = parse(idSchema, req.params.requestId, 'request id');
      const body = parse(permissionAnswerSchema, req.body);
      const resolution = await engine.answerPermission(sid(req), requestId, body, 'api');
      res.json({ requestId, ...resolution });
    },

    async revokeAllowedTool(req, res) {
      const tool = parse(idSchema, req.params.tool, 'tool name');
      res.json(sessionJson(await engine.revokeAllowedTool(sid(req), tool)));
    },

    async resume(req, res) {
      res.json(sessionJson(await engine.resumeQueue(sid(req))));
    },

    async stats(req, res) {
      res.json(await engine.stats(sid(req)));
    },

    async storage(req, res) {
      const { path } = parse(storageQuerySchema, req.query, 'query');
      await sendStorage(res, await engine.storage(sid(req), path ?? ''), path ?? '');
    },
  };
}

/** The answer of `execute`, in the names of the session manager it replaces. */
function executeJson(sessionId: string, runId: string, run: RunRecord | undefined, claudeSessionId: string) {
  if (!run) {
    return {
      success: false,
      output: '',
      error: 'The run did not finish within the timeout; it goes on, follow it with the events stream.',
      status: 'timeout',
      session_id: sessionId,
      run_id: runId,
    };
  }
  return {
    success: run.state === 'success',
    output: run.result ?? '',
    error: run.error ?? null,
    status: run.state,
    cost_usd: run.costUsd,
    duration_ms: run.durationMs,
    num_turns: run.numTurns,
    session_id: sessionId,
    claude_session_id: claudeSessionId,
    run_id: runId,
  };
}

function wantsEventStream(req: Request): boolean {
  return (req.get('accept') ?? '').includes('text/event-stream');
}

/** Streams one run's events, from its `run.queued`, until it finishes. */
async function followRun(engine: Engine, sse: SseStream, sessionId: string, runId: string): Promise<void> {
  const off = await engine.followRun(sessionId, runId, (event: ServerEvent) => {
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

async function sendStorage(res: Response, item: StorageItem, relPath: string): Promise<void> {
  if (item.type === 'dir') {
    res.json({ path: relPath, type: 'dir', entries: item.entries });
    return;
  }
  sendFile(res, { realPath: item.realPath, name: item.name, size: item.size, contentType: 'application/octet-stream', inline: false }, relPath);
}
