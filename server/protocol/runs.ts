/**
 * A run (one prompt) on the wire: how it ends and how the API shows it.
 * Declared once, as zod schemas; the types are inferred.
 */
import { z } from 'zod';
import { RUN_ERROR_KINDS, RUN_STATUSES } from './constants.js';
import { tokenUsageSchema } from './session.js';
import { attachmentInfoSchema } from './workspace.js';

export { RUN_ERROR_KINDS, RUN_STATUSES } from './constants.js';
export const runStatusSchema = z.enum(RUN_STATUSES);
export type RunStatus = z.infer<typeof runStatusSchema>;

export const runErrorKindSchema = z.enum(RUN_ERROR_KINDS);
export type RunErrorKind = z.infer<typeof runErrorKindSchema>;

export const runStateSchema = z.enum(['queued', 'running', ...RUN_STATUSES]);
export type RunState = z.infer<typeof runStateSchema>;

/** A run as GET .../runs and .../queue show it. */
export const runJsonSchema = z.object({
  id: z.string(),
  /** The same as `id`, for clients that read `runId` everywhere. */
  runId: z.string(),
  sessionId: z.string(),
  prompt: z.string(),
  clientRequestId: z.string().optional(),
  state: runStateSchema,
  enqueuedAt: z.string(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  pid: z.number().optional(),
  costUsd: z.number(),
  usage: tokenUsageSchema,
  durationMs: z.number(),
  numTurns: z.number(),
  result: z.string().optional(),
  error: z.string().optional(),
  errorKind: runErrorKindSchema.optional(),
  /** The server instance that ran it (it matters when several share a Redis store). */
  instanceId: z.string().optional(),
  /** Files attached to the prompt, as saved in the session folder. */
  attachments: z.array(attachmentInfoSchema).optional(),
});
export type RunJson = z.infer<typeof runJsonSchema>;

export const submitResultSchema = z.object({
  runId: z.string(),
  /** 1 = next to start; 0 = already started or finished (a duplicate submit). */
  position: z.number(),
  duplicate: z.boolean(),
});
export type SubmitResult = z.infer<typeof submitResultSchema>;
