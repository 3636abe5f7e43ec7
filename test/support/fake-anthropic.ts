/**
 * A scripted fake of the Anthropic Messages API, good enough for the real
 * `claude` CLI (2.1.330) to run whole turns against it offline.
 *
 * Behaviour is chosen by markers in the latest user prompt:
 *   [[write:NAME:CONTENT]]  text + Write tool_use for <cwd>/NAME   (stop_reason tool_use)
 *   [[bash:COMMAND]]        text + Bash tool_use                   (stop_reason tool_use)
 *   [[slow]]                40 chunks "tick N " 150 ms apart       (for interrupt tests)
 *   [[think]]               a thinking block before the answer
 *   [[recall]]              "Earlier you said: <first user prompt>"
 *   [[error:STATUS]]        HTTP error with an Anthropic error body (401/429/500/529/...)
 *   [[error:billing]]       the 400 "credit balance is too low" answer
 *   [[edit:NAME:OLD:NEW]]   an Edit tool call on NAME (in the CLI's cwd): OLD replaced by NEW
 *   [[plan:TEXT]]           an ExitPlanMode tool call proposing TEXT (\n for new lines)
 *   [[markdown]]            heading, list, ```ts fence and a link
 *   otherwise               "Echo: <prompt>"
 * A request whose last message carries tool_result blocks is answered with
 * "Tool finished; all done." (or "Tool failed: ..." when is_error).
 */
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body; the raw string when it is not JSON; undefined when empty. */
  /** The request body as JSON.parse read it. */
  body: ParsedJson;
}

/** Whatever JSON.parse made of a request body: the fake reads what it needs and tolerates the rest. */
type ParsedJson = ReturnType<typeof JSON.parse>;

export interface FakeAnthropic {
  url: string;
  port: number;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export interface FakeAnthropicOptions {
  /** Pause between streamed chunks (default 5 ms). */
  textChunkDelayMs?: number;
}

const SLOW_CHUNKS = 40;
const SLOW_CHUNK_DELAY_MS = 150;
const THINKING_TEXT = 'Let me think briefly.';
const MARKDOWN_TEXT = [
  '# Fake heading',
  '',
  'Here is a list:',
  '',
  '- first item',
  '- second item',
  '',
  '```ts',
  'const answer: number = 42;',
  '```',
  '',
  'See [the docs](https://example.com/docs) for more.',
].join('\n');

// ---------------------------------------------------------------------------
// Reply plans

type PlannedBlock =
  | { kind: 'thinking'; thinking: string; signature: string }
  | { kind: 'text'; chunks: string[]; delayMs: number }
  | { kind: 'tool_use'; name: string; input: Record<string, unknown> };

interface StreamPlan {
  kind: 'stream';
  blocks: PlannedBlock[];
  stopReason: 'end_turn' | 'tool_use';
}

interface ErrorPlan {
  kind: 'error';
  status: number;
  errorType: string;
  message: string;
  headers: Record<string, string>;
}

type ReplyPlan = StreamPlan | ErrorPlan;

interface ContentBlockLike {
  type?: unknown;
  text?: unknown;
  content?: unknown;
  is_error?: unknown;
}

interface MessageLike {
  role?: unknown;
  content?: unknown;
}

// ---------------------------------------------------------------------------
// Reading the conversation

function contentBlocks(content: unknown): ContentBlockLike[] {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  if (Array.isArray(content)) {
    return content.filter((b): b is ContentBlockLike => typeof b === 'object' && b !== null);
  }
  return [];
}

/** The CLI injects `<system-reminder>` blocks into user turns; they are not what the user typed. */
function stripReminders(text: string): string {
  return text.replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim();
}

/** The typed text of one user message, or '' when it only holds reminders / tool results. */
function promptTextOf(message: MessageLike): string {
  return contentBlocks(message.content)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => stripReminders(b.text as string))
    .filter((t) => t.length > 0)
    .join('\n');
}

function messagesOf(body: ParsedJson): MessageLike[] {
  const messages: unknown = body?.messages;
  if (!Array.isArray(messages)) return [];
  return messages.filter((m): m is MessageLike => typeof m === 'object' && m !== null);
}

function userPrompts(messages: MessageLike[]): string[] {
  return messages
    .filter((m) => m.role === 'user')
    .map(promptTextOf)
    .filter((t) => t.length > 0);
}

/**
 * tool_result blocks of the final user message. Trailing `role:"system"`
 * entries are skipped because the CLI may place its environment block late.
 */
