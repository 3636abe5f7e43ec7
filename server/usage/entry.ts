/**
 * One transcript line with token usage, as ccusage 18 reads it: the same
 * lines pass (its valibot schema, mirrored by hand because this runs on
 * every line of a year of transcripts), the same dedup key, the same model
 * name and the same cost.
 */
import { costOfTokens, type Pricer, type TokenCounts } from './pricing.js';

export type CostSource = 'transcript' | 'priceTable' | 'none';

export interface UsageEntry extends TokenCounts {
  /** Milliseconds since the epoch. */
  time: number;
  /** The local calendar day, YYYY-MM-DD (ccusage groups by the same). */
  day: string;
  /** As ccusage shows it: "unknown" when the line names none, "-fast" appended for fast requests. */
  model: string;
  costUsd: number;
  costSource: CostSource;
  /** message.id + requestId: the CLI writes one line per content block of a message, all with the same pair. */
  dedupKey: string | undefined;
  /** The working folder the line records (the real path of the project). */
  cwd: string | undefined;
}

export const SYNTHETIC_MODEL = '<synthetic>';

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;
const VERSION = /^\d+\.\d+\.\d+/;

type Json = Record<string, unknown>;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null;
const optional = (v: unknown, check: (x: unknown) => boolean) => v === undefined || check(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && !Number.isNaN(v);
const isNonEmptyString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;
const isTextBlocks = (v: unknown) => Array.isArray(v) && v.every((b) => isObject(b) && optional(b.text, (t) => typeof t === 'string'));

/** The entry a line stands for, or undefined for any line ccusage would skip (wrong shape, no usage, not JSON). */
export function parseUsageLine(line: string, pricer: Pricer): UsageEntry | undefined {
  let data: unknown;
  try {
    data = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isObject(data) || !isObject(data.message) || !isObject(data.message.usage)) return undefined;
  const { message } = data;
  const usage = message.usage as Json;
  const valid =
    typeof data.timestamp === 'string' &&
    ISO_UTC.test(data.timestamp) &&
    isNumber(usage.input_tokens) &&
    isNumber(usage.output_tokens) &&
    optional(usage.cache_creation_input_tokens, isNumber) &&
    optional(usage.cache_read_input_tokens, isNumber) &&
    optional(usage.speed, (s) => s === 'standard' || s === 'fast') &&
    optional(message.model, isNonEmptyString) &&
    optional(message.id, isNonEmptyString) &&
    optional(message.content, isTextBlocks) &&
    optional(data.costUSD, isNumber) &&
    optional(data.requestId, isNonEmptyString) &&
    optional(data.isApiErrorMessage, (b) => typeof b === 'boolean') &&
    optional(data.cwd, (c) => typeof c === 'string') &&
    optional(data.sessionId, isNonEmptyString) &&
    optional(data.version, (v) => typeof v === 'string' && VERSION.test(v));
  if (!valid) return undefined;

  const time = Date.parse(data.timestamp as string);
  const tokens: TokenCounts = {
    inputTokens: usage.input_tokens as number,
    outputTokens: usage.output_tokens as number,
    cacheCreationTokens: (usage.cache_creation_input_tokens as number | undefined) ?? 0,
    cacheReadTokens: (usage.cache_read_input_tokens as number | undefined) ?? 0,
  };
  const model = message.model as string | undefined;
  const fast = usage.speed === 'fast';
  const { costUsd, costSource } = costOf(tokens, model, fast, data.costUSD as number | undefined, pricer);
  // One literal with every field, never a spread: entries built by spreading measured
  // 30 times slower to walk (V8 gave them slow shapes), and every sum walks them all.
  return {
    time,
    day: localDay(time),
    model: model === undefined ? 'unknown' : fast ? `${model}-fast` : model,
    inputTokens: tokens.inputTokens,
    outputTokens: tokens.outputTokens,
    cacheCreationTokens: tokens.cacheCreationTokens,
    cacheReadTokens: tokens.cacheReadTokens,
    costUsd,
    costSource,
    dedupKey: message.id !== undefined && data.requestId !== undefined ? `${message.id as string}:${data.requestId as string}` : undefined,
    cwd: data.cwd as string | undefined,
  };
}

function costOf(tokens: TokenCounts, model: string | undefined, fast: boolean, recorded: number | undefined, pricer: Pricer): { costUsd: number; costSource: CostSource } {
  if (recorded !== undefined) return { costUsd: recorded, costSource: 'transcript' };
  const price = model === undefined ? undefined : pricer.priceOf(model);
  if (!price) return { costUsd: 0, costSource: 'none' };
  return { costUsd: costOfTokens(tokens, price, fast), costSource: 'priceTable' };
}

/** YYYY-MM-DD in this process's time zone. */
export function localDay(time: number): string {
  const d = new Date(time);
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

const pad = (n: number) => String(n).padStart(2, '0');
