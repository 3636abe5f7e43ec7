/**
 * The WebSocket protocol between the app and the server (docs/protocol.md).
 * Client frames are zod-checked on arrival; server frames are plain types.
 */
import { z } from 'zod';
import { attachmentsSchema, clientRequestIdSchema } from './api.js';
import { PERMISSION_MODES } from './constants.js';
import type { ServerEvent, SessionView } from './events.js';
import type { ErrorCode } from './errors.js';
import type { SubmitResult } from './runs.js';

const sessionId = z.string().min(1).max(100);
const frameId = z.string().min(1).max(100).optional();
const seq = z.number().int().min(0);

export const clientFrameSchema = z.discriminatedUnion('type', [
  z.object({
    type: z.literal('hello'),
    id: frameId,
    /** Sessions to follow, each with the last seq this client has. */
    resume: z.record(sessionId, seq).optional(),
  }),
  z.object({
    type: z.literal('subscribe'),
    id: frameId,
    sessionId,
    after: seq,
    /**
     * Opening a transcript (with `after: 0`): only the last N runs, compact
     * (no deltas of finished runs). The reply says `{fromSeq, hasEarlier}`.
     */
    tailRuns: z.number().int().min(1).max(10_000).optional(),
  }),
  z.object({ type: z.literal('unsubscribe'), id: frameId, sessionId }),
  z.object({
    type: z.literal('submit'),
    id: frameId,
    sessionId,
    prompt: z.string(),
    /** Required here: the app re-sends after reconnects, and this makes that safe. */
    clientRequestId: clientRequestIdSchema,
    /** As on POST .../messages; a frame carrying them may be as large as the attachments allow. */
    attachments: attachmentsSchema.optional(),
  }),
  z.object({ type: z.literal('interrupt'), id: frameId, sessionId }),
  z.object({ type: z.literal('cancel'), id: frameId, sessionId, runId: z.string().min(1).max(100) }),
  z.object({
    type: z.literal('permission'),
    id: frameId,
    sessionId,
    requestId: z.string().min(1).max(200),
    behavior: z.enum(['allow', 'deny']),
    message: z.string().max(10_000).optional(),
    scope: z.enum(['once', 'session']).optional(),
    remember: z.boolean().optional(),
    mode: z.enum(PERMISSION_MODES).optional(),
  }),
  z.object({ type: z.literal('ping'), id: frameId }),
  /**
   * Whether the page is in view: sent on connect, on every visibility change
   * and again every half minute while visible. While a client says so, no
   * push goes to the user's devices (docs/push.md).
   */
  z.object({ type: z.literal('presence'), id: frameId, visible: z.boolean() }),
]);
export type ClientFrame = z.infer<typeof clientFrameSchema>;

/** Event types every connection receives for every session, to keep lists current. */
export const SUMMARY_EVENT_TYPES = [
  'session.created',
  'session.updated',
  'session.deleted',
  'session.cleared',
  'queue.changed',
  'run.started',
  'run.finished',
] as const;

/** What a `subscribe` opened: where the replay starts, and whether runs before it exist. */
export interface SubscribeReply {
  fromSeq: number;
  hasEarlier: boolean;
  /** Its oldest run: pass it to GET .../history?beforeRun= to load the runs before. */
  firstRunId?: string | undefined;
}

/** The `data` of a successful reply, by the type of the frame it answers. */
export interface ReplyData {
  hello: undefined;
  subscribe: SubscribeReply;
  unsubscribe: undefined;
  submit: SubmitResult;
  interrupt: { runId: string };
  cancel: { runId: string; status: 'cancelled' | 'interrupting' };
  permission: { behavior: 'allow' | 'deny'; by: string; scope?: 'once' | 'session' | undefined };
  ping: undefined;
  presence: undefined;
}

/** What a client should know of the server's settings before it sends (MAX_ATTACHMENT_MB in bytes). */
export interface ServerLimits {
  maxAttachmentBytes: number;
}

export type ServerFrame =
  /** `startedAt`: when this server started; a client that sees it change knows the server restarted. */
  | { type: 'welcome'; version: string; startedAt: string; sessions: SessionView[]; limits?: ServerLimits }
  /** An event of a session this connection follows, in seq order, each once. */
  | { type: 'event'; event: ServerEvent }
  /** A list-level event of a session this connection does not follow. */
  | { type: 'summary'; event: ServerEvent }
  /** `data` is the ReplyData of the frame type it answers (the client knows which by `id`). */
  | { type: 'reply'; id: string; ok: true; data?: ReplyData[keyof ReplyData] }
  | { type: 'reply'; id: string; ok: false; error: { code: ErrorCode; message: string } }
  | { type: 'error'; error: { code: ErrorCode; message: string } }
  | { type: 'pong'; id?: string | undefined };
