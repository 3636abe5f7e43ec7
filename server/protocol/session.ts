/**
 * A session on the wire: the options a client may set, and the session as
 * every door shows it. Declared once, as zod schemas; the types are inferred.
 * No Node imports: the web app compiles this file too.
 */
import { z } from 'zod';
import { MAX_NAME_CHARS } from './limits.js';
import { worktreeSchema } from './workspace.js';

import { PAUSE_REASONS, PERMISSION_MODES } from './constants.js';

export { PAUSE_REASONS, PERMISSION_MODES, ZERO_USAGE } from './constants.js';
export type PermissionMode = (typeof PERMISSION_MODES)[number];

export const tokenUsageSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheReadTokens: z.number(),
  cacheWriteTokens: z.number(),
});
export type TokenUsage = z.infer<typeof tokenUsageSchema>;


export const toolListSchema = z.array(z.string().min(1).max(500)).max(200);

/**
 * An MCP config is JSON text or a file path; an object is accepted and
 * stringified; several may be given as a list. Always a list once parsed.
 */
const oneMcpConfig = z
  .union([z.string().min(1).max(100_000), z.record(z.string(), z.unknown())])
  .transform((v) => (typeof v === 'string' ? v : JSON.stringify(v)));
export const mcpConfigSchema = z
  .union([oneMcpConfig, z.array(oneMcpConfig).max(20)])
  .transform((v) => (Array.isArray(v) ? v : [v]));

/** What the CLI runs with; each maps to one of its flags (server/core/cli/args.ts). */
export const sessionOptionsSchema = z.object({
  model: z.string().min(1).max(200).optional(),
  systemPrompt: z.string().max(100_000).optional(),
  appendSystemPrompt: z.string().max(100_000).optional(),
  permissionMode: z.enum(PERMISSION_MODES).optional(),
  allowedTools: toolListSchema.optional(),
  disallowedTools: toolListSchema.optional(),
  addDirs: z.array(z.string().min(1).max(4096)).max(50).optional(),
  /** MCP configs: each JSON text (`{"mcpServers": ...}`) or a path to one. */
  mcpConfig: mcpConfigSchema.optional(),
  /** Restricts the built-in tool set (`--tools`). */
  tools: toolListSchema.optional(),
  /** JSON text of a JSON Schema the final answer must follow (`--json-schema`). */
  jsonSchema: z.string().max(100_000).optional(),
  /** JSON text of custom agent definitions (`--agents`). */
  agents: z.string().max(100_000).optional(),
  /** The CLI's `--max-turns`: a run that needs more model calls ends as `max_turns`. */
  maxTurns: z.number().int().min(1).max(10_000).optional(),
});
export type SessionOptions = z.output<typeof sessionOptionsSchema>;

/** `waiting`: a run waits for a person to answer a permission request. */
export const sessionStatusSchema = z.enum(['idle', 'running', 'waiting']);
export type SessionStatus = z.infer<typeof sessionStatusSchema>;

export const sessionTotalsSchema = z.object({ costUsd: z.number(), runs: z.number(), usage: tokenUsageSchema });
export type SessionTotals = z.infer<typeof sessionTotalsSchema>;

/** A queue that waits (see PAUSE_REASONS): since when, and until when if the reset time is known. */
export const pausedSchema = z.object({
  reason: z.enum(PAUSE_REASONS),
  since: z.string(),
  until: z.string().optional(),
  /** What the API said, for a person. */
  message: z.string().optional(),
});
export type Paused = z.infer<typeof pausedSchema>;

/** A session as every door shows it. */
export const sessionViewSchema = z.object({
  id: z.string(),
  name: z.string().max(MAX_NAME_CHARS),
  cwd: z.string(),
  /** True when the folder was made by us under DATA_DIR (and may be purged). */
  ownFolder: z.boolean(),
  options: sessionOptionsSchema,
  /** The Claude conversation id the next run continues (or starts). */
  claudeSessionId: z.string(),
  status: sessionStatusSchema,
  queueLength: z.number(),
  totals: sessionTotalsSchema,
  createdAt: z.string(),
  updatedAt: z.string(),
  /** The seq of the session's last event. */
  lastSeq: z.number(),
  /** Set while the queue waits after a billing or usage-limit failure (POST .../resume, or `until`). */
  paused: pausedSchema.optional(),
  /** Permission requests waiting for an answer (status `waiting`). */
  waitingForAnswers: z.number().optional(),
  /** Tools allowed for the rest of the session without asking (answered with scope `session`); revocable. */
  allowedForSession: z.array(z.string()).optional(),
  /** The session works in a git worktree of its own (made with `worktree: true`); `cwd` is inside it. */
  worktree: worktreeSchema.optional(),
});
export type SessionView = z.output<typeof sessionViewSchema>;
