import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { RunNormaliser, summariseToolInput, type RunEventDraft } from './stdout.js';

const fixture = (name: string) =>
  readFileSync(fileURLToPath(new URL(`../../../test/fixtures/cli/${name}.stream.jsonl`, import.meta.url)), 'utf8')
    .split('\n')
    .filter((l) => l !== '');

function feed(lines: string[]) {
  const n = new RunNormaliser('run-1');
  const events: RunEventDraft[] = [];
  for (const line of lines) events.push(...n.line(line).events);
  return { n, events };
}

describe('RunNormaliser on recorded CLI output', () => {
  it('turns a Write tool round trip into tool.started then tool.finished and the answer', () => {
    const { n, events } = feed(fixture('02-tool-write-bypass'));
    const kinds = events.map((e) => e.type);
    expect(kinds).toEqual(['assistant.message', 'tool.started', 'tool.finished', 'assistant.message', 'usage']);
    expect(events[1]).toMatchObject({
      type: 'tool.started',
      toolUseId: 'toolu_fake9',
      name: 'Write',
      summary: '/home/dev/fakeapi/hello.txt',
    });
    expect(events[2]).toMatchObject({ type: 'tool.finished', toolUseId: 'toolu_fake9', ok: true });
    expect((events[2] as { output: string }).output).toContain('File created successfully');
    expect(n.claudeSessionId).toBe('d010da4e-67eb-4526-8109-b996ebf730c9');
    expect(n.outcome).toMatchObject({ isError: false, result: 'Tool finished; all done.', costUsd: 0.001516, numTurns: 2 });
    expect(n.outcome?.usage).toEqual({ inputTokens: 219, outputTokens: 32, cacheReadTokens: 0, cacheWriteTokens: 0 });
  });

  it('streams partial text as deltas and keeps thinking apart from the answer', () => {
    const { events } = feed(fixture('01b-text-turn-partial'));
    const deltas = events.filter((e) => e.type === 'assistant.delta').map((e) => (e as { text: string }).text);
    expect(deltas.join('')).toBe('Thought about it.');
    expect(events.find((e) => e.type === 'thinking')).toMatchObject({ text: 'Let me think briefly.' });
    expect(events.filter((e) => e.type === 'assistant.message')).toHaveLength(1);
    expect(events.some((e) => e.type === 'usage')).toBe(true);
  });

  it('reports a denied tool as a failed tool call, not a failed run', () => {
    const { n, events } = feed(fixture('03-tool-write-default-mode'));
    const finished = events.find((e) => e.type === 'tool.finished') as { ok: boolean; output: string };
    expect(finished.ok).toBe(false);
    expect(finished.output).toContain("haven't granted it yet");
    expect(n.outcome?.isError).toBe(false);
  });

  it('treats an API failure as an error even though the CLI says subtype success', () => {
    const { n } = feed(fixture('06-error-500-maxretries2'));
    expect(n.outcome).toMatchObject({ isError: true, subtype: 'success', errorKind: 'server_error' });
    expect(n.outcome?.error).toContain('500');
  });

  it('keeps the tokens an interrupted turn spent although its result says zero', () => {
    const { n } = feed(fixture('05a-sigint-midstream'));
    expect(n.outcome?.usage.inputTokens).toBeGreaterThan(0);
  });

  it('recognises an interrupted turn and the max-turns limit', () => {
    expect(feed(fixture('05a-sigint-midstream')).n.outcome).toMatchObject({ isError: true, aborted: true });
    expect(feed(fixture('11-max-turns-1')).n.outcome).toMatchObject({ isError: true, errorKind: 'max_turns' });
  });

  it('surfaces can_use_tool control requests as permission requests', () => {
    const n = new RunNormaliser('run-1');
    const perms = fixture('07b-stream-json-can-use-tool-allow-deny')
      .map((l) => n.line(l).permission)
      .filter((p) => p !== undefined);
    expect(perms).toHaveLength(2);
    expect(perms[0]).toMatchObject({ toolName: 'Write', toolUseId: expect.stringMatching(/^toolu_/) });
  });
});

describe('RunNormaliser on odd input', () => {
  it('reports a non-JSON line as a notice and skips blank lines and unknown types', () => {
    const n = new RunNormaliser('r');
    expect(n.line('').events).toEqual([]);
    expect(n.line('{"type":"brand_new_thing","x":1}').events).toEqual([]);
    expect(n.line('[1,2]').events).toEqual([]);
    const [notice] = n.line('Segmentation fault (core dumped)').events;
    expect(notice).toMatchObject({ type: 'notice', level: 'warn' });
    expect((notice as { text: string }).text).toContain('Segmentation fault');
  });

  it('cuts long tool output to an excerpt and says so', () => {
    const n = new RunNormaliser('r');
    const big = 'y'.repeat(100_000);
    const line = JSON.stringify({
      type: 'user',
      message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: [{ type: 'text', text: big }] }] },
    });
    const ev = n.line(line).events[0] as { output: string; truncated?: boolean };
    expect(ev.output.length).toBeLessThanOrEqual(4000);
    expect(ev.truncated).toBe(true);
  });
});

describe('summariseToolInput', () => {
  it('picks the field that tells what the call is about, on one bounded line', () => {
    expect(summariseToolInput('Bash', { command: 'ls -la\n  && pwd', description: 'list' })).toBe('ls -la && pwd');
    expect(summariseToolInput('Grep', { pattern: 'TODO', path: 'src' })).toBe('TODO');
    expect(summariseToolInput('Mystery', { x: 3, target: 'here' })).toBe('here');
    expect(summariseToolInput('Bash', { command: 'x'.repeat(1000) }).length).toBeLessThanOrEqual(160);
    expect(summariseToolInput('Bash', null)).toBe('');
  });
});
