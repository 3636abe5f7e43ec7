#!/usr/bin/env node
// Scripted stand-in for the `claude` CLI in print mode (stream-json in/out).
// Plain Node builtins only. See fake-claude.md next to this file for the step DSL.
import { spawn } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

const VERSION = '2.1.330';
const ABORT = Symbol('abort');

// ---------------------------------------------------------------------------
// argv
// ---------------------------------------------------------------------------
const rawArgs = process.argv.slice(2);

const VALUED = new Set([
  '--input-format', '--output-format', '--session-id', '-r', '--resume', '--model',
  '--permission-mode', '--permission-prompt-tool', '--permission-prompts', '--fallback-model',
  '--effort', '--max-turns', '--max-budget-usd', '--system-prompt', '--append-system-prompt',
  '--system-prompt-file', '--append-system-prompt-file', '--settings', '--setting-sources',
  '--mcp-config', '--debug-file', '--agent', '--betas', '--json-schema', '--max-thinking-tokens',
  '--thinking',
]);
const VARIADIC = new Set(['--allowedTools', '--allowed-tools', '--disallowedTools', '--disallowed-tools', '--tools', '--add-dir']);

function parseArgs(args) {
  const values = new Map(); // flag -> array of values (boolean flags get [true])
  const positional = [];
  const add = (k, v) => {
    if (!values.has(k)) values.set(k, []);
    values.get(k).push(v);
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a.startsWith('--') && a.includes('=')) {
      const eq = a.indexOf('=');
      add(a.slice(0, eq), a.slice(eq + 1));
    } else if (VALUED.has(a)) {
      add(a, args[i + 1] ?? '');
      i++;
    } else if (VARIADIC.has(a)) {
      add(a, true);
      while (i + 1 < args.length && !args[i + 1].startsWith('-')) add(a, args[++i]);
    } else if (a.startsWith('-') && a.length > 1) {
      add(a, true);
    } else {
      positional.push(a);
    }
  }
  const last = (...names) => {
    for (const n of names) {
      const v = values.get(n);
      if (v && v.length) return v[v.length - 1];
    }
    return undefined;
  };
  const has = (...names) => names.some((n) => values.has(n));
  return { values, positional, last, has };
}

const args = parseArgs(rawArgs);

