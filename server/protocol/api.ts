/**
 * Request shapes of the HTTP API, as zod schemas. Every body, query and
 * param from outside passes one of these once, at the door; the engine trusts
 * the inferred types. Unknown fields are dropped, not refused, so newer
 * clients keep working; known fields of the wrong type are a 400.
 */
import { z } from 'zod';
import { MAX_CLIENT_REQUEST_ID_CHARS, MAX_NAME_CHARS } from './limits.js';
import { mcpConfigSchema, PERMISSION_MODES, sessionOptionsSchema, toolListSchema, type SessionOptions } from './session.js';
import { attachmentSchema } from './workspace.js';

export { sessionOptionsSchema } from './session.js';

export const createSessionSchema = sessionOptionsSchema.extend({
  name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
  /** The multi-session manager we replace called it `session_name`. */
  session_name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
  cwd: z.string().min(1).max(4096).optional(),
  /** Work in a new git worktree of the repository `cwd` is in, on a branch of the session's own. */
  worktree: z.boolean().optional(),
  /** With `worktree`: the commit, branch or tag to start from (default: what `cwd` has checked out). */
  baseRef: z.string().min(1).max(256).optional(),
});
export type CreateSessionBody = z.infer<typeof createSessionSchema>;

export const updateSessionSchema = sessionOptionsSchema.extend({
  name: z.string().trim().min(1).max(MAX_NAME_CHARS).optional(),
});
export type UpdateSessionBody = z.infer<typeof updateSessionSchema>;

export const clientRequestIdSchema = z.string().min(1).max(MAX_CLIENT_REQUEST_ID_CHARS);

/**
 * Files attached to a prompt. Their count, size and type are checked by the
 * engine (413, 415), not here; the bound on the list only keeps a parser from
 * walking a silly one.
 */
export const attachmentsSchema = z.array(attachmentSchema).max(1000);

/** Prompt size is checked in bytes by the engine (413), not here. A prompt with attachments may be empty. */
export const submitSchema = z.object({
  prompt: z.string(),
  clientRequestId: clientRequestIdSchema.optional(),
  attachments: attachmentsSchema.optional(),
});
export type SubmitBody = z.infer<typeof submitSchema>;

export const executeSchema = z.object({
  prompt: z.string(),
  /** Seconds to wait for the run to finish before answering with a timeout. */
  timeout: z.number().positive().max(24 * 3600).optional(),
  clientRequestId: clientRequestIdSchema.optional(),
});

/**
 * An answer to a permission request. `scope: "session"` also allows the tool
 * for the rest of the session (`remember: true` is its older name); `message`
 * goes back to Claude with a denial; `mode` answers an ExitPlanMode request:
 * the permission mode to continue in once the plan is approved.
 */
export const permissionAnswerFieldsSchema = z.object({
  behavior: z.enum(['allow', 'deny']),
  message: z.string().max(10_000).optional(),
  scope: z.enum(['once', 'session']).optional(),
  remember: z.boolean().optional(),
  mode: z.enum(PERMISSION_MODES).optional(),
});
export const permissionAnswerSchema = permissionAnswerFieldsSchema.transform(({ remember, ...a }) => ({
  ...a,
  scope: a.scope ?? (remember ? ('session' as const) : ('once' as const)),
}));
export type PermissionAnswer = z.output<typeof permissionAnswerSchema>;

/** `?after=SEQ` on event streams. */
export const seqSchema = z.coerce.number().int().min(0);

/** The body of the `/chat` gateway (snake_case, as its clients send it). */
export const chatBodySchema = z.object({
  prompt: z.string(),
  cwd: z.string().min(1).max(4096).optional(),
  model: z.string().min(1).max(200).optional(),
  session_id: z.string().uuid().optional(),
  system_prompt: z.string().max(100_000).optional(),
  append_system_prompt: z.string().max(100_000).optional(),
  tools: toolListSchema.optional(),
  allowed_tools: toolListSchema.optional(),
  disallowed_tools: toolListSchema.optional(),
  permission_mode: z.enum(PERMISSION_MODES).optional(),
  mcp_config: mcpConfigSchema.optional(),
  add_dir: z.array(z.string().min(1).max(4096)).max(50).optional(),
  debug: z.union([z.boolean(), z.string().max(200)]).optional(),
  json_schema: z.record(z.string(), z.unknown()).optional(),
  agents: z.record(z.string(), z.unknown()).optional(),
  max_turns: z.number().int().min(1).max(10_000).optional(),
});
export type ChatBody = z.infer<typeof chatBodySchema>;

/**
 * The gateway's body read into what the engine takes: the conversation to
 * continue, the folder, and session options in our names. Each option name is
 * mapped here and nowhere else.
 */
export const chatSchema = chatBodySchema.transform((b) => {
  const options: SessionOptions = {
    model: b.model,
    systemPrompt: b.system_prompt,
    appendSystemPrompt: b.append_system_prompt,
    permissionMode: b.permission_mode,
    allowedTools: b.allowed_tools,
    disallowedTools: b.disallowed_tools,
    tools: b.tools,
    addDirs: b.add_dir,
    mcpConfig: b.mcp_config,
    jsonSchema: b.json_schema ? JSON.stringify(b.json_schema) : undefined,
    agents: b.agents ? JSON.stringify(b.agents) : undefined,
    maxTurns: b.max_turns,
  };
  return {
    prompt: b.prompt,
    cwd: b.cwd,
    claudeSessionId: b.session_id,
    options: Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)) as SessionOptions,
  };
});
export type ChatRequest = z.output<typeof chatSchema>;

/** Query flags that read as true or false. */
const flagSchema = z.enum(['true', 'false', '1', '0']).optional();
export const isTrue = (flag: string | undefined) => flag === 'true' || flag === '1';

export const idSchema = z.string().min(1).max(100);
export const purgeQuerySchema = z.object({ purge: flagSchema });
export const rawQuerySchema = z.object({ raw: flagSchema });
export const eventsQuerySchema = z.object({ after: seqSchema.optional() });
export const historyQuerySchema = z.object({ beforeRun: idSchema, runs: z.coerce.number().int().min(1).max(1000).optional() });
export const storageQuerySchema = z.object({ path: z.string().max(4096).optional() });
export const fileQuerySchema = z.object({ path: z.string().min(1).max(4096) });
export const fileRawQuerySchema = z.object({ path: z.string().min(1).max(4096), download: flagSchema });
export const foldersQuerySchema = z.object({ path: z.string().min(1).max(4096) });

/** The login form and its JSON twin; `next` is where a form login goes afterwards. */
export const loginSchema = z.object({ password: z.string().min(1).max(1000), next: z.string().max(2000).optional() });