function trailingToolResults(messages: MessageLike[]): ContentBlockLike[] {
  for (let i = messages.length - 1; i >= 0; i--) {
    const message = messages[i];
    if (message === undefined || message.role === 'system') continue;
    if (message.role !== 'user') return [];
    return contentBlocks(message.content).filter((b) => b.type === 'tool_result');
  }
  return [];
}

function toolResultText(block: ContentBlockLike): string {
  if (typeof block.content === 'string') return block.content;
  return contentBlocks(block.content)
    .map((b) => (typeof b.text === 'string' ? b.text : ''))
    .join('');
}

/** Depth-first search of every string in the body (system prompt or a system message). */
function findWorkingDirectory(value: unknown): string | undefined {
  if (typeof value === 'string') {
    const match = /Primary working directory: (.*)$/m.exec(value);
    return match?.[1]?.trim();
  }
  if (typeof value !== 'object' || value === null) return undefined;
  for (const child of Object.values(value)) {
    const found = findWorkingDirectory(child);
    if (found !== undefined) return found;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Choosing the reply

/** Splits text into about `parts` pieces without cutting a surrogate pair. */
function splitIntoChunks(text: string, parts: number): string[] {
  const chars = Array.from(text);
  const size = Math.max(1, Math.ceil(chars.length / parts));
  const chunks: string[] = [];
  for (let i = 0; i < chars.length; i += size) chunks.push(chars.slice(i, i + size).join(''));
  return chunks.length > 0 ? chunks : [''];
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  500: 'api_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<number, string> = {
  401: 'invalid x-api-key',
  429: 'Number of request tokens has exceeded your per-minute rate limit',
  500: 'Internal server error',
  529: 'Overloaded',
};

function errorPlan(status: number): ErrorPlan {
  // retry-after: 0 keeps the CLI's own retry loop (if enabled) from sleeping.
  const headers: Record<string, string> = status === 429 ? { 'retry-after': '0' } : {};
  return {
    kind: 'error',
    status,
    errorType: ERROR_TYPES[status] ?? 'api_error',
    message: ERROR_MESSAGES[status] ?? `Fake error ${status}`,
    headers,
  };
}

function toolResultPlan(results: ContentBlockLike[], delayMs: number): StreamPlan {
  const failed = results.find((b) => b.is_error === true);
  const text = failed ? `Tool failed: ${toolResultText(failed).slice(0, 200)}` : 'Tool finished; all done.';
  return { kind: 'stream', blocks: [{ kind: 'text', chunks: splitIntoChunks(text, 3), delayMs }], stopReason: 'end_turn' };
}

function toolUsePlan(intro: string, name: string, input: Record<string, unknown>, delayMs: number): PlannedBlock[] {
  return [
    { kind: 'text', chunks: splitIntoChunks(intro, 2), delayMs },
    { kind: 'tool_use', name, input },
  ];
}

function promptPlan(prompt: string, body: ParsedJson, delayMs: number): ReplyPlan {
  const error = /\[\[error:(\d{3})\]\]/.exec(prompt);
  if (error?.[1]) return errorPlan(Number(error[1]));
  // What the API answers an account whose prepaid credit ran out.
  if (prompt.includes('[[error:billing]]')) {
    const message = 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.';
    return { kind: 'error', status: 400, errorType: 'invalid_request_error', message, headers: {} };
  }

  const blocks: PlannedBlock[] = [];
  if (prompt.includes('[[think]]')) blocks.push({ kind: 'thinking', thinking: THINKING_TEXT, signature: 'sigfake' });

  const write = /\[\[write:([^:\]]+):([\s\S]*?)\]\]/.exec(prompt);
  if (write?.[1] !== undefined && write[2] !== undefined) {
    // The CLI's Write tool insists on absolute paths, so anchor NAME at the CLI's cwd.
    const cwd = findWorkingDirectory(body) ?? process.cwd();
    const input = { file_path: path.join(cwd, write[1]), content: write[2] };
    blocks.push(...toolUsePlan('I will write the file.', 'Write', input, delayMs));
    return { kind: 'stream', blocks, stopReason: 'tool_use' };
  }

  const edit = /\[\[edit:([^:\]]+):([^:\]]*):([\s\S]*?)\]\]/.exec(prompt);
  if (edit?.[1] !== undefined && edit[2] !== undefined && edit[3] !== undefined) {
    const cwd = findWorkingDirectory(body) ?? process.cwd();
    const input = { file_path: path.join(cwd, edit[1]), old_string: edit[2], new_string: edit[3] };
    blocks.push(...toolUsePlan('I will edit the file.', 'Edit', input, delayMs));
    return { kind: 'stream', blocks, stopReason: 'tool_use' };
  }

  const plan = /\[\[plan:([\s\S]*?)\]\]/.exec(prompt);
  if (plan?.[1] !== undefined) {
    blocks.push(...toolUsePlan('Here is my plan.', 'ExitPlanMode', { plan: plan[1].replace(/\\n/g, '\n') }, delayMs));
    return { kind: 'stream', blocks, stopReason: 'tool_use' };
  }

  const bash = /\[\[bash:([\s\S]*?)\]\]/.exec(prompt);
  if (bash?.[1] !== undefined) {
    blocks.push(...toolUsePlan('Running a command.', 'Bash', { command: bash[1], description: 'run' }, delayMs));
    return { kind: 'stream', blocks, stopReason: 'tool_use' };
  }

  blocks.push(answerTextBlock(prompt, body, delayMs));
  return { kind: 'stream', blocks, stopReason: 'end_turn' };
}

