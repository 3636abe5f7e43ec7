import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';

const FAKE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fake-claude.mjs');
const BASE_ARGS = ['-p', '--input-format', 'stream-json', '--output-format', 'stream-json', '--verbose', '--include-partial-messages'];

/** A line of the fake's output as JSON.parse read it. */
type Json = Record<string, ReturnType<typeof JSON.parse>>;

interface Fake {
  child: ChildProcess;
  pid: number;
  /** Every stdout line (without the newline), in order. */
  rawLines: string[];
  /** Parsed stdout lines (non-JSON lines are skipped). */
  lines: Json[];
  stderr(): string;
  send(obj: unknown): void;
  turn(prompt: string): void;
  script(steps: unknown[]): void;
  end(): void;
  waitFor(pred: (l: Json) => boolean, from?: number): Promise<Json>;
  waitForRaw(pred: (l: string) => boolean): Promise<string>;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

const started: { fake: Fake; detached: boolean; extraPids: number[] }[] = [];

function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return procStat(stat).state !== 'Z';
  } catch {
    return false;
  }
}

/** User + system CPU time of a process, from /proc (clock ticks of 1/100 s). */
function cpuSecondsOf(pid: number): number {
  const rest = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = rest.slice(rest.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function waitForCondition(check: () => boolean, what: string, ms = 30_000): Promise<void> {
  const until = Date.now() + ms;
  while (!check()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function procStat(stat: string): { state: string; ppid: number; pgrp: number } {
  // Fields after "(comm)": state(3) ppid(4) pgrp(5) ...
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return { state: rest[0]!, ppid: Number(rest[1]), pgrp: Number(rest[2]) };
}

function startFake(args: string[] = BASE_ARGS, opts: { env?: NodeJS.ProcessEnv; detached?: boolean } = {}): Fake {
  const child = spawn(process.execPath, [FAKE, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: { ...process.env, ...opts.env },
    detached: opts.detached ?? false,
  });
  const rawLines: string[] = [];
  const lines: Json[] = [];
  let stderr = '';
  let pending = '';
  const waiters = new Set<() => void>();
  const notify = () => {
    for (const w of [...waiters]) w();
  };
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    // Only scan the new chunk for newlines so a multi-MB line stays linear.
    let start = 0;
    let i: number;
    while ((i = chunk.indexOf('\n', start)) >= 0) {
      const line = pending + chunk.slice(start, i);
      pending = '';
      start = i + 1;
      rawLines.push(line);
      try {
        lines.push(JSON.parse(line));
      } catch {
        /* raw line */
      }
    }
    pending += chunk.slice(start);
    notify();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (c: string) => (stderr += c));
  child.stdin!.on('error', () => {});
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    child.on('exit', (code, signal) => {
      notify();
      resolve({ code, signal });
    });
  });
  let exited = false;
  void exit.then(() => (exited = true));

  const waitGeneric = <T>(find: () => T | undefined, what: string): Promise<T> =>
    new Promise((resolve, reject) => {
      const check = () => {
        const hit = find();
        if (hit !== undefined) {
          waiters.delete(check);
          resolve(hit);
        } else if (exited || child.exitCode !== null || child.signalCode !== null) {
          // give stdout a chance to drain before giving up
          setImmediate(() => {
            const late = find();
            waiters.delete(check);
            if (late !== undefined) resolve(late);
            else reject(new Error(`fake exited before ${what}; stderr=${stderr}`));
          });
        }
      };
      waiters.add(check);
      check();
    });

  const fake: Fake = {
    child,
    pid: child.pid!,
    rawLines,
    lines,
    stderr: () => stderr,
    send: (obj) => child.stdin!.write(JSON.stringify(obj) + '\n'),
    turn: (prompt) => fake.send({ type: 'user', message: { role: 'user', content: prompt }, parent_tool_use_id: null }),
    script: (steps) => fake.turn('FAKE ' + JSON.stringify(steps)),
    end: () => child.stdin!.end(),
    waitFor: (pred, from = 0) => waitGeneric(() => lines.slice(from).find(pred), 'expected line'),
    waitForRaw: (pred) => waitGeneric(() => rawLines.find(pred), 'expected raw line'),
    exit,
  };
  started.push({ fake, detached: opts.detached ?? false, extraPids: [] });
  return fake;
}

afterEach(async () => {
  for (const { fake, detached, extraPids } of started.splice(0)) {
    const { child } = fake;
    if (child.exitCode === null && child.signalCode === null) {
      try {
        if (detached) process.kill(-fake.pid, 'SIGKILL');
        else child.kill('SIGKILL');
      } catch {
        /* gone */
      }
      await fake.exit;
    }
    for (const pid of extraPids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  }
});

const isType = (type: string, subtype?: string) => (l: Json) => l.type === type && (subtype === undefined || l.subtype === subtype);
const isResult = isType('result');

describe('fake claude CLI', () => {
  it('prints its version', async () => {
    const fake = startFake(['--version']);
    const { code } = await fake.exit;
    expect(code).toBe(0);
    expect(fake.rawLines).toEqual(['2.1.330 (Claude Code)']);
  });

  it('serves an echo turn over the stdin protocol and exits 0 on EOF', async () => {
    const sessionId = randomUUID();
    const fake = startFake([...BASE_ARGS, '--session-id', sessionId]);
    fake.send({ type: 'control_request', request_id: 'req_init_1', request: { subtype: 'initialize' } });
    const init = await fake.waitFor(isType('control_response'));
    expect(init.response).toMatchObject({ subtype: 'success', request_id: 'req_init_1' });

    fake.turn('hello there');
    fake.end();
    expect(await fake.exit).toEqual({ code: 0, signal: null });

    const lines = fake.lines.slice(1);
    expect(lines[0]).toMatchObject({
      type: 'system',
      subtype: 'init',
      session_id: sessionId,
      model: 'claude-opus-5-5',
      permissionMode: 'default',
      claude_code_version: '2.1.330',
      cwd: process.cwd(),
    });
    const kinds = lines.map((l) => (l.type === 'stream_event' ? `ev:${l.event.type}${l.event.delta?.type ? ':' + l.event.delta.type : ''}` : `${l.type}${l.subtype ? '/' + l.subtype : ''}`));
    expect(kinds).toEqual([
      'system/init',
      'system/status',
      'ev:message_start',
      'ev:content_block_start',
      'ev:content_block_delta:text_delta',
      'ev:content_block_delta:text_delta',
      'ev:content_block_delta:text_delta',
      'assistant',
      'ev:content_block_stop',
      'ev:message_delta',
      'ev:message_stop',
      'result/success',
    ]);
    const deltas = lines.filter((l) => l.event?.delta?.type === 'text_delta').map((l) => l.event.delta.text);
    expect(deltas.join('')).toBe('Echo: hello there');
    const assistant = lines.find(isType('assistant'))!;
    expect(assistant.message.content).toEqual([{ type: 'text', text: 'Echo: hello there' }]);
    expect(assistant.session_id).toBe(sessionId);
    const result = lines.find(isResult)!;
    expect(result).toMatchObject({
      subtype: 'success',
      is_error: false,
      result: 'Echo: hello there',
      session_id: sessionId,
      num_turns: 1,
      total_cost_usd: 0.001,
      usage: { input_tokens: 10, output_tokens: 5 },
      permission_denials: [],
      terminal_reason: 'completed',
    });
    expect(typeof result.uuid).toBe('string');
  });

  it('runs a scripted tool step and counts the extra model call', async () => {
    const fake = startFake();
    fake.script([
      { text: 'I will run it' },
      { tool: { name: 'Bash', input: { command: 'ls' }, output: 'a\nb' } },
      { text: 'done' },
    ]);
    fake.end();
    expect((await fake.exit).code).toBe(0);
    const toolUse = fake.lines.find((l) => l.type === 'assistant' && l.message.content[0].type === 'tool_use')!;
    const block = toolUse.message.content[0];
    expect(block).toMatchObject({ type: 'tool_use', name: 'Bash', input: { command: 'ls' } });
    expect(block.id).toMatch(/^toolu_fake\d+$/);
    const toolResult = fake.lines.find((l) => l.type === 'user')!;
    expect(toolResult.message.content).toEqual([{ tool_use_id: block.id, type: 'tool_result', content: 'a\nb', is_error: false }]);
    expect(toolResult.tool_use_result).toMatchObject({ stdout: 'a\nb' });
    const result = fake.lines.find(isResult)!;
    expect(result).toMatchObject({ subtype: 'success', result: 'done', num_turns: 2 });
    // tool_use is emitted before its result, which comes before the final text
    const idx = (pred: (l: Json) => boolean) => fake.lines.findIndex(pred);
    expect(idx((l) => l === toolUse)).toBeLessThan(idx((l) => l === toolResult));
  });

  it('stamps each delta of a stamped step with the time it was written, on the clock a reader shares', async () => {
    const before = performance.timeOrigin + performance.now();
    const fake = startFake();
    fake.script([{ stamped: 5, intervalMs: 1 }]);
    fake.end();
    expect((await fake.exit).code).toBe(0);
    const after = performance.timeOrigin + performance.now();
    const deltas = fake.lines.filter((l) => l.event?.delta?.type === 'text_delta').map((l) => l.event.delta.text as string);
    expect(deltas).toHaveLength(5);
    for (const text of deltas) expect(text).toMatch(/^\d+\.\d{3} $/);
    const stamps = deltas.map(Number.parseFloat);
    // Written in order, while the fake ran: the same clock as ours, not a wall-clock claim.
    expect([...stamps].sort((a, b) => a - b)).toEqual(stamps);
    expect(stamps[0]).toBeGreaterThanOrEqual(before);
    expect(stamps[4]).toBeLessThanOrEqual(after);
    const assistant = fake.lines.find(isType('assistant'))!;
    expect(assistant.message.content).toEqual([{ type: 'text', text: deltas.join('') }]);
    expect(fake.lines.find(isResult)).toMatchObject({ subtype: 'success', result: deltas.join('') });
  });

  it('uses the -r id and --model alias, and passes raw non-JSON lines through verbatim', async () => {
    const sessionId = randomUUID();
    const fake = startFake([...BASE_ARGS, '-r', sessionId, '--model', 'sonnet']);
    fake.script([{ raw: 'this is {not json' }, { text: 'after' }]);
    fake.end();
    expect((await fake.exit).code).toBe(0);
    expect(fake.rawLines).toContain('this is {not json');
    expect(fake.lines[0]).toMatchObject({ subtype: 'init', session_id: sessionId, model: 'claude-sonnet-5-5' });
    expect(fake.lines.find(isResult)).toMatchObject({ result: 'after', session_id: sessionId });
  });

  it('delivers a 5 MB line whole, even to a slow reader, before exiting', async () => {
    const size = 5 * 1024 * 1024;
    const fake = startFake();
    fake.child.stdout!.pause();
    fake.script([{ bigLine: size }, { text: 'after big' }]);
    fake.end();
    await new Promise((r) => setTimeout(r, 200));
    fake.child.stdout!.resume();
    expect((await fake.exit).code).toBe(0);
    const big = fake.rawLines.find((l) => l.length > 1_000_000)!;
    expect(big).toBeDefined();
    expect(Math.abs(Buffer.byteLength(big) + 1 - size)).toBeLessThan(16);
    const parsed = JSON.parse(big);
    expect(parsed.type).toBe('assistant');
    expect(parsed.message.content[0].text).toMatch(/^x+$/);
    expect(fake.lines.at(-1)).toMatchObject({ type: 'result', result: 'after big' });
  });

  it('spin keeps a core busy until an interrupt cuts it short', async () => {
    const fake = startFake();
    fake.script([{ spin: 600_000 }, { text: 'never' }]);
    await fake.waitFor(isType('system', 'init'));
    // CPU time, not wall time: it climbs only while the fake works.
    await waitForCondition(() => cpuSecondsOf(fake.pid) >= 0.5, 'half a second of CPU');
    fake.send({ type: 'control_request', request_id: 'req_spin', request: { subtype: 'interrupt' } });
    const result = await fake.waitFor(isResult);
    expect(result).toMatchObject({ is_error: true, terminal_reason: 'aborted_streaming' });
    expect(fake.lines.some((l) => l.type === 'assistant' && l.message.content[0].text === 'never')).toBe(false);
  });

  it('crash exits with the given code, writes stderr, and emits no result', async () => {
    const fake = startFake();
    fake.script([{ text: 'partial' }, { stderr: 'warning: something\n' }, { crash: 3 }]);
    const { code } = await fake.exit;
    expect(code).toBe(3);
    expect(fake.stderr()).toContain('warning: something');
    expect(fake.stderr()).toContain('fake crash');
    expect(fake.lines.some(isType('assistant'))).toBe(true);
    expect(fake.lines.some(isResult)).toBe(false);
  });

  it('interrupt aborts the turn with an aborted result and keeps serving', async () => {
    const fake = startFake();
    fake.script([{ text: 'word0 word1 word2 word3', chunks: 4, delayMs: 600_000 }]);
    await fake.waitFor((l) => l.event?.delta?.type === 'text_delta');
    const mark = fake.lines.length;
    fake.send({ type: 'control_request', request_id: 'req_int_1', request: { subtype: 'interrupt' } });
    const aborted = await fake.waitFor(isResult, mark);
    const after = fake.lines.slice(mark);
    expect(after[0]).toEqual({
      type: 'control_response',
      response: { subtype: 'success', request_id: 'req_int_1', response: { still_queued: [] } },
    });
    const partial = after.find(isType('assistant'))!;
    expect(partial.message.content).toEqual([{ type: 'text', text: 'word0 ' }]);
    expect(partial.aborted).toBe(true);
    const marker = after.find(isType('user'))!;
    expect(marker.message.content).toEqual([{ type: 'text', text: '[Request interrupted by user]' }]);
    expect(aborted).toMatchObject({ subtype: 'error_during_execution', is_error: true, terminal_reason: 'aborted_streaming' });

    const mark2 = fake.lines.length;
    fake.turn('next one');
    const next = await fake.waitFor(isResult, mark2);
    expect(next).toMatchObject({ subtype: 'success', result: 'Echo: next one' });
    // like the real CLI, total_cost_usd is cumulative for the process
    expect(next.total_cost_usd).toBeCloseTo(0.002, 9);
    fake.end();
    expect((await fake.exit).code).toBe(0);
  });

  it('SIGINT mid-turn ends the turn with an aborted result and exits 0', async () => {
    const fake = startFake();
    fake.script([{ text: 'aaa bbb', chunks: 2, delayMs: 600_000 }]);
    await fake.waitFor((l) => l.event?.delta?.type === 'text_delta');
    fake.child.kill('SIGINT');
    expect(await fake.exit).toEqual({ code: 0, signal: null });
    const result = fake.lines.find(isResult)!;
    expect(result).toMatchObject({ subtype: 'error_during_execution', is_error: true, terminal_reason: 'aborted_streaming' });
    expect(fake.lines.find((l) => l.type === 'assistant' && l.aborted)?.message.content[0].text).toBe('aaa ');
  });

  it('SIGTERM mid-turn exits 143 without a result', async () => {
    const fake = startFake();
    fake.script([{ text: 'aaa bbb', chunks: 2, delayMs: 600_000 }]);
    await fake.waitFor((l) => l.event?.delta?.type === 'text_delta');
    fake.child.kill('SIGTERM');
    expect(await fake.exit).toEqual({ code: 143, signal: null });
    expect(fake.lines.some(isResult)).toBe(false);
  });

  it('hang ignores SIGINT, SIGTERM and interrupt; only SIGKILL ends it', async () => {
    const fake = startFake();
    fake.script([{ text: 'about to hang' }, { hang: true }]);
    await fake.waitFor(isType('system', 'fake_hang'));
    const mark = fake.lines.length;
    fake.child.kill('SIGTERM');
    fake.child.kill('SIGINT');
    fake.send({ type: 'control_request', request_id: 'req_int_x', request: { subtype: 'interrupt' } });
    fake.end();
    await new Promise((r) => setTimeout(r, 300));
    expect(fake.child.exitCode).toBeNull();
    expect(fake.child.signalCode).toBeNull();
    expect(isAlive(fake.pid)).toBe(true);
    expect(fake.lines.length).toBe(mark);
    fake.child.kill('SIGKILL');
    expect(await fake.exit).toEqual({ code: null, signal: 'SIGKILL' });
  });

  it('grandchild runs in the fake\'s process group and dies with a group kill', async () => {
    const fake = startFake(BASE_ARGS, { detached: true }); // own group: pgid === fake pid
    fake.script([{ grandchild: true }, { hang: true }]);
    const line = await fake.waitFor(isType('system', 'fake_grandchild'));
    const gpid = line.pid as number;
    started.at(-1)!.extraPids.push(gpid);
    expect(gpid).toBeGreaterThan(0);
    const self = procStat(fs.readFileSync(`/proc/${fake.pid}/stat`, 'utf8'));
    const grand = procStat(fs.readFileSync(`/proc/${gpid}/stat`, 'utf8'));
    expect(self.pgrp).toBe(fake.pid);
    expect(grand.pgrp).toBe(fake.pid);
    expect(grand.ppid).toBe(fake.pid);

    await fake.waitFor(isType('system', 'fake_hang'));
    process.kill(-fake.pid, 'SIGKILL');
    expect((await fake.exit).signal).toBe('SIGKILL');
    for (let i = 0; i < 200 && isAlive(gpid); i++) await new Promise((r) => setTimeout(r, 25));
    expect(isAlive(gpid)).toBe(false);
  });

  it('asks for permission over stdio and honours allow and deny', async () => {
    const fake = startFake([...BASE_ARGS, '--permission-prompt-tool', 'stdio']);
    const input = { command: 'touch x' };
    fake.script([
      { tool: { name: 'Bash', input, output: 'ok', ask: true } },
      { tool: { name: 'Write', input: { file_path: '/tmp/y' }, output: 'written', ask: true } },
      { text: 'finished' },
    ]);
    const ask1 = await fake.waitFor((l) => l.type === 'control_request' && l.request.tool_name === 'Bash');
    expect(ask1.request).toMatchObject({ subtype: 'can_use_tool', display_name: 'Bash', input });
    fake.send({
      type: 'control_response',
      response: { subtype: 'success', request_id: ask1.request_id, response: { behavior: 'allow', updatedInput: input, toolUseID: ask1.request.tool_use_id } },
    });
    const ask2 = await fake.waitFor((l) => l.type === 'control_request' && l.request.tool_name === 'Write');
    fake.send({
      type: 'control_response',
      response: { subtype: 'success', request_id: ask2.request_id, response: { behavior: 'deny', message: 'Denied by test', toolUseID: ask2.request.tool_use_id } },
    });
    const result = await fake.waitFor(isResult);
    const toolResults = fake.lines.filter(isType('user')).map((l) => l.message.content[0]);
    expect(toolResults).toEqual([
      { tool_use_id: ask1.request.tool_use_id, type: 'tool_result', content: 'ok', is_error: false },
      { tool_use_id: ask2.request.tool_use_id, type: 'tool_result', content: 'Denied by test', is_error: true },
    ]);
    expect(result).toMatchObject({
      subtype: 'success',
      result: 'finished',
      num_turns: 3,
      permission_denials: [{ tool_name: 'Write', tool_use_id: ask2.request.tool_use_id, tool_input: { file_path: '/tmp/y' } }],
    });
    fake.end();
    expect((await fake.exit).code).toBe(0);
  });

  it('merges result overrides, emits thinking and custom lines, and exits with the scripted code', async () => {
    const fake = startFake();
    fake.script([
      { thinking: 'hmm' },
      { emit: { type: 'system', subtype: 'custom', n: 1 } },
      { text: 'bad' },
      { result: { is_error: true, subtype: 'error_during_execution', total_cost_usd: 0.5 } },
      { exit: 1 },
    ]);
    expect((await fake.exit).code).toBe(1);
    expect(fake.lines.find((l) => l.type === 'assistant')?.message.content[0]).toMatchObject({ type: 'thinking', thinking: 'hmm' });
    expect(fake.lines.find(isType('system', 'custom'))).toEqual({ type: 'system', subtype: 'custom', n: 1 });
    expect(fake.lines.find(isResult)).toMatchObject({ is_error: true, subtype: 'error_during_execution', total_cost_usd: 0.5, result: 'bad' });
  });

  it('records its invocation in FAKE_CLAUDE_LOG', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-claude-'));
    try {
      const log = path.join(dir, 'log.jsonl');
      const sessionId = randomUUID();
      const args = [...BASE_ARGS, '--session-id', sessionId, '--permission-mode', 'acceptEdits'];
      const fake = startFake(args, { env: { FAKE_CLAUDE_LOG: log, FAKE_CLAUDE_TAG: 'tag-1' } });
      fake.turn('hi');
      fake.end();
      expect((await fake.exit).code).toBe(0);
      const entries = fs.readFileSync(log, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ pid: fake.pid, argv: args, cwd: process.cwd(), env: { FAKE_CLAUDE_TAG: 'tag-1' } });
      expect(typeof entries[0].pgid).toBe('number');
      expect(fake.lines[0]).toMatchObject({ subtype: 'init', permissionMode: 'acceptEdits', session_id: sessionId });
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
