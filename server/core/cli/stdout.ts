/**
 * The normaliser: raw CLI stdout lines (stream-json) in, our events out.
 *
 * One instance per run; it keeps the little state the CLI's format needs
 * (partial text already streamed, token usage per API message, tool names by
 * id). It is lenient by design: the CLI adds line types between releases, so
 * anything it does not understand is skipped (the raw line is kept by the
 * engine), and only lines that are not JSON at all become a `notice`.
 *
 * Protocol facts it relies on (observed on 2.1.330, see docs/architecture.md):
 * - with --include-partial-messages, text arrives as `stream_event`
 *   content_block_delta/text_delta before the complete `assistant` line;
 * - every content block is its own `assistant` line (same message.id);
 * - tool results come back as `user` lines with `tool_result` blocks;
 * - the `result` line ends the turn; API failures are `is_error: true` with
 *   `subtype: "success"`, so `is_error` decides, not `subtype`.
 */
import { z } from 'zod';
import type { DistributiveOmit, NewEvent, RunErrorKind, TokenUsage } from '../../protocol/events.js';
import { apiFailureOf, classifyApiFailure, type ApiFailure } from './api-failure.js';
import { excerpt, summariseToolInput, toolResultText, TOOL_OUTPUT_EXCERPT_CHARS } from './tools.js';

export { excerpt, summariseToolInput } from './tools.js';
export type { ApiFailure } from './api-failure.js';

/** An event of this run before the engine adds the session id. */
export type RunEventDraft = DistributiveOmit<NewEvent, 'sessionId'>;

export interface RunOutcome {
  isError: boolean;
  subtype: string;
  result?: string | undefined;
  costUsd: number;
  usage: TokenUsage;
  durationMs: number;
  numTurns: number;
  errorKind?: RunErrorKind | undefined;
  error?: string | undefined;
  aborted: boolean;
}

export interface PermissionRequest {
  requestId: string;
  toolName: string;
  input: unknown;
  toolUseId?: string | undefined;
  /** What the CLI says the call is for. */
  description?: string | undefined;
}

const NOTICE_EXCERPT_CHARS = 200;

// Lenient shapes: only the fields we read are checked, the rest passes through.
const usageShape = z
  .object({
    input_tokens: z.number().optional(),
    output_tokens: z.number().optional(),
    cache_read_input_tokens: z.number().nullish(),
    cache_creation_input_tokens: z.number().nullish(),
  })
  .passthrough();

const block = z.object({ type: z.string() }).passthrough();

const lineShape = z
  .object({
    type: z.string(),
    subtype: z.string().optional(),
  })
  .passthrough();

type Json = Record<string, unknown>;

export class RunNormaliser {
  readonly #runId: string;
  #outcome: RunOutcome | undefined;
  #claudeSessionId: string | undefined;
  #model: string | undefined;
  /** Usage of each API message by id; summed for the run. */
  readonly #usageByMessage = new Map<string, TokenUsage>();
  readonly #toolNames = new Map<string, string>();
  readonly #toolInputs = new Map<string, unknown>();
  #lastText = '';
  #resultUsage: TokenUsage | undefined;
  #partialText = '';
  #apiFailure: ApiFailure | undefined;
  #authRetry = false;

  constructor(runId: string) {
    this.#runId = runId;
  }

  get outcome(): RunOutcome | undefined {
    return this.#outcome;
  }
  get claudeSessionId(): string | undefined {
    return this.#claudeSessionId;
  }
  get model(): string | undefined {
    return this.#model;
  }
  /** Text streamed since the last complete text block: what a crash or kill cut off. */
  get unfinishedText(): string {
    return this.#partialText;
  }
  /** Text of the last complete assistant text block: the answer if no result line came. */
  get lastText(): string {
    return this.#lastText;
  }
  /** The API failure the CLI reported in this turn, if any. */
  get apiFailure(): ApiFailure | undefined {
    return this.#apiFailure;
  }
  /**
   * The CLI is retrying an API call the API refused for authentication: no
   * retry can succeed, so the turn should end now (not after ten attempts).
   */
  get authRetry(): boolean {
    return this.#authRetry;
  }
  /** Tokens of this run: the result's figures once it came, else the sum of what streamed. */
  get usage(): TokenUsage {
    return this.#resultUsage ?? sumUsage(this.#usageByMessage.values());
  }