function answerTextBlock(prompt: string, body: ParsedJson, delayMs: number): PlannedBlock {
  if (prompt.includes('[[slow]]')) {
    const chunks = Array.from({ length: SLOW_CHUNKS }, (_, i) => `tick ${i + 1} `);
    return { kind: 'text', chunks, delayMs: SLOW_CHUNK_DELAY_MS };
  }
  if (prompt.includes('[[recall]]')) {
    const first = userPrompts(messagesOf(body))[0] ?? '';
    return { kind: 'text', chunks: splitIntoChunks(`Earlier you said: ${first}`, 3), delayMs };
  }
  if (prompt.includes('[[markdown]]')) {
    return { kind: 'text', chunks: splitIntoChunks(MARKDOWN_TEXT, 4), delayMs };
  }
  return { kind: 'text', chunks: splitIntoChunks(`Echo: ${prompt}`, 3), delayMs };
}

/**
 * The text the user typed last: the last typed text block of the last user
 * message. Not the whole message: after a failed turn (no assistant reply in
 * the transcript) the CLI merges the failed prompt and the next one into one
 * user message, and an old `[[error:…]]` marker must not fail the new turn.
 */
function latestTypedText(messages: MessageLike[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i] as MessageLike;
    if (m.role !== 'user') continue;
    const texts = contentBlocks(m.content)
      .filter((b) => b.type === 'text' && typeof b.text === 'string')
      .map((b) => stripReminders(b.text as string))
      .filter((t) => t.length > 0);
    if (texts.length > 0) return texts[texts.length - 1] as string;
  }
  return '';
}

function planReply(body: ParsedJson, delayMs: number): ReplyPlan {
  const messages = messagesOf(body);
  const toolResults = trailingToolResults(messages);
  if (toolResults.length > 0) return toolResultPlan(toolResults, delayMs);
  return promptPlan(latestTypedText(messages), body, delayMs);
}

// ---------------------------------------------------------------------------
// Writing SSE

interface IdCounters {
  message: number;
  tool: number;
}

