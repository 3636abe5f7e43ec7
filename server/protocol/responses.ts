/**
 * What the HTTP API answers, as zod schemas: the doors serialise these, the
 * OpenAPI document describes them, and the web app reads the inferred types.
 * Sessions and runs have files of their own (session.ts, runs.ts).
 */
import { z } from 'zod';
import { runJsonSchema } from './runs.js';
import { sessionViewSchema, tokenUsageSchema } from './session.js';
import { FILE_KINDS } from './workspace.js';

/** A session as the API answers it: the view plus `session_id`, the name older clients know. */
export const sessionResponseSchema = sessionViewSchema.extend({ session_id: z.string() });
export type SessionResponse = z.infer<typeof sessionResponseSchema>;

export const sessionListSchema = z.object({ sessions: z.array(sessionResponseSchema) });
export const runListSchema = z.object({ runs: z.array(runJsonSchema) });
export const queueSchema = z.object({ pending: z.array(runJsonSchema) });

/** What a session's runs came to (GET /api/sessions/:id/stats). */
export const sessionStatsSchema = z.object({
  runs: z.object({
    total: z.number(),
    /** By state: success, error, interrupted, cancelled, queued, running. */
    byStatus: z.record(z.string(), z.number()),
    byErrorKind: z.record(z.string(), z.number()),
  }),
  /** Tool calls by tool name. */
  tools: z.record(z.string(), z.number()),
  costUsd: z.number(),
  usage: tokenUsageSchema,
  lastError: z
    .object({ runId: z.string(), errorKind: z.string().optional(), error: z.string().optional(), at: z.string().optional() })
    .optional(),
});
export type SessionStats = z.infer<typeof sessionStatsSchema>;

export const deletedSchema = z.object({
  deleted: z.literal(true),
  purged: z.boolean(),
  /** About a worktree: removed (its branch kept), or why it stays. */
  message: z.string().optional(),
});
export const cancelResultSchema = z.object({ runId: z.string(), status: z.enum(['cancelled', 'interrupting']) });
export const interruptResultSchema = z.object({ runId: z.string(), status: z.literal('interrupting') });
export const permissionAnsweredSchema = z.object({
  requestId: z.string(),
  behavior: z.enum(['allow', 'deny']),
  by: z.string(),
  scope: z.enum(['once', 'session']).optional(),
});

/** A CLI process: running a turn, warm and waiting for the next, or on its way out. */
export const processInfoSchema = z.object({
  pid: z.number(),
  sessionId: z.string(),
  state: z.enum(['running', 'idle', 'exiting']),
  runId: z.string().optional(),
  cwd: z.string(),
  model: z.string().optional(),
  claudeSessionId: z.string(),
  /** When the current run started (running), or the process (idle). */
  startedAt: z.string(),
  processStartedAt: z.string(),
  idleSince: z.string().optional(),
  turns: z.number(),
  /** Seconds since the process started. */
  ageS: z.number(),
  /** CPU time of the process and everything below it, since it started. */
  cpuSeconds: z.number().optional(),
  /** Percent of one core the process tree used over the last few seconds (200 = two cores); absent in its first second. */
  cpuPercent: z.number().optional(),
  /** Resident memory of the process and everything below it. */
  rssBytes: z.number().optional(),
});
export type ProcessInfo = z.infer<typeof processInfoSchema>;
export const processListSchema = z.object({ processes: z.array(processInfoSchema) });

/** The gateway's shape of the same list (GET /processes). */
export const gatewayProcessListSchema = z.object({
  processes: z.array(
    z.object({
      process_id: z.string(),
      state: z.string(),
      pid: z.number(),
      cwd: z.string(),
      model: z.string().nullable(),
      started_at: z.string(),
      session_id: z.string(),
      /** The same measures as /api/processes, in this list's snake case. */
      age_s: z.number(),
      cpu_percent: z.number().nullable(),
      rss_bytes: z.number().nullable(),
    }),
  ),
  count: z.number(),
});

export const rootsSchema = z.object({ roots: z.array(z.string()) });
export const folderListingSchema = z.object({ path: z.string(), folders: z.array(z.string()), truncated: z.boolean() });
export type FolderListing = z.infer<typeof folderListingSchema>;

/** For "load earlier": events are ServerEvent objects (events.ts). */
export const historySchema = z.object({
  events: z.array(z.record(z.string(), z.unknown())),
  fromSeq: z.number(),
  hasEarlier: z.boolean(),
  firstRunId: z.string().optional(),
});

export const storageEntrySchema = z.object({
  name: z.string(),
  type: z.enum(['dir', 'file', 'link', 'other']),
  /** Absent for links that lead outside the folder. */
  size: z.number().optional(),
  modifiedAt: z.string().optional(),
  /** Files: `text` (GET .../files/text shows it), `image` (.../files/raw shows it) or `binary` (a download); judged by the name. */
  kind: z.enum(FILE_KINDS).optional(),
});
export type StorageEntry = z.infer<typeof storageEntrySchema>;
export const storageListingSchema = z.object({ path: z.string(), type: z.literal('dir'), entries: z.array(storageEntrySchema) });

export const executeResultSchema = z.object({
  success: z.boolean(),
  output: z.string(),
  error: z.string().nullable(),
  status: z.string(),
  cost_usd: z.number().optional(),
  duration_ms: z.number().optional(),
  num_turns: z.number().optional(),
  session_id: z.string(),
  claude_session_id: z.string().optional(),
  run_id: z.string(),
});

export const authMeSchema = z.object({ authenticated: z.literal(true), authEnabled: z.boolean() });
export const okSchema = z.object({ ok: z.literal(true) });
export const loggedOutEverywhereSchema = z.object({ ok: z.literal(true), ended: z.number() });

export const tunnelStateSchema = z.object({
  status: z.enum(['off', 'connecting', 'online', 'error']),
  url: z.string().optional(),
  error: z.string().optional(),
  attempt: z.number().optional(),
  retryInS: z.number().optional(),
});
export type TunnelStateJson = z.infer<typeof tunnelStateSchema>;

export const warmPoolSchema = z.object({
  count: z.number(),
  idle: z.number(),
  busy: z.number(),
  rssBytes: z.number(),
  maxCount: z.number(),
  maxBytes: z.number(),
});

/** /health: strangers get `{status}` only; the rest with credentials (or without auth). */
export const healthSchema = z.object({
  status: z.literal('ok'),
  version: z.string().optional(),
  uptimeS: z.number().optional(),
  claude: z
    .object({ found: z.boolean(), path: z.string().nullable(), version: z.string().nullable(), hint: z.string().optional() })
    .optional(),
  /** The flat names of the gateway we replace. */
  claude_path: z.string().nullable().optional(),
  claude_version: z.string().nullable().optional(),
  tunnel: tunnelStateSchema.optional(),
  warm: warmPoolSchema.optional(),
  /** This server's id (several instances on one Redis each have their own). */
  instanceId: z.string().optional(),
  store: z.enum(['sqlite', 'redis']).optional(),
});
export type Health = z.infer<typeof healthSchema>;

export const chatCancelledSchema = z.object({ status: z.literal('cancelled'), process_id: z.string() });

export const restartingSchema = z.object({ restarting: z.literal(true) });
