/**
 * One WebSocket connection: parses client frames, calls the engine, and
 * forwards events. Each followed session gets its events replayed from the
 * client's last seq and then live, each exactly once (the bus guarantees it).
 */
import type { WebSocket } from 'ws';
import type { Engine } from '../core/engine.js';
import { AppError, isAppError } from '../core/errors.js';
import type { Presence } from '../core/presence.js';
import type { Logger } from '../log.js';
import type { ServerEvent } from '../protocol/events.js';
import { clientFrameSchema, SUMMARY_EVENT_TYPES, type ClientFrame, type ReplyData, type ServerFrame, type SubscribeReply } from '../protocol/ws.js';

/** A client this far behind is dropped; it comes back with its last seq. */
export const WS_MAX_BUFFERED_BYTES = 8 * 1024 * 1024;
const SUMMARY = new Set<string>(SUMMARY_EVENT_TYPES);

export function serveConnection(
  ws: WebSocket,
  engine: Engine,
  log: Logger,
  server: { version: string; startedAt: Date },
  presence: Presence,
): void {
  const followed = new Map<string, Promise<() => void>>();
  let closed = false;

  const send = (frame: ServerFrame) => {
    if (closed || ws.readyState !== ws.OPEN) return;
    if (ws.bufferedAmount > WS_MAX_BUFFERED_BYTES) {
      ws.close(1013, 'too slow; reconnect with your last seq');
      return;
    }
    ws.send(JSON.stringify(frame));
  };

  const offAny = engine.onAnyEvent((event: ServerEvent) => {
    if (followed.has(event.sessionId) || !SUMMARY.has(event.type)) return;
    send({ type: 'summary', event });
  });

  const follow = async (sessionId: string, after: number, tailRuns?: number): Promise<SubscribeReply> => {
    await unfollow(sessionId);
    // A frame still queued when the socket closed must not leave a subscription behind.
    if (closed) throw new AppError('bad_request', 'The connection is closed.');
    const onEvent = (event: ServerEvent) => send({ type: 'event', event });
    const opened =
      tailRuns !== undefined && after === 0
        ? engine.openTranscript(sessionId, tailRuns, onEvent)
        : engine
            .subscribe(sessionId, after, onEvent)
            .then((unsubscribe) => ({ unsubscribe, fromSeq: after + 1, hasEarlier: false, firstRunId: undefined }));
    // What unfollow awaits. It must never reject: a session that does not
    // exist (deleted on another device a moment ago) rejects `opened`, and a
    // second, unhandled rejection of the same failure would end the process.
    const subscription = opened.then(
      (o) => o.unsubscribe,
      () => () => {},
    );
    followed.set(sessionId, subscription);
    try {
      const { fromSeq, hasEarlier, firstRunId } = await opened;
      return { fromSeq, hasEarlier, firstRunId };
    } catch (err) {
      if (followed.get(sessionId) === subscription) followed.delete(sessionId);
      throw err;
    }
  };

  const unfollow = async (sessionId: string) => {
    const subscription = followed.get(sessionId);
    followed.delete(sessionId);
    if (subscription) (await subscription)();
  };

  const handle = async (frame: ClientFrame): Promise<ReplyData[keyof ReplyData]> => {
    switch (frame.type) {
      case 'hello': {
        const sessions = await engine.listSessions();
        send({ type: 'welcome', version: server.version, startedAt: server.startedAt.toISOString(), sessions, limits: engine.limits });
        for (const [sessionId, after] of Object.entries(frame.resume ?? {})) {
          // A session deleted while the client was away: it learns from the list.
          if (sessions.some((s) => s.id === sessionId)) await follow(sessionId, after);
        }
        return undefined;
      }
      case 'subscribe':
        return follow(frame.sessionId, frame.after, frame.tailRuns);
      case 'unsubscribe':
        await unfollow(frame.sessionId);
        return undefined;
      case 'submit':
        return engine.submit(frame.sessionId, frame.prompt, { clientRequestId: frame.clientRequestId, attachments: frame.attachments });
      case 'interrupt':
        return engine.interrupt(frame.sessionId);
      case 'cancel':
        return engine.cancel(frame.sessionId, frame.runId);
      case 'permission':
        return engine.answerPermission(
          frame.sessionId,
          frame.requestId,
          { behavior: frame.behavior, message: frame.message, scope: frame.scope ?? (frame.remember ? 'session' : 'once'), mode: frame.mode },
          'app',
        );
      case 'ping':
        send({ type: 'pong', id: frame.id });
        return undefined;
      case 'presence':
        // Answered once the other instances can hear it: a prompt sent after the answer finds it there.
        await presence.report(ws, frame.visible);
        return undefined;
      default: {
        const never: never = frame;
        throw new AppError('bad_request', `Unknown frame ${(never as { type: string }).type}`);
      }
    }
  };

  // Frames are handled one at a time, in order: a submit sent after a
  // subscribe must not overtake it.
  let queue: Promise<void> = Promise.resolve();
  ws.on('message', (data, isBinary) => {
    queue = queue
      .then(() => onMessage(data.toString(), isBinary))
      .catch((err: unknown) => log.error('ws frame handling failed', err));
  });

  const onMessage = async (text: string, isBinary: boolean) => {
    let frame: ClientFrame;
    try {
      if (isBinary) throw new AppError('bad_request', 'Binary frames are not part of the protocol.');
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        throw new AppError('invalid_json', 'The frame is not valid JSON.');
      }
      const parsed = clientFrameSchema.safeParse(json);
      if (!parsed.success) {
        const id = typeof (json as { id?: unknown })?.id === 'string' ? (json as { id: string }).id : undefined;
        const message = parsed.error.issues.map((i) => `${i.path.join('.') || 'frame'}: ${i.message}`).join('; ');
        const error = { code: 'validation_failed' as const, message: `Invalid frame: ${message}` };
        send(id ? { type: 'reply', id, ok: false, error } : { type: 'error', error });
        return;
      }
      frame = parsed.data;
    } catch (err) {
      const e = isAppError(err) ? err : new AppError('bad_request', 'Bad frame.');
      send({ type: 'error', error: { code: e.code, message: e.message } });
      return;
    }
    try {
      const data = await handle(frame);
      if (frame.id !== undefined && frame.type !== 'ping') send({ type: 'reply', id: frame.id, ok: true, data });
    } catch (err) {
      if (!isAppError(err)) log.error(`ws ${frame.type} failed`, { sessionId: 'sessionId' in frame ? frame.sessionId : undefined, runId: 'runId' in frame ? frame.runId : undefined, err });
      const e = isAppError(err) ? err : new AppError('internal', 'Internal server error.');
      const error = { code: e.code, message: e.message };
      send(frame.id !== undefined ? { type: 'reply', id: frame.id, ok: false, error } : { type: 'error', error });
    }
  };

  ws.on('close', () => {
    closed = true;
    presence.forget(ws);
    offAny();
    for (const sessionId of [...followed.keys()]) void unfollow(sessionId);
  });
}