/** Resolves after `ms`, or early when the client has gone away. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted || ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

class SseWriter {
  constructor(
    private readonly res: http.ServerResponse,
    readonly signal: AbortSignal,
  ) {}

  send(event: { type: string; [key: string]: unknown }): void {
    if (this.signal.aborted || this.res.writableEnded) return;
    this.res.write(`event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`);
  }
}

function estimateTokens(text: string): number {
  return Math.max(1, Math.round(text.length / 4));
}

function outputTextOf(block: PlannedBlock): string {
  if (block.kind === 'text') return block.chunks.join('');
  if (block.kind === 'thinking') return block.thinking;
  return JSON.stringify(block.input);
}

async function streamBlock(sse: SseWriter, index: number, block: PlannedBlock, ids: IdCounters, delayMs: number): Promise<void> {
  if (block.kind === 'thinking') {
    sse.send({ type: 'content_block_start', index, content_block: { type: 'thinking', thinking: '', signature: '' } });
    sse.send({ type: 'content_block_delta', index, delta: { type: 'thinking_delta', thinking: block.thinking } });
    await pause(delayMs, sse.signal);
    sse.send({ type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: block.signature } });
  } else if (block.kind === 'text') {
    sse.send({ type: 'content_block_start', index, content_block: { type: 'text', text: '' } });
    for (const [i, chunk] of block.chunks.entries()) {
      if (i > 0) await pause(block.delayMs, sse.signal);
      sse.send({ type: 'content_block_delta', index, delta: { type: 'text_delta', text: chunk } });
    }
  } else {
    const id = `toolu_fake${++ids.tool}`;
    sse.send({ type: 'content_block_start', index, content_block: { type: 'tool_use', id, name: block.name, input: {} } });
    for (const [i, piece] of splitIntoChunks(JSON.stringify(block.input), 3).entries()) {
      if (i > 0) await pause(delayMs, sse.signal);
      sse.send({ type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: piece } });
    }
  }
  sse.send({ type: 'content_block_stop', index });
}

async function streamPlan(sse: SseWriter, plan: StreamPlan, body: ParsedJson, messageId: string, ids: IdCounters, delayMs: number): Promise<void> {
  sse.send({
    type: 'message_start',
    message: {
      id: messageId,
      type: 'message',
      role: 'assistant',
      model: typeof body?.model === 'string' ? body.model : 'claude-fake',
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: {
        input_tokens: estimateTokens(JSON.stringify(body?.messages ?? [])),
        output_tokens: 1,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        service_tier: 'standard',
      },
    },
  });
  sse.send({ type: 'ping' });
  for (const [index, block] of plan.blocks.entries()) {
    await pause(delayMs, sse.signal);
    await streamBlock(sse, index, block, ids, delayMs);
  }
  const outputTokens = estimateTokens(plan.blocks.map(outputTextOf).join(''));
  sse.send({ type: 'message_delta', delta: { stop_reason: plan.stopReason, stop_sequence: null }, usage: { output_tokens: outputTokens } });
  sse.send({ type: 'message_stop' });
}

// ---------------------------------------------------------------------------
// HTTP plumbing

function sendJsonError(res: http.ServerResponse, status: number, errorType: string, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ type: 'error', error: { type: errorType, message } }));
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseBody(raw: string): unknown {
  if (raw.length === 0) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    return raw;
  }
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const delayMs = options.textChunkDelayMs ?? 5;
  const requests: RecordedRequest[] = [];
  const ids: IdCounters = { message: 0, tool: 0 };
  const openResponses = new Set<http.ServerResponse>();

  async function handleMessages(body: ParsedJson, res: http.ServerResponse): Promise<void> {
    const messageId = `msg_fake${++ids.message}`;
    const requestHeader = { 'request-id': `req_fake${ids.message}` };
    if (typeof body !== 'object' || body === null) {
      sendJsonError(res, 400, 'invalid_request_error', 'Body must be a JSON object', requestHeader);
      return;
    }
    const plan = planReply(body, delayMs);
    if (plan.kind === 'error') {
      sendJsonError(res, plan.status, plan.errorType, plan.message, { ...requestHeader, ...plan.headers });
      return;
    }
    const disconnected = new AbortController();
    // 'close' fires on normal completion too; aborting then is harmless.
    res.on('close', () => disconnected.abort());
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...requestHeader });
    res.flushHeaders();
    await streamPlan(new SseWriter(res, disconnected.signal), plan, body, messageId, ids, delayMs);
    if (!res.writableEnded) res.end();
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    openResponses.add(res);
    res.on('close', () => openResponses.delete(res));
    const body = parseBody(await readBody(req));
    requests.push({ method: req.method ?? '', url: req.url ?? '', headers: { ...req.headers }, body });
    const pathname = new URL(req.url ?? '/', 'http://fake.invalid').pathname;
    if (req.method === 'POST' && pathname === '/v1/messages') {
      await handleMessages(body, res);
    } else {
      sendJsonError(res, 404, 'not_found_error', `No fake route for ${req.method} ${pathname}`);
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A test helper must never take the test process down; report and drop the response.
      console.error('fake-anthropic handler error:', error);
      if (!res.headersSent) sendJsonError(res, 500, 'api_error', 'fake handler crashed');
      else res.destroy();
    });
  });
  // Clients that vanish mid-request produce socket errors; they are expected here.
  server.on('clientError', (_error, socket) => socket.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;

  async function close(): Promise<void> {
    for (const res of openResponses) res.destroy();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // Keep-alive sockets would otherwise hold server.close() open indefinitely.
    server.closeAllConnections();
    await closed;
  }

  return { url: `http://127.0.0.1:${port}`, port, requests, close };
}
