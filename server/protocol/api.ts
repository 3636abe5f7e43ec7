/**
 * Request shapes of the HTTP API, as zod schemas. Every body, query and
 * param from outside passes one of these once, at the door; the engine trusts
 * the inferred types. Unknown fields are dropped, not refused, so newer
 * clients keep working; known fields of the wrong type are a 400.
 */
import { z } from 'zod';
import { MAX_CLIENT_REQUEST_ID_CHARS, MAX_NAME_CHARS } from './limits.js';
import { PERMISSION_MODES } from './events.js';

const toolList = z.array(z.string().min(1).max(500)).max(200);

/**
 * An MCP config is JSON text or a file path; an object is accepted and
 * stringified; several may be given as a list. Always a list once parsed.
 */
const oneMcpConfig = z
  .union([z.string().min(1).max(100_000), z.record(z.string(), z.unknown())])
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
const mcpConfig = z
  .union([oneMcpConfig, z.array(oneMcpConfig).max(20)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

export const sessionOptionsSchema = z.object({
  model: z.string().min(1).max(200).optional(),
  systemPrompt: z.string().max(100_000).optional(),
  appendSystemPrompt: z.string().max(100_000).optional(),
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  allowedTools: toolList.optional(),
  disallowedTools: toolList.optional(),
  addDirs: z.array(z.string().min(1).max(4096)).max(50).optional(),
  mcpConfig: mcpConfig.optional(),
  tools: toolList.optional(),
});

export const createSessionSchema = sessionOptionsSchema.extend({
  name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
  /** The multi-session manager we replace called it `session_name`. */
  session_name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
  cwd: z.string().min(1).max(4096).optional(),
});
export type CreateSessionBody = z.infer<typeof createSessionSchema>;

export const updateSessionSchema = sessionOptionsSchema.extend({
  name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
});
export type UpdateSessionBody = z.infer<typeof updateSessionSchema>;

export const clientRequestIdSchema = z.string().min(1).max(MAX_CLIENT_REQUEST_ID_CHARS);

/** Prompt size is checked in bytes by the engine (413), not here. */
export const submitSchema = z.object({
  prompt: z.string(),
  clientRequestId: clientRequestIdSchema.optional(),
});
export type SubmitBody = z.infer<typeof submitSchema>;

export const executeSchema = z.object({
  prompt: z.string(),
  /** Seconds to wait for the run to finish before answering with a timeout. */
  timeout: z.number().positive().max(24 * 3600).optional(),
  clientRequestId: clientRequestIdSchema.optional(),
});

export const permissionAnswerSchema = z.object({
  behavior: z.enum(['allow', 'deny']),
  message: z.string().max(10_000).optional(),
  remember: z.boolean().optional(),
});
export type PermissionAnswer = z.infer<typeof permissionAnswerSchema>;

/** `?after=SEQ` on event streams. */
export const seqSchema = z.coerce.number().int().min(0);

/** The body of the `/chat` gateway (snake_case, as its clients send it). */
export const chatSchema = z.object({
  prompt: z.string(),
  cwd: z.string().min(1).max(4096).optional(),
  model: z.string().min(1).max(200).optional(),
  session_id: z.string().uuid().optional(),
  system_prompt: z.string().max(100_000).optional(),
  append_system_prompt: z.string().max(100_000).optional(),
  tools: toolList.optional(),
  allowed_tools: toolList.optional(),
  disallowed_tools: toolList.optional(),
  permission_mode: z.enum(PERMISSION_MODES).optional(),
  mcp_config: mcpConfig.optional(),
  add_dir: z.array(z.string().min(1).max(4096)).max(50).optional(),
  debug: z.union([z.boolean(), z.string().max(200)]).optional(),
  json_schema: z.record(z.string(), z.unknown()).optional(),
  agents: z.record(z.string(), z.unknown()).optional(),
});
export type ChatBody = z.infer<typeof chatSchema>;