  /** Turns one stdout line into events; `permission` is set for a can_use_tool request. */
  line(text: string): { events: RunEventDraft[]; permission?: PermissionRequest } {
    if (text.trim() === '') return { events: [] };
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      return { events: [this.#notice('warn', `The CLI printed a line that is not JSON: ${excerpt(text, NOTICE_EXCERPT_CHARS)}`)] };
    }
    const parsed = lineShape.safeParse(json);
    if (!parsed.success) return { events: [] };
    const msg = parsed.data as Json & { type: string; subtype?: string };
    switch (msg.type) {
      case 'system':
        return { events: this.#system(msg) };
      case 'stream_event':
        return { events: this.#streamEvent(msg) };
      case 'assistant':
        return { events: this.#assistant(msg) };
      case 'user':
        return { events: this.#user(msg) };
      case 'result':
        return { events: this.#result(msg) };
      case 'control_request':
        return this.#controlRequest(msg);
      default:
        return { events: [] };
    }
  }

  #system(msg: Json & { subtype?: string }): RunEventDraft[] {
    if (msg.subtype === 'init') {
      if (typeof msg.session_id === 'string') this.#claudeSessionId = msg.session_id;
      if (typeof msg.model === 'string') this.#model = msg.model;
      return [];
    }
    if (msg.subtype === 'api_retry') {
      const errorStatus = typeof msg.error_status === 'number' ? msg.error_status : undefined;
      if (errorStatus === 401 || msg.error === 'authentication_failed') this.#authRetry = true;
      return [
        {
          type: 'run.retrying',
          runId: this.#runId,
          attempt: typeof msg.attempt === 'number' ? msg.attempt : 0,
          maxRetries: typeof msg.max_retries === 'number' ? msg.max_retries : 0,
          delayMs: typeof msg.retry_delay_ms === 'number' ? msg.retry_delay_ms : 0,
          errorStatus,
        },
      ];
    }
    return [];
  }

  #streamEvent(msg: Json): RunEventDraft[] {
    const event = msg.event as Json | undefined;
    if (!event || typeof event.type !== 'string') return [];
    const messageId = typeof msg.api_message_id === 'string' ? msg.api_message_id : undefined;
    switch (event.type) {
      case 'message_start': {
        const message = event.message as Json | undefined;
        const id = messageId ?? (typeof message?.id === 'string' ? message.id : undefined);
        if (id && message) this.#recordUsage(id, message.usage);
        this.#partialText = '';
        return [];
      }
      case 'content_block_delta': {
        const delta = event.delta as Json | undefined;
        if (delta?.type === 'text_delta' && typeof delta.text === 'string' && delta.text !== '') {
          this.#partialText += delta.text;
          return [{ type: 'assistant.delta', runId: this.#runId, text: delta.text }];
        }
        return [];
      }
      case 'message_delta': {
        if (messageId) this.#recordUsage(messageId, event.usage);
        return [{ type: 'usage', runId: this.#runId, ...this.usage }];
      }
      default:
        return [];
    }
  }

  #assistant(msg: Json): RunEventDraft[] {
    const message = msg.message as Json | undefined;
    if (!message) return [];
    if (msg.is_api_error_message === true || typeof msg.error === 'string') this.#apiFailure = apiFailureOf(msg, message);
    if (typeof message.id === 'string') this.#recordUsage(message.id, message.usage);
    const content = Array.isArray(message.content) ? message.content : [];
    const events: RunEventDraft[] = [];
    for (const raw of content) {
      const b = block.safeParse(raw);
      if (!b.success) continue;
      const item = b.data as Json & { type: string };
      if (item.type === 'text' && typeof item.text === 'string') {
        this.#lastText = item.text;
        this.#partialText = '';
        events.push({ type: 'assistant.message', runId: this.#runId, text: item.text });
      } else if (item.type === 'thinking' && typeof item.thinking === 'string' && item.thinking !== '') {
        events.push({ type: 'thinking', runId: this.#runId, text: item.thinking });
      } else if (item.type === 'tool_use' && typeof item.id === 'string') {
        const name = typeof item.name === 'string' ? item.name : 'tool';
        this.#toolNames.set(item.id, name);
        this.#toolInputs.set(item.id, item.input);
        events.push({
          type: 'tool.started',
          runId: this.#runId,
          toolUseId: item.id,
          name,
          summary: summariseToolInput(name, item.input),
          input: item.input ?? {},
        });
      }
    }
    return events;
  }

  #user(msg: Json): RunEventDraft[] {
    const message = msg.message as Json | undefined;
    const content = Array.isArray(message?.content) ? (message.content as unknown[]) : [];
    const events: RunEventDraft[] = [];
    for (const raw of content) {
      const item = raw as Json;
      if (item?.type !== 'tool_result' || typeof item.tool_use_id !== 'string') continue;
      const full = toolResultText(item.content);
      events.push({
        type: 'tool.finished',
        runId: this.#runId,
        toolUseId: item.tool_use_id,
        ok: item.is_error !== true,
        output: excerpt(full, TOOL_OUTPUT_EXCERPT_CHARS),
        truncated: full.length > TOOL_OUTPUT_EXCERPT_CHARS ? true : undefined,
      });
    }
    return events;
  }

  #result(msg: Json & { subtype?: string }): RunEventDraft[] {
    const usage = usageShape.safeParse(msg.usage);
    // The result's usage is zero on aborted and failed turns although tokens
    // were spent: keep the larger of it and what the stream told us.
    const runUsage = usage.success ? maxUsage(toUsage(usage.data), this.usage) : this.usage;
    this.#resultUsage = runUsage;
    const isError = msg.is_error === true;
    const subtype = msg.subtype ?? 'unknown';
    const terminal = typeof msg.terminal_reason === 'string' ? msg.terminal_reason : undefined;
    const aborted = terminal === 'aborted_streaming' || terminal === 'aborted_tools';
    const result = typeof msg.result === 'string' ? msg.result : undefined;
    const errors = Array.isArray(msg.errors) ? msg.errors.filter((e) => typeof e === 'string') : [];
    let errorKind: RunErrorKind | undefined;
    if (isError) {
      if (subtype === 'error_max_turns' || terminal === 'max_turns') errorKind = 'max_turns';
      else if (terminal === 'api_error' || typeof msg.api_error_status === 'number' || this.#apiFailure) {
        this.#apiFailure ??= { status: typeof msg.api_error_status === 'number' ? msg.api_error_status : undefined, text: typeof msg.result === 'string' ? msg.result : undefined };
        errorKind = classifyApiFailure(this.#apiFailure);
      } else errorKind = 'cli_crashed';
    }
    this.#outcome = {
      isError,
      subtype,
      result,
      costUsd: typeof msg.total_cost_usd === 'number' ? msg.total_cost_usd : 0,
      usage: runUsage,
      durationMs: typeof msg.duration_ms === 'number' ? msg.duration_ms : 0,
      numTurns: typeof msg.num_turns === 'number' ? msg.num_turns : 0,
      errorKind,
      error: isError ? (errors.join('\n') || result || `The CLI reported ${subtype}`) : undefined,
      aborted,
    };
    return [{ type: 'usage', runId: this.#runId, ...runUsage }];
  }

  /** A can_use_tool request: the run decides how to ask (permissions.ts), so no event here. */
  #controlRequest(msg: Json): { events: RunEventDraft[]; permission?: PermissionRequest } {
    const request = msg.request as Json | undefined;
    if (request?.subtype !== 'can_use_tool' || typeof msg.request_id !== 'string') return { events: [] };
    const permission: PermissionRequest = {
      requestId: msg.request_id,
      toolName: typeof request.tool_name === 'string' ? request.tool_name : 'tool',
      input: request.input ?? {},
      toolUseId: typeof request.tool_use_id === 'string' ? request.tool_use_id : undefined,
      description: typeof request.description === 'string' ? request.description : undefined,
    };
    return { events: [], permission };
  }

  /** The input of a tool_use block of this turn, by its id. */
  toolInput(toolUseId: string | undefined): unknown {
    return toolUseId === undefined ? undefined : this.#toolInputs.get(toolUseId);
  }

  #recordUsage(messageId: string, raw: unknown): void {
    const parsed = usageShape.safeParse(raw);
    if (!parsed.success) return;
    const next = toUsage(parsed.data);
    const prev = this.#usageByMessage.get(messageId);
    // The CLI repeats a message's usage on each of its lines and then sends the
    // final output count in message_delta: keep the largest of each figure.
    this.#usageByMessage.set(
      messageId,
      prev
        ? {
            inputTokens: Math.max(prev.inputTokens, next.inputTokens),
            outputTokens: Math.max(prev.outputTokens, next.outputTokens),
            cacheReadTokens: Math.max(prev.cacheReadTokens, next.cacheReadTokens),
            cacheWriteTokens: Math.max(prev.cacheWriteTokens, next.cacheWriteTokens),
          }
        : next,
    );
  }

  #notice(level: 'info' | 'warn' | 'error', text: string): RunEventDraft {
    return { type: 'notice', runId: this.#runId, level, text };
  }
}

function toUsage(u: z.infer<typeof usageShape>): TokenUsage {
  return {
    inputTokens: u.input_tokens ?? 0,
    outputTokens: u.output_tokens ?? 0,
    cacheReadTokens: u.cache_read_input_tokens ?? 0,
    cacheWriteTokens: u.cache_creation_input_tokens ?? 0,
  };
}

function maxUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: Math.max(a.inputTokens, b.inputTokens),
    outputTokens: Math.max(a.outputTokens, b.outputTokens),
    cacheReadTokens: Math.max(a.cacheReadTokens, b.cacheReadTokens),
    cacheWriteTokens: Math.max(a.cacheWriteTokens, b.cacheWriteTokens),
  };
}

export function sumUsage(items: Iterable<TokenUsage>): TokenUsage {
  const total: TokenUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  for (const u of items) {
    total.inputTokens += u.inputTokens;
    total.outputTokens += u.outputTokens;
    total.cacheReadTokens += u.cacheReadTokens;
    total.cacheWriteTokens += u.cacheWriteTokens;
  }
  return total;
}

