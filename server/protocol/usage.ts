/**
 * The answer of `GET /api/usage`: where this machine stands, from the CLI's
 * own transcripts (runs made outside the app count too). Times are ISO 8601;
 * days are YYYY-MM-DD in the server's time zone. The field names of `today`,
 * `activeBlock`, `days`, `models`, `projects` and `source` are a contract
 * scripts rely on.
 */
import { z } from 'zod';

/** Tokens by kind, their sum, and what they cost in USD. */
export const tokenTotalsSchema = z.object({
  inputTokens: z.number(),
  outputTokens: z.number(),
  cacheCreationTokens: z.number(),
  cacheReadTokens: z.number(),
  totalTokens: z.number(),
  costUsd: z.number(),
});
export type TokenTotals = z.infer<typeof tokenTotalsSchema>;

/**
 * The 5-hour block in progress, as ccusage computes it: it starts at its
 * first message's time floored to the hour and lasts 5 hours. The burn rate
 * is over the span between its first and last message (zero while that span
 * is zero); the projection continues that rate to the block's end.
 */
export const activeBlockSchema = tokenTotalsSchema.extend({
  startTime: z.string(),
  endTime: z.string(),
  remainingMinutes: z.number(),
  burnRate: z.object({ tokensPerHour: z.number(), costPerHour: z.number() }),
  projection: z.object({ totalTokens: z.number(), costUsd: z.number() }),
  firstActivity: z.string(),
  lastActivity: z.string(),
  models: z.array(z.string()),
});
export type ActiveBlock = z.infer<typeof activeBlockSchema>;

export const usageDaySchema = tokenTotalsSchema.extend({ date: z.string(), models: z.array(z.string()) });
export type UsageDay = z.infer<typeof usageDaySchema>;

export const COST_SOURCES = ['transcript', 'priceTable', 'mixed', 'none'] as const;

export const usageModelSchema = tokenTotalsSchema.extend({
  model: z.string(),
  /** Where its cost came from: `costUSD` on the lines, the price table, both, or nowhere (unknown model: 0). */
  costSource: z.enum(COST_SOURCES),
});
export type UsageModel = z.infer<typeof usageModelSchema>;

export const usageProjectSchema = tokenTotalsSchema.extend({
  /** The CLI's folder name under projects/: the working folder with "/" and "." made "-". */
  project: z.string(),
  /** The real working folder, from the lines' `cwd`, when they record one. */
  path: z.string().nullable(),
  lastActivity: z.string(),
});
export type UsageProject = z.infer<typeof usageProjectSchema>;

export const usageSourceSchema = z.object({
  /** The CLI config folders read (CLAUDE_CONFIG_DIR, else ~/.claude), each with whether its projects/ exists. */
  roots: z.array(z.object({ path: z.string(), exists: z.boolean() })),
  files: z.number(),
  unreadableFiles: z.number(),
  /** Lines with usage counted, and copies of the same message skipped. */
  entries: z.number(),
  duplicates: z.number(),
  /** Entries whose cost came from the transcript's `costUSD`, from the price table, or from nowhere. */
  costs: z.object({
    fromTranscript: z.number(),
    fromPriceTable: z.number(),
    unpriced: z.number(),
    unpricedModels: z.array(z.string()),
  }),
  priceTable: z.object({ takenAt: z.string(), models: z.number(), sources: z.array(z.string()) }),
  scannedAt: z.string().nullable(),
  timeZone: z.string(),
});
export type UsageSource = z.infer<typeof usageSourceSchema>;

/** Today's runs through this server (the per-run costs the CLI reported). */
export const serverTotalsSchema = z.object({
  since: z.string(),
  costUsd: z.number(),
  runs: z.number(),
  usage: z.object({ inputTokens: z.number(), outputTokens: z.number(), cacheReadTokens: z.number(), cacheWriteTokens: z.number() }),
});

export const usageAnswerSchema = z.object({
  today: tokenTotalsSchema.extend({ date: z.string() }),
  activeBlock: activeBlockSchema.nullable(),
  /** The last 30 days, oldest first, today last; days without use are zeros. */
  days: z.array(usageDaySchema),
  /** By model and by project over those 30 days, costliest first. */
  models: z.array(usageModelSchema),
  projects: z.array(usageProjectSchema),
  /** The active block's running totals after each message, for its burn-down (at most 200 points). */
  burnDown: z.array(z.object({ time: z.string(), totalTokens: z.number(), costUsd: z.number() })),
  source: usageSourceSchema,
  server: serverTotalsSchema.optional(),
});
export type UsageAnswer = z.infer<typeof usageAnswerSchema>;