// ---------------------------------------------------------------------------
// optional invocation log
// ---------------------------------------------------------------------------
function readPgid() {
  try {
    const stat = fs.readFileSync('/proc/self/stat', 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(rest[2]); // state, ppid, pgrp
  } catch {
    return undefined;
  }
}

if (process.env.FAKE_CLAUDE_LOG) {
  const env = {};
  const names = ['FAKE_CLAUDE_TAG', ...(process.env.FAKE_CLAUDE_LOG_ENV ?? '').split(',').map((s) => s.trim()).filter(Boolean)];
  for (const n of names) if (process.env[n] !== undefined) env[n] = process.env[n];
  const entry = { pid: process.pid, ppid: process.ppid, pgid: readPgid(), argv: rawArgs, cwd: process.cwd(), env };
  try {
    fs.appendFileSync(process.env.FAKE_CLAUDE_LOG, JSON.stringify(entry) + '\n');
  } catch (err) {
    process.stderr.write(`fake-claude: cannot write FAKE_CLAUDE_LOG: ${err.message}\n`);
  }
}

if (args.has('--version', '-v')) {
  process.stdout.write(`${VERSION} (Claude Code)\n`, () => process.exit(0));
} else {
  main();
}

// ---------------------------------------------------------------------------
// everything else
// ---------------------------------------------------------------------------
function main() {
  const MODEL_ALIASES = {
    opus: 'claude-opus-5-5',
    sonnet: 'claude-sonnet-5-5',
    haiku: 'claude-haiku-5-5',
    fable: 'claude-fable-5-2',
  };
  const TOOLS = ['Task', 'Bash', 'Edit', 'Glob', 'Grep', 'NotebookEdit', 'Read', 'TodoWrite', 'WebFetch', 'WebSearch', 'Write'];
  const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  const inputFormat = args.last('--input-format') ?? 'text';
  const outputFormat = args.last('--output-format') ?? 'text';

  if (args.has('-p', '--print') && outputFormat === 'stream-json' && !args.has('--verbose')) {
    fs.writeSync(2, 'Error: When using --print, --output-format=stream-json requires --verbose\n');
    process.exit(1);
  }
  const explicitSession = args.last('--session-id');
  if (explicitSession !== undefined && !UUID_RE.test(String(explicitSession))) {
    fs.writeSync(2, 'Error: Invalid session ID. Must be a valid UUID.\n');
    process.exit(1);
  }
  const resumeId = args.last('-r', '--resume');

  const modelArg = args.last('--model');
  const state = {
    sessionId: String(explicitSession ?? (typeof resumeId === 'string' ? resumeId : randomUUID())),
    model: modelArg ? (MODEL_ALIASES[modelArg] ?? String(modelArg)) : 'claude-opus-5-5',
    permissionMode: args.has('--dangerously-skip-permissions')
      ? 'bypassPermissions'
      : String(args.last('--permission-mode') ?? 'default'),
    partial: args.has('--include-partial-messages'),
    promptTool: args.last('--permission-prompt-tool') === 'stdio',
    addDirs: (args.values.get('--add-dir') ?? []).filter((v) => typeof v === 'string'),
    queue: [],
    running: false,
    stdinEnded: false,
    hanging: false,
    exiting: false,
    current: null,
    totalCost: 0,
    cumIn: 0,
    cumOut: 0,
    msgCounter: 0,
    toolCounter: 0,
    resultIndex: 0,
    pendingPermissions: new Map(),
    grandchildren: [],
  };
  // Like the real CLI, the cost total belongs to the conversation, not the
  // process: it is kept with the transcript and restored on --resume.
  const costFile = path.join(process.env.FAKE_CLAUDE_STATE_DIR ?? path.join(os.tmpdir(), 'fake-claude-state'), `${state.sessionId}.json`);
  if (typeof resumeId === 'string') {
    try {
      state.totalCost = Number(JSON.parse(fs.readFileSync(costFile, 'utf8')).totalCost) || 0;
    } catch {
      // a conversation this fake never saw: start from zero
    }
  }
  const saveCost = () => {
    try {
      fs.mkdirSync(path.dirname(costFile), { recursive: true });
      fs.writeFileSync(costFile, JSON.stringify({ totalCost: state.totalCost }));
    } catch {
      // best effort, as a test fixture
    }
  };

  // ---- output -------------------------------------------------------------
  let lastWrite = Promise.resolve();
  process.stdout.on('error', () => {
    // Reader went away (EPIPE). Nothing sensible to do but leave.
    process.exit(1);
  });

  /** Write one chunk; resolves once Node has handed it to the OS (respects backpressure). */
  function writeRaw(str) {
    const p = new Promise((resolve) => {
      process.stdout.write(str, () => resolve());
    });
    lastWrite = p;
    return p;
  }

  function emit(obj) {
    if (outputFormat === 'stream-json') return writeRaw(JSON.stringify(obj) + '\n');
    if (obj.type !== 'result') return Promise.resolve();
    if (outputFormat === 'json') return writeRaw(JSON.stringify(obj) + '\n');
    return writeRaw(String(obj.result ?? '') + '\n');
  }

  function writeStderr(text) {
    return new Promise((resolve) => process.stderr.write(text, () => resolve()));
  }

  async function exitProcess(code, { killKids }) {
    if (state.exiting) return;
    state.exiting = true;
    if (killKids) {
      for (const pid of state.grandchildren) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
    }
    await lastWrite;
    process.exit(code);
  }

  // ---- common line builders --------------------------------------------------
  const base = () => ({ session_id: state.sessionId, uuid: randomUUID() });
  const ts = () => new Date().toISOString();

  function initLine() {
    return {
      type: 'system',
      subtype: 'init',
      cwd: process.cwd(),
      session_id: state.sessionId,
      tools: TOOLS,
      mcp_servers: [],
      model: state.model,
      permissionMode: state.permissionMode,
      slash_commands: ['compact', 'context', 'cost', 'init', 'review'],
      apiKeySource: process.env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY' : 'none',
      claude_code_version: VERSION,
      output_style: 'default',
      agents: ['general-purpose', 'Explore', 'Plan'],
      skills: [],
      plugins: [],
      capabilities: ['interrupt_receipt_v1'],
      uuid: randomUUID(),
      additional_directories: state.addDirs,
    };
  }

  function streamEvent(turn, event) {
    if (!state.partial) return Promise.resolve();
    return emit({
      type: 'stream_event',
      event,
      session_id: state.sessionId,
      parent_tool_use_id: null,
      uuid: randomUUID(),
      api_message_id: turn.msg?.id ?? null,
    });
  }

  function assistantLine(msgId, block, extra = {}) {
    return {
      type: 'assistant',
      message: {
        id: msgId,
        type: 'message',
        role: 'assistant',
        model: state.model,
        content: [block],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
        context_management: null,
      },
      parent_tool_use_id: null,
      session_id: state.sessionId,
      uuid: randomUUID(),
      timestamp: ts(),
      request_id: msgId.replace(/^msg_/, 'req_'),
      ...extra,
    };
  }

  // ---- abort plumbing ------------------------------------------------------------
  function abortTurn(turn) {
    if (turn.aborted) return;
    turn.aborted = true;
    for (const fn of [...turn.listeners]) fn();
  }
  function checkpoint(turn) {
    if (turn.aborted) throw ABORT;
  }
  function wait(ms, turn) {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        turn.listeners.delete(done);
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, Number(ms) || 0));
      turn.listeners.add(done);
    }).then(() => checkpoint(turn));
  }

  // ---- message / block helpers ---------------------------------------------------
  async function openMessage(turn) {
    if (turn.msg) return;
    const id = `msg_fake${++state.msgCounter}`;
    turn.msg = { id, index: 0 };
    await streamEvent(turn, {
      type: 'message_start',
      message: {
        id,
        type: 'message',
        role: 'assistant',
        model: state.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 10, output_tokens: 1, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 },
      },
    });
  }

  async function closeMessage(turn, stopReason) {
    if (!turn.msg) return;
    await streamEvent(turn, {
      type: 'message_delta',
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { output_tokens: 5 },
    });
    await streamEvent(turn, { type: 'message_stop' });
    turn.msg = null;
  }

  function splitChunks(text, n) {
    const chars = Array.from(text);
    if (chars.length === 0) return [];
    const count = Math.max(1, Math.min(Math.floor(Number(n) || 1), chars.length));
    const size = Math.ceil(chars.length / count);
    const out = [];
    for (let i = 0; i < chars.length; i += size) out.push(chars.slice(i, i + size).join(''));
    return out;
  }

  /** kind: 'text' | 'thinking' */
  function streamBlock(turn, kind, text, chunks, delayMs) {
    const pieces = splitChunks(text, chunks ?? 3);
    return streamPieces(turn, kind, pieces.length, (i) => pieces[i], delayMs);
  }

  /**
   * A block of `count` deltas; `pieceAt(i)` is asked for each piece just
   * before it is written (the `stamped` step puts the write time in it).
   * The block's text is what was written.
   */
  async function streamPieces(turn, kind, count, pieceAt, delayMs) {
    await openMessage(turn);
    const index = turn.msg.index++;
    const emptyBlock = kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '', signature: '' };
    await streamEvent(turn, { type: 'content_block_start', index, content_block: emptyBlock });
    turn.partialBlock = { kind, text: '', index };
    for (let i = 0; i < count; i++) {
      if (i > 0 && delayMs) await wait(delayMs, turn); // delay *between* chunks
      checkpoint(turn);
      const piece = pieceAt(i);
      const delta = kind === 'text' ? { type: 'text_delta', text: piece } : { type: 'thinking_delta', thinking: piece };
      await streamEvent(turn, { type: 'content_block_delta', index, delta });
      turn.partialBlock.text += piece;
      checkpoint(turn);
    }
    const text = turn.partialBlock.text;
    const block = kind === 'text' ? { type: 'text', text } : { type: 'thinking', thinking: text, signature: 'sigfake' };
    if (kind === 'thinking') {
      await streamEvent(turn, { type: 'content_block_delta', index, delta: { type: 'signature_delta', signature: 'sigfake' } });
    }
    turn.partialBlock = null;
    await emit(assistantLine(turn.msg.id, block));
    await streamEvent(turn, { type: 'content_block_stop', index });
    if (kind === 'text') turn.lastText = text;
    checkpoint(turn);
  }

  // ---- permissions ------------------------------------------------------------------
  function askPermission(turn, name, input, toolUseId) {
    const requestId = randomUUID();
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        state.pendingPermissions.delete(requestId);
        reject(ABORT);
      };
      turn.listeners.add(onAbort);
      state.pendingPermissions.set(requestId, (response) => {
        turn.listeners.delete(onAbort);
        state.pendingPermissions.delete(requestId);
        resolve(response);
      });
      emit({
        type: 'control_request',
        request_id: requestId,
        request: {
          subtype: 'can_use_tool',
          tool_name: name,
          display_name: name,
          input,
          description: typeof input?.description === 'string' ? input.description : name,
          permission_suggestions: [],
          tool_use_id: toolUseId,
        },
      });
    });
  }

  // ---- steps --------------------------------------------------------------------------
  async function toolStep(turn, spec) {
    const name = String(spec.name ?? 'Bash');
    const input = spec.input ?? {};
    await openMessage(turn);
    const id = `toolu_fake${++state.toolCounter}`;
    const index = turn.msg.index++;
    await streamEvent(turn, { type: 'content_block_start', index, content_block: { type: 'tool_use', id, name, input: {} } });
    await streamEvent(turn, { type: 'content_block_delta', index, delta: { type: 'input_json_delta', partial_json: JSON.stringify(input) } });
    await emit(assistantLine(turn.msg.id, { type: 'tool_use', id, name, input }));
    await streamEvent(turn, { type: 'content_block_stop', index });
    await closeMessage(turn, 'tool_use');
    checkpoint(turn);

    let isError = Boolean(spec.isError);
    let content = spec.output === undefined ? '' : typeof spec.output === 'string' ? spec.output : JSON.stringify(spec.output);
    let toolUseResult =
      spec.toolUseResult !== undefined
        ? spec.toolUseResult
        : isError
          ? `Error: ${content}`
          : { stdout: content, stderr: '', interrupted: false, isImage: false, noOutputExpected: false };
    let decision = { decision: 'accept', source: 'config' };

    if (spec.ask && state.promptTool) {
      const reply = await askPermission(turn, name, input, id);
      checkpoint(turn);
      const body = reply?.subtype === 'success' ? (reply.response ?? {}) : { behavior: 'deny', message: String(reply?.error ?? 'Permission request failed') };
      if (body.behavior !== 'allow') {
        isError = true;
        content = String(body.message ?? 'Permission denied');
        toolUseResult = `Error: ${content}`;
        decision = { decision: 'reject', source: 'user_reject' };
        turn.denials.push({ tool_name: name, tool_use_id: id, tool_input: input });
      } else {
        decision = { decision: 'accept', source: 'user_temporary' };
        if (spec.delayMs) await wait(spec.delayMs, turn);
      }
    } else if (spec.delayMs) {
      await wait(spec.delayMs, turn);
    }
    checkpoint(turn);

    await emit({
      type: 'user',
      message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content, is_error: isError }] },
      parent_tool_use_id: null,
      session_id: state.sessionId,
      uuid: randomUUID(),
      timestamp: ts(),
      tool_use_result: toolUseResult,
      tool_result_meta: [{ id, permission_decision: decision }],
    });
    turn.calls++;
    checkpoint(turn);
  }

  async function bigLineStep(turn, n) {
    const id = `msg_fake${++state.msgCounter}`;
    const line = assistantLine(id, { type: 'text', text: '' });
    const overhead = Buffer.byteLength(JSON.stringify(line)) + 1;
    line.message.content[0].text = 'x'.repeat(Math.max(0, Math.floor(Number(n) || 0) - overhead));
    await writeRaw(JSON.stringify(line) + '\n');
  }

  async function grandchildStep() {
    const child = spawn('sleep', ['1000'], { stdio: 'ignore' });
    child.on('error', () => {});
    child.unref();
    if (child.pid) state.grandchildren.push(child.pid);
    await emit({ type: 'system', subtype: 'fake_grandchild', pid: child.pid ?? null, ...base() });
  }

  /** Keeps one core busy for `ms`, in slices, so that an interrupt or SIGINT still gets through. */
  async function spinStep(turn, ms) {
    const end = Date.now() + Math.max(0, Number(ms) || 0);
    while (Date.now() < end) {
      const slice = Math.min(end, Date.now() + 20);
      while (Date.now() < slice) {
        // burn CPU
      }
      await new Promise((resolve) => setImmediate(resolve));
      checkpoint(turn);
    }
  }

  async function hangForever() {
    state.hanging = true;
    setInterval(() => {}, 1 << 30);
    // Last sign of life, written after the signal handlers already ignore SIGINT/SIGTERM.
    await emit({ type: 'system', subtype: 'fake_hang', pid: process.pid, ...base() });
    await new Promise(() => {});
  }

  async function runStep(turn, step) {
    if (step === null || typeof step !== 'object') throw new Error(`bad step: ${JSON.stringify(step)}`);
    if ('text' in step) return streamBlock(turn, 'text', String(step.text), step.chunks, step.delayMs);
    if ('thinking' in step) return streamBlock(turn, 'thinking', String(step.thinking), step.chunks, step.delayMs);
    if ('stamped' in step) {
      // Sub-millisecond epoch time at write: a reader on the same machine
      // (same clock) subtracts it from its own receive time.
      const stamp = () => `${(performance.timeOrigin + performance.now()).toFixed(3)} `;
      return streamPieces(turn, 'text', Math.max(0, Math.floor(Number(step.stamped) || 0)), stamp, step.intervalMs);
    }
    if ('tool' in step) return toolStep(turn, step.tool ?? {});
    if ('sleep' in step) return wait(step.sleep, turn);
    if ('spin' in step) return spinStep(turn, step.spin);
    if ('raw' in step) return writeRaw(String(step.raw) + '\n');
    if ('bigLine' in step) return bigLineStep(turn, step.bigLine);
    if ('stderr' in step) return writeStderr(String(step.stderr));
    if ('crash' in step) {
      await lastWrite;
      fs.writeSync(2, 'fake crash\n');
      state.exiting = true;
      process.exit(Number(step.crash) || 0);
    }
    if ('hang' in step) return hangForever();
    if ('grandchild' in step) return grandchildStep();
    if ('result' in step) return void Object.assign(turn.overrides, step.result);
    if ('exit' in step) return void (turn.exitCode = Number(step.exit) || 0);
    if ('emit' in step) return emit(step.emit);
    if ('cost' in step) return void (turn.cost = Number(step.cost) || 0);
    throw new Error(`unknown step: ${JSON.stringify(step)}`);
  }

  // ---- results ------------------------------------------------------------------------
  const round = (x) => Math.round(x * 1e9) / 1e9;

  function buildResult(turn, aborted) {
    const inTok = aborted ? 0 : 10 * turn.calls;
    const outTok = aborted ? 0 : 5 * turn.calls;
    state.totalCost = round(state.totalCost + turn.cost);
    state.cumIn += aborted ? 10 : inTok;
    state.cumOut += aborted ? 1 : outTok;
    const now = Date.now();
    const res = {
      type: 'result',
      subtype: aborted ? 'error_during_execution' : 'success',
      is_error: aborted,
      duration_ms: now - turn.startedAt,
      duration_api_ms: now - turn.startedAt,
      num_turns: aborted ? turn.calls + 1 : turn.calls,
      result: turn.lastText ?? '',
      stop_reason: aborted ? null : 'end_turn',
      session_id: state.sessionId,
      total_cost_usd: state.totalCost,
      usage: {
        input_tokens: inTok,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 0,
        output_tokens: outTok,
        service_tier: 'standard',
      },
      modelUsage: {
        [state.model]: {
          inputTokens: state.cumIn,
          outputTokens: state.cumOut,
          cacheReadInputTokens: 0,
          cacheCreationInputTokens: 0,
          webSearchRequests: 0,
          costUSD: state.totalCost,
          contextWindow: 1000000,
          maxOutputTokens: 128000,
        },
      },
      permission_denials: turn.denials,
      terminal_reason: aborted ? 'aborted_streaming' : 'completed',
      api_error_status: null,
      uuid: randomUUID(),
      result_index: state.resultIndex++,
    };
    if (aborted) {
      delete res.result; // the real CLI omits `result` on an aborted turn
      res.errors = ['[ede_diagnostic] result_type=user last_content_type=n/a stop_reason=null'];
    } else {
      Object.assign(res, turn.overrides);
      if (typeof turn.overrides.total_cost_usd === 'number') state.totalCost = turn.overrides.total_cost_usd;
    }
    saveCost();
    return res;
  }

  async function emitAborted(turn) {
    const p = turn.partialBlock;
    turn.partialBlock = null;
    if (p && p.text && turn.msg) {
      const block = p.kind === 'text' ? { type: 'text', text: p.text } : { type: 'thinking', thinking: p.text, signature: '' };
      await emit(assistantLine(turn.msg.id, block, { aborted: true }));
    }
    await emit({
      type: 'user',
      message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user]' }] },
      parent_tool_use_id: null,
      session_id: state.sessionId,
      uuid: randomUUID(),
      timestamp: ts(),
    });
    if (turn.msg) {
      if (p) await streamEvent(turn, { type: 'content_block_stop', index: p.index });
      await streamEvent(turn, { type: 'message_delta', delta: { stop_reason: null, stop_sequence: null }, usage: { output_tokens: 1 } });
      await streamEvent(turn, { type: 'message_stop' });
      turn.msg = null;
    }
    await emit(buildResult(turn, true));
  }

  // ---- turns ----------------------------------------------------------------------------
  function stepsFor(prompt) {
    const trimmed = prompt.trimStart();
    if (trimmed.startsWith('FAKE ')) {
      const parsed = JSON.parse(trimmed.slice(5));
      return Array.isArray(parsed) ? parsed : [parsed];
    }
    if (process.env.FAKE_CLAUDE_SCRIPT) {
      const parsed = JSON.parse(process.env.FAKE_CLAUDE_SCRIPT);
      return Array.isArray(parsed) ? parsed : [parsed];
    }
    return [{ text: `Echo: ${prompt}`, chunks: 3 }];
  }

  async function runTurn(prompt) {
    const turn = {
      aborted: false,
      sigint: false,
      listeners: new Set(),
      startedAt: Date.now(),
      calls: 1,
      cost: 0.001,
      lastText: undefined,
      msg: null,
      partialBlock: null,
      denials: [],
      overrides: {},
      exitCode: null,
    };
    state.current = turn;
    await emit(initLine());
    if (state.partial) await emit({ type: 'system', subtype: 'status', status: 'requesting', ...base() });

    let steps;
    try {
      steps = stepsFor(prompt);
    } catch (err) {
      await writeStderr(`fake-claude: bad script: ${err.message}\n`);
      steps = [{ text: `fake-claude: bad script: ${err.message}` }, { result: { is_error: true } }];
    }

    try {
      checkpoint(turn);
      for (const step of steps) {
        await runStep(turn, step);
        checkpoint(turn);
      }
      await closeMessage(turn, 'end_turn');
      await emit(buildResult(turn, false));
    } catch (err) {
      if (err !== ABORT) {
        await writeStderr(`fake-claude: ${err?.stack ?? err}\n`);
        await exitProcess(70, { killKids: false });
        return;
      }
      await emitAborted(turn);
    }
    state.current = null;
    if (turn.sigint) await exitProcess(0, { killKids: true });
    else if (turn.exitCode !== null) await exitProcess(turn.exitCode, { killKids: true });
  }

  async function pump() {
    if (state.running) return;
    state.running = true;
    while (state.queue.length && !state.exiting) {
      await runTurn(state.queue.shift());
    }
    state.running = false;
    maybeExitOnEof();
  }

  function maybeExitOnEof() {
    if (state.stdinEnded && !state.running && state.queue.length === 0 && !state.hanging && !state.exiting) {
      exitProcess(0, { killKids: true });
    }
  }

  // ---- stdin ------------------------------------------------------------------------------
  function promptText(content) {
    if (typeof content === 'string') return content;
    if (Array.isArray(content)) {
      // An image block shows as a marker with its type, size and digest, so a test can see which bytes arrived.
      return content
        .map((b) => (b && b.type === 'text' && typeof b.text === 'string' ? b.text : b && b.type === 'image' ? imageMarker(b) : undefined))
        .filter((t) => t !== undefined)
        .join('\n');
    }
    return '';
  }

  function imageMarker(block) {
    const bytes = Buffer.from(String(block.source?.data ?? ''), 'base64');
    const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
    return `[image ${block.source?.media_type} ${bytes.length} bytes sha256:${digest}]`;
  }

  function controlSuccess(requestId, response) {
    return emit({ type: 'control_response', response: { subtype: 'success', request_id: requestId, response } });
  }

  function handleLine(line) {
    if (!line.trim() || state.exiting) return;
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      process.stderr.write(`fake-claude: ignoring non-JSON stdin line: ${line.slice(0, 200)}\n`);
      return;
    }
    if (msg.type === 'user') {
      state.queue.push(promptText(msg.message?.content));
      pump();
      return;
    }
    if (msg.type === 'control_response') {
      const r = msg.response ?? {};
      const resolve = state.pendingPermissions.get(r.request_id);
      if (resolve) resolve(r);
      return;
    }
    if (msg.type === 'control_request') {
      if (state.hanging) return;
      const id = msg.request_id;
      const sub = msg.request?.subtype;
      if (sub === 'initialize') {
        controlSuccess(id, {
          commands: [],
          agents: [],
          output_style: 'default',
          available_output_styles: ['default'],
          models: [],
          account: { apiKeySource: process.env.ANTHROPIC_API_KEY ? 'ANTHROPIC_API_KEY' : 'none' },
          pid: process.pid,
          claude_code_version: VERSION,
          current_permission_mode: state.permissionMode,
          session_state: state.current ? 'running' : 'idle',
          capabilities: [],
        });
      } else if (sub === 'interrupt') {
        controlSuccess(id, { still_queued: [] });
        if (state.current) abortTurn(state.current);
      } else {
        if (sub === 'set_model' && msg.request.model) state.model = MODEL_ALIASES[msg.request.model] ?? String(msg.request.model);
        if (sub === 'set_permission_mode' && msg.request.mode) state.permissionMode = String(msg.request.mode);
        controlSuccess(id, {});
      }
    }
  }

  // ---- signals ------------------------------------------------------------------------------
  process.on('SIGINT', () => {
    if (state.hanging || state.exiting) return;
    if (state.current) {
      state.queue.length = 0;
      state.current.sigint = true;
      abortTurn(state.current);
    } else {
      exitProcess(0, { killKids: true });
    }
  });
  process.on('SIGTERM', () => {
    if (state.hanging || state.exiting) return;
    state.exiting = true;
    // Like the real CLI: no result line. Flush what was already written (bounded), then 143.
    Promise.race([lastWrite, new Promise((r) => setTimeout(r, 2000))]).then(() => process.exit(143));
  });

  // ---- start ------------------------------------------------------------------------------------
  if (typeof resumeId === 'string' && process.env.FAKE_CLAUDE_FAIL_RESUME) {
    fs.writeSync(2, `No conversation found with session ID: ${resumeId}\n`);
    const turn = { calls: 0, cost: 0, startedAt: Date.now(), denials: [], overrides: {}, lastText: undefined };
    const res = buildResult(turn, true);
    res.num_turns = 0;
    res.terminal_reason = 'completed';
    res.errors = [`No conversation found with session ID: ${resumeId}`];
    emit(res).then(() => exitProcess(1, { killKids: false }));
    return;
  }

  if (inputFormat === 'stream-json') {
    let buf = '';
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => {
      buf += chunk;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        handleLine(line);
      }
    });
    process.stdin.on('end', () => {
      if (buf) handleLine(buf);
      buf = '';
      state.stdinEnded = true;
      // Nobody can answer a pending permission prompt any more: treat it as denied.
      for (const resolve of [...state.pendingPermissions.values()]) {
        resolve({ subtype: 'error', error: 'stdin closed before the permission prompt was answered' });
      }
      maybeExitOnEof();
    });
    process.stdin.on('error', () => {
      state.stdinEnded = true;
      maybeExitOnEof();
    });
  } else {
    // One-shot: prompt from argv, or all of stdin.
    const argPrompt = args.positional.join(' ');
    if (argPrompt) {
      state.stdinEnded = true;
      state.queue.push(argPrompt);
      pump();
    } else {
      let text = '';
      process.stdin.setEncoding('utf8');
      process.stdin.on('data', (c) => (text += c));
      process.stdin.on('end', () => {
        state.stdinEnded = true;
        state.queue.push(text.replace(/\n$/, ''));
        pump();
      });
    }
  }
}
