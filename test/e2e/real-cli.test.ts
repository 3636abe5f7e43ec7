/**
 * Proves the test harness: the real `claude` binary, run against the fake
 * Messages API, completes turns, runs tools, resumes sessions, reports API
 * errors and honours the stdin protocol (including interrupt).
 */
import { randomUUID } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, makeTempDir, spawnClaude, type ClaudeEnv, type ClaudeRun, type StreamLine } from '../support/real-claude.js';

const STREAM_JSON = ['--output-format', 'stream-json', '--verbose'];
const STDIN_PROTOCOL = ['-p', '--input-format', 'stream-json', ...STREAM_JSON];

const isResult = (line: StreamLine): boolean => line.type === 'result';

function userLine(content: string): unknown {
  return { type: 'user', message: { role: 'user', content }, parent_tool_use_id: null };
}

function isTextDelta(line: StreamLine): boolean {
  const event = line.event as { type?: unknown; delta?: { type?: unknown } } | undefined;
  return line.type === 'stream_event' && event?.type === 'content_block_delta' && event.delta?.type === 'text_delta';
}

describe('real claude CLI against the fake Messages API', () => {
  let fake: FakeAnthropic;
  let claudeEnv: ClaudeEnv;
  let cwd: string;
  const runs: ClaudeRun[] = [];

  beforeEach(async () => {
    fake = await startFakeAnthropic();
    claudeEnv = await makeClaudeEnv(fake);
    cwd = await makeTempDir();
  });

  afterEach(async () => {
    await Promise.all(runs.splice(0).map((run) => run.kill()));
    await fake.close();
    await claudeEnv.cleanup();
    await rm(cwd, { recursive: true, force: true });
  });

  /** A one-shot `-p` run: stdin is closed at once, as a plain shell invocation would. */
  function runPrint(args: string[]): ClaudeRun {
    const run = spawnClaude(args, { cwd, env: claudeEnv.env });
    runs.push(run);
    run.child.stdin.end();
    return run;
  }

  function runStdinProtocol(extraArgs: string[] = []): ClaudeRun {
    const run = spawnClaude([...STDIN_PROTOCOL, ...extraArgs], { cwd, env: claudeEnv.env });
    runs.push(run);
    return run;
  }

  it('completes a text turn with partial messages', async () => {
    const run = runPrint(['-p', 'hello', ...STREAM_JSON, '--include-partial-messages']);
    const exit = await run.exited;

    expect(exit.code, run.stderr()).toBe(0);
    const last = run.lines[run.lines.length - 1];
    expect(last).toMatchObject({ type: 'result', subtype: 'success', is_error: false, result: 'Echo: hello' });
    expect(run.lines[0]).toMatchObject({ type: 'system', subtype: 'init', cwd });
    expect(run.lines.filter(isTextDelta).length).toBeGreaterThan(0);
    expect(fake.requests).toHaveLength(1);
    expect(fake.requests[0]?.url).toMatch(/^\/v1\/messages/);
  });

  it('runs a Write tool round trip in bypassPermissions mode', async () => {
    const run = runPrint(['-p', 'please [[write:hello.txt:hi there]]', ...STREAM_JSON, '--permission-mode', 'bypassPermissions']);
    const exit = await run.exited;

    expect(exit.code, run.stderr()).toBe(0);
    expect(await readFile(path.join(cwd, 'hello.txt'), 'utf8')).toBe('hi there');
    expect(run.lines.find(isResult)).toMatchObject({ subtype: 'success', is_error: false, result: 'Tool finished; all done.', num_turns: 2 });
    expect(fake.requests).toHaveLength(2);
  });

  it('resumes a session with its history', async () => {
    const sessionId = randomUUID();
    const first = runPrint(['-p', 'remember PINEAPPLE', ...STREAM_JSON, '--session-id', sessionId]);
    expect((await first.exited).code, first.stderr()).toBe(0);

    const second = runPrint(['-p', 'what did I say? [[recall]]', ...STREAM_JSON, '-r', sessionId]);
    expect((await second.exited).code, second.stderr()).toBe(0);

    expect(second.lines.find(isResult)).toMatchObject({
      subtype: 'success',
      session_id: sessionId,
      result: 'Earlier you said: remember PINEAPPLE',
    });
  });

  it('reports an API error as an error result with exit code 1', async () => {
    const run = runPrint(['-p', 'fail please [[error:500]]', ...STREAM_JSON]);
    const exit = await run.exited;

    expect(exit.code).toBe(1);
    expect(run.lines.find(isResult)).toMatchObject({ is_error: true, api_error_status: 500 });
    // CLAUDE_CODE_MAX_RETRIES=0: the failing call is not repeated.
    expect(fake.requests).toHaveLength(1);
  });

  it('serves a turn over the stdin protocol and exits 0 on EOF', async () => {
    const run = runStdinProtocol();
    run.send(userLine('hi'));
    const result = await run.waitForLine(isResult);
    run.child.stdin.end();
    const exit = await run.exited;

    expect(result).toMatchObject({ subtype: 'success', is_error: false, result: 'Echo: hi' });
    expect(exit.code, run.stderr()).toBe(0);
  });

  it('interrupts a streaming turn over the stdin protocol', async () => {
    const run = runStdinProtocol(['--include-partial-messages']);
    run.send(userLine('count slowly [[slow]]'));
    await run.waitForLine(isTextDelta);
    run.send({ type: 'control_request', request_id: 'req_int_1', request: { subtype: 'interrupt' } });

    const ack = await run.waitForLine((line) => line.type === 'control_response');
    const result = await run.waitForLine(isResult);
    run.child.stdin.end();
    const exit = await run.exited;

    expect(ack).toMatchObject({ response: { subtype: 'success', request_id: 'req_int_1' } });
    expect(result).toMatchObject({ subtype: 'error_during_execution', is_error: true, terminal_reason: 'aborted_streaming' });
    // On EOF the exit code mirrors the last turn: an interrupted last turn exits 1.
    expect(exit).toEqual({ code: 1, signal: null });
  });
});
