/**
 * End to end: the server's HTTP API driving the REAL `claude` CLI, which talks
 * to the scripted fake Messages API. Every test asserts something a broken
 * product would get wrong (wrong argv, lost resume, unfair queue, leaked
 * processes, rewritten /chat lines, a failed run poisoning the queue).
 */
import { randomUUID } from 'node:crypto';
import { readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import { startFakeAnthropic, type FakeAnthropic, type RecordedRequest } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { finishedOf, isRunEnd, newSession, only, runEvents, submit, type EventOf } from '../support/runs.js';
import {
  alive,
  collectEvents,
  readSse,
  startTestServer,
  tempDir,
  waitUntil,
  type TestServer,
  type TestServerOptions,
} from '../support/server.js';

const TEST_TIMEOUT = 90_000;
const TEE_CLAUDE = fileURLToPath(new URL('../support/tee-claude.sh', import.meta.url));


interface RunJson {
  id: string;
  prompt: string;
  state: string;
  enqueuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  pid?: number;
  result?: string;
  errorKind?: string;
}

// ---------------------------------------------------------------------------
// Helpers

/** Text the user typed in one API message (the CLI adds <system-reminder> blocks). */
function typedText(message: { content?: unknown }): string {
  const blocks = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : Array.isArray(message.content) ? message.content : [];
  return (blocks as Array<{ type?: unknown; text?: unknown }>)
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => (b.text as string).replace(/<system-reminder>[\s\S]*?<\/system-reminder>/g, '').trim())
    .filter((t) => t !== '')
    .join('\n');
}

function messagesOf(request: RecordedRequest): Array<{ role?: unknown; content?: unknown }> {
  const messages: unknown = request.body?.messages;
  return Array.isArray(messages) ? (messages as Array<{ role?: unknown; content?: unknown }>) : [];
}

/** The model requests whose latest user prompt is exactly `prompt`. */
function requestsFor(fake: FakeAnthropic, prompt: string): RecordedRequest[] {
  return fake.requests.filter((r) => {
    const users = messagesOf(r).filter((m) => m.role === 'user').map(typedText).filter((t) => t !== '');
    return users[users.length - 1] === prompt;
  });
}

/** Pids of live processes whose command line contains `needle` (Linux /proc). */
async function processesRunning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmdline = (await readFile(`/proc/${name}/cmdline`, 'utf8')).replace(/\0/g, ' ');
      const stat = await readFile(`/proc/${name}/stat`, 'utf8');
      const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
      if (state !== 'Z' && cmdline.includes(needle)) pids.push(Number(name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

interface RealCli {
  fake: FakeAnthropic;
  claude: ClaudeEnv;
  server: TestServer;
}

/**
 * Registers hooks that start a fake API, a throwaway HOME for the real CLI
 * and a server driving it, and stop them after the describe block.
 */
function realCliServer(options: (claude: ClaudeEnv) => Promise<TestServerOptions> | TestServerOptions = () => ({})): RealCli {
  const ctx = {} as RealCli;
  beforeAll(async () => {
    ctx.fake = await startFakeAnthropic();
    ctx.claude = await makeClaudeEnv(ctx.fake);
    ctx.server = await startTestServer({ claudePath: realClaudePath(), cliEnv: ctx.claude.env, ...(await options(ctx.claude)) });
  });
  afterAll(async () => {
    await ctx.server?.close();
    await ctx.fake?.close();
    await ctx.claude?.cleanup();
  });
  return ctx;
}

// ---------------------------------------------------------------------------

// A fresh CLI process per run (warm processes off): what a run's end does to
// its process group. warm-sessions.test.ts covers the same with warm processes.
describe('sessions API with the real claude CLI', () => {
  const ctx = realCliServer(() => ({ config: { WARM_MAX: '0' } }));

  it(
    'runs a text turn: started with a pid, streamed deltas, the message, success with cost and usage',
    async () => {
      const s = await newSession(ctx.server);
      const runId = await submit(ctx.server, s.id, 'hello');
      const events = await runEvents(ctx.server, s.id, runId);

      const started = only(events, 'run.started');
      expect(started).toHaveLength(1);
      expect(started[0]!.pid).toBeGreaterThan(0);
      expect(started[0]!.claudeSessionId).toBe(s.claudeSessionId);

      const deltas = only(events, 'assistant.delta');
      expect(deltas.length).toBeGreaterThan(0);
      expect(deltas.map((d) => d.text).join('')).toBe('Echo: hello');
      expect(only(events, 'assistant.message').map((m) => m.text)).toEqual(['Echo: hello']);

      const finished = finishedOf(events);
      expect(finished).toMatchObject({ status: 'success', result: 'Echo: hello' });
      expect(finished.errorKind).toBeUndefined();
      expect(finished.costUsd).toBeGreaterThan(0);
      expect(finished.usage.outputTokens).toBeGreaterThan(0);
      expect(finished.numTurns).toBeGreaterThanOrEqual(1);

      // Order within the run: started, then text, then finished last.
      const types = events.map((e) => e.type);
      expect(types.indexOf('run.started')).toBeLessThan(types.indexOf('assistant.delta'));
      expect(types.indexOf('assistant.message')).toBeLessThan(types.indexOf('run.finished'));
      expect(types[types.length - 1]).toBe('run.finished');

      // The record agrees with the event and the session totals were added.
      const run = (await ctx.server.api('GET', `/api/sessions/${s.id}/runs/${runId}`)).body as RunJson;
      expect(run).toMatchObject({ state: 'success', result: 'Echo: hello', pid: started[0]!.pid });
      const view = (await ctx.server.api('GET', `/api/sessions/${s.id}`)).body;
      expect(view).toMatchObject({ status: 'idle', queueLength: 0, totals: { runs: 1 } });
      expect(view.totals.costUsd).toBeCloseTo(finished.costUsd, 10);

      // A client that lost the stream halfway gets exactly what it missed.
      const all = await collectEvents(ctx.server, s.id, (ev) => ev.some(isRunEnd(runId)));
      const cut = all[Math.floor(all.length / 2)]!.seq;
      const missed = all.filter((e) => e.seq > cut);
      const replayed = await collectEvents(ctx.server, s.id, (ev) => ev.length >= missed.length, { lastEventId: String(cut) });
      expect(replayed).toEqual(missed);
    },
    TEST_TIMEOUT,
  );

  it(
    'runs a Write tool in bypassPermissions mode: the file really exists in the session folder',
    async () => {
      const s = await newSession(ctx.server, { permissionMode: 'bypassPermissions' });
      const runId = await submit(ctx.server, s.id, '[[write:hello.txt:hi from claude]]');
      const events = await runEvents(ctx.server, s.id, runId);

      expect(await readFile(join(s.cwd, 'hello.txt'), 'utf8')).toBe('hi from claude');

      const toolStarted = only(events, 'tool.started');
      expect(toolStarted).toHaveLength(1);
      expect(toolStarted[0]).toMatchObject({ name: 'Write' });
      expect(toolStarted[0]!.summary).toContain('hello.txt');
      const toolFinished = only(events, 'tool.finished');
      expect(toolFinished).toHaveLength(1);
      expect(toolFinished[0]).toMatchObject({ toolUseId: toolStarted[0]!.toolUseId, ok: true });
      // No permission was asked for in bypass mode.
      expect(only(events, 'permission.requested')).toEqual([]);

      const indexOf = (e: ServerEvent) => events.indexOf(e);
      expect(indexOf(toolStarted[0]!)).toBeLessThan(indexOf(toolFinished[0]!));
      const finished = finishedOf(events);
      expect(indexOf(toolFinished[0]!)).toBeLessThan(indexOf(finished));
      expect(finished).toMatchObject({ status: 'success', result: 'Tool finished; all done.' });
      expect(finished.numTurns).toBeGreaterThanOrEqual(2);
    },
    TEST_TIMEOUT,
  );

  it(
    'resumes the conversation on the next prompt, and /clear starts a new one',
    async () => {
      const s = await newSession(ctx.server);
      const first = await submit(ctx.server, s.id, 'my name is Ada');
      expect(finishedOf(await runEvents(ctx.server, s.id, first))).toMatchObject({ status: 'success', result: 'Echo: my name is Ada' });

      const recall = await submit(ctx.server, s.id, '[[recall]]');
      const recallEvents = await runEvents(ctx.server, s.id, recall);
      expect(finishedOf(recallEvents)).toMatchObject({ status: 'success', result: 'Earlier you said: my name is Ada' });
      expect(only(recallEvents, 'run.started')[0]!.claudeSessionId).toBe(s.claudeSessionId);

      // The second run's API request carried the first exchange.
      const recallRequests = requestsFor(ctx.fake, '[[recall]]').filter((r) =>
        messagesOf(r).some((m) => m.role === 'user' && typedText(m) === 'my name is Ada'),
      );
      expect(recallRequests).toHaveLength(1);
      const history = messagesOf(recallRequests[0]!);
      const userTexts = history.filter((m) => m.role === 'user').map(typedText).filter((t) => t !== '');
      expect(userTexts).toEqual(['my name is Ada', '[[recall]]']);
      expect(history.some((m) => m.role === 'assistant' && JSON.stringify(m.content).includes('Echo: my name is Ada'))).toBe(true);

      // The CLI reports a conversation's cost cumulatively across resumes; each
      // run is charged only its own part, so the session total is the CLI's.
      const raw = await readSse(await fetch(`${ctx.server.url}/api/sessions/${s.id}/runs/${recall}/raw`));
      const cliTotal = raw.map((m) => (m.event === 'message' ? JSON.parse(m.data) : {})).find((l) => l.type === 'result').total_cost_usd as number;
      const runs = (await ctx.server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs as Array<{ costUsd: number }>;
      expect(runs.every((r) => r.costUsd > 0)).toBe(true);
      expect(runs[1]!.costUsd).toBeLessThan(cliTotal);
      const totals = (await ctx.server.api('GET', `/api/sessions/${s.id}`)).body.totals;
      expect(totals.costUsd).toBeCloseTo(cliTotal, 9);
      expect(totals.costUsd).toBeCloseTo(runs[0]!.costUsd + runs[1]!.costUsd, 9);

      const cleared = await ctx.server.api('POST', `/api/sessions/${s.id}/clear`);
      expect(cleared.status).toBe(200);
      expect(cleared.body.claudeSessionId).not.toBe(s.claudeSessionId);
      expect(cleared.body.cwd).toBe(s.cwd);

      const before = ctx.fake.requests.length;
      const again = await submit(ctx.server, s.id, '[[recall]]');
      const againEvents = await runEvents(ctx.server, s.id, again);
      expect(finishedOf(againEvents)).toMatchObject({ status: 'success', result: 'Earlier you said: [[recall]]' });
      expect(only(againEvents, 'run.started')[0]!.claudeSessionId).toBe(cleared.body.claudeSessionId);
      // The new conversation's request carried no earlier history.
      const fresh = ctx.fake.requests.slice(before).filter((r) => r.url.startsWith('/v1/messages'));
      expect(fresh.length).toBeGreaterThan(0);
      for (const r of fresh) expect(JSON.stringify(r.body.messages)).not.toContain('my name is Ada');
    },
    TEST_TIMEOUT,
  );

  it(
    'interrupt mid-stream ends the run as interrupted and leaves no process of its group',
    async () => {
      const s = await newSession(ctx.server);
      const runId = await submit(ctx.server, s.id, '[[slow]]');
      const early = await collectEvents(
        ctx.server,
        s.id,
        (all) => all.some((e) => e.type === 'assistant.delta' && e.runId === runId) || all.some(isRunEnd(runId)),
        { timeoutMs: 60_000 },
      );
      expect(early.some(isRunEnd(runId)), 'the slow run ended before it streamed').toBe(false);
      const started = early.find((e): e is EventOf<'run.started'> => e.type === 'run.started' && e.runId === runId);
      expect(started).toBeDefined();
      const pid = started!.pid;
      expect(pid).toBeGreaterThan(0);
      expect(alive(-pid)).toBe(true);
      const listed = (await ctx.server.api('GET', '/processes')).body;
      expect(listed.count).toBe(1);
      expect(listed.processes[0]).toMatchObject({ process_id: runId, pid });

      const res = await ctx.server.api('POST', `/api/sessions/${s.id}/interrupt`);
      expect(res.status).toBe(202);
      expect(res.body).toMatchObject({ runId, status: 'interrupting' });

      const events = await runEvents(ctx.server, s.id, runId);
      const finished = finishedOf(events);
      expect(finished.status).toBe('interrupted');
      // It was cut short: not all 40 ticks arrived.
      const streamed = only(events, 'assistant.delta').map((d) => d.text).join('');
      expect(streamed).not.toContain('tick 40 ');

      // Every process of the run's group is gone (allow the kernel a moment to reap).
      await waitUntil(() => !alive(-pid), 5_000, `process group ${pid} to disappear`);
      expect(alive(pid)).toBe(false);
      await waitUntil(async () => (await ctx.server.api('GET', '/processes')).body.count === 0, 5000, 'no CLI process listed');
      expect((await ctx.server.api('GET', `/api/sessions/${s.id}`)).body.status).toBe('idle');
    },
    TEST_TIMEOUT,
  );
  /**
   * Starts a run whose Bash tool runs a command until killed (the CLI refuses a
   * standalone long `sleep`): `tail -f` of a file with a unique name, so we
   * find exactly its processes. Resolves once the command is running.
   */
  async function startHoldingTool() {
    const s = await newSession(ctx.server, { permissionMode: 'bypassPermissions' });
    const holdFile = `hold-${randomUUID()}.log`;
    await writeFile(join(s.cwd, holdFile), '');
    const command = `tail -f ${holdFile}`;
    const runId = await submit(ctx.server, s.id, `[[bash:${command}]]`);
    const early = await collectEvents(
      ctx.server,
      s.id,
      (all) => all.some((e) => e.type === 'tool.started' && e.runId === runId) || all.some(isRunEnd(runId)),
      { timeoutMs: 60_000 },
    );
    expect(early.some(isRunEnd(runId)), 'the run ended before its tool started').toBe(false);
    const pid = early.find((e): e is EventOf<'run.started'> => e.type === 'run.started' && e.runId === runId)!.pid;
    const holders = await waitUntil(async () => {
      const found = await processesRunning(command);
      return found.length > 0 ? found : undefined;
    }, 30_000, `${command} to start`);
    return { s, runId, pid, command, holders };
  }

  /** Test hygiene: never leave a holding command behind, whatever the product did. */
  async function killLeftovers(command: string): Promise<void> {
    for (const leftover of await processesRunning(command)) {
      try {
        process.kill(leftover, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  }

  it(
    'interrupt during a Bash tool also ends the command the tool started',
    async () => {
      const { s, runId, pid, command, holders } = await startHoldingTool();
      try {
        expect((await ctx.server.api('POST', `/api/sessions/${s.id}/interrupt`)).status).toBe(202);
        expect(finishedOf(await runEvents(ctx.server, s.id, runId)).status).toBe('interrupted');

        await waitUntil(async () => (await processesRunning(command)).length === 0, 5_000, `${command} (pids ${holders.join(', ')}) to end`);
        await waitUntil(() => !alive(-pid), 5_000, `process group ${pid} to disappear`);
        await waitUntil(async () => (await ctx.server.api('GET', '/processes')).body.count === 0, 5000, 'no CLI process listed');
      } finally {
        await killLeftovers(command);
      }
    },
    TEST_TIMEOUT,
  );

  // The CLI's Bash tool runs each command in a session/process group of its
  // own (setsid), so kill(-pid) alone never reaches it. When the CLI dies
  // without cleaning up (SIGKILL, the OOM killer, a crash), the runner finds
  // the command by the run tag in its environment.
  it(
    'when the CLI is killed mid-tool, the command its Bash tool started (in a session of its own) is ended too',
    async () => {
      const { s, runId, pid, command, holders } = await startHoldingTool();
      try {
        // Simulates the CLI dying hard (what stop() ends with when SIGINT/SIGTERM are not enough).
        process.kill(pid, 'SIGKILL');
        const finished = finishedOf(await runEvents(ctx.server, s.id, runId));
        expect(finished).toMatchObject({ status: 'error', errorKind: 'cli_crashed' });
        await waitUntil(() => !alive(-pid), 5_000, `process group ${pid} to disappear`);
        await waitUntil(async () => (await ctx.server.api('GET', '/processes')).body.count === 0, 5000, 'no CLI process listed');
        await waitUntil(
          async () => (await processesRunning(command)).length === 0,
          5_000,
          `${command} (pids ${holders.join(', ')}, started by the killed CLI ${pid}) to end`,
        );
      } finally {
        await killLeftovers(command);
      }
    },
    TEST_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------

describe('fair scheduling with the real claude CLI', () => {
  const ctx = realCliServer(() => ({ maxConcurrentRuns: 1 }));

  it(
    'with one slot, alternates sessions (A1, B1, A2, B2) and never runs two at once',
    async () => {
      const a = await newSession(ctx.server, { name: 'A' });
      const b = await newSession(ctx.server, { name: 'B' });

      // Watch the process list the whole time: never more than one CLI.
      let maxProcesses = 0;
      let watching = true;
      const watcher = (async () => {
        while (watching) {
          // Warm idle processes wait between turns; what is limited is processes running a turn.
          const { processes } = (await ctx.server.api('GET', '/processes')).body as { processes: Array<{ state: string }> };
          maxProcesses = Math.max(maxProcesses, processes.filter((p) => p.state === 'running').length);
          await new Promise((r) => setTimeout(r, 25));
        }
      })();

      const ids: Record<string, string> = {};
      try {
        ids['A1'] = await submit(ctx.server, a.id, 'prompt A1');
        ids['A2'] = await submit(ctx.server, a.id, 'prompt A2');
        ids['B1'] = await submit(ctx.server, b.id, 'prompt B1');
        ids['B2'] = await submit(ctx.server, b.id, 'prompt B2');

        const done = (runs: RunJson[]) => runs.length === 2 && runs.every((r) => r.state !== 'queued' && r.state !== 'running');
        const listRuns = async (id: string) => (await ctx.server.api('GET', `/api/sessions/${id}/runs`)).body.runs as RunJson[];
        await waitUntil(async () => done(await listRuns(a.id)) && done(await listRuns(b.id)), 80_000, 'all four runs to finish');

        const runs = [...(await listRuns(a.id)), ...(await listRuns(b.id))];
        for (const r of runs) expect(r.state, `${r.prompt}: ${JSON.stringify(r)}`).toBe('success');
        const byId = new Map(runs.map((r) => [r.id, r]));
        // Precondition of the scenario: B1 was queued while A1 was still running.
        expect(byId.get(ids['B2']!)!.enqueuedAt <= byId.get(ids['A1']!)!.finishedAt!, 'A1 finished before all four were queued').toBe(true);

        const order = [...runs].sort((x, y) => x.startedAt!.localeCompare(y.startedAt!));
        expect(order.map((r) => r.prompt)).toEqual(['prompt A1', 'prompt B1', 'prompt A2', 'prompt B2']);
        for (let i = 1; i < order.length; i++) {
          const prev = order[i - 1]!;
          const cur = order[i]!;
          expect(cur.startedAt! >= prev.finishedAt!, `${cur.prompt} started (${cur.startedAt}) before ${prev.prompt} finished (${prev.finishedAt})`).toBe(true);
        }
        // And each answered its own prompt.
        for (const r of runs) expect(r.result).toBe(`Echo: ${r.prompt}`);
      } finally {
        watching = false;
        await watcher;
      }
      expect(maxProcesses).toBeLessThanOrEqual(1);
    },
    TEST_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------

describe('/chat gateway with the real claude CLI', () => {
  let teeDir: string;
  let teeFile: string;
  const ctx = realCliServer(async (claude) => {
    teeDir = await tempDir('cr-tee-');
    teeFile = join(teeDir, 'stdout.jsonl');
    // One process per /chat request, so the tee captures each request's lines apart (warm reuse: warm-sessions.test.ts).
    return { claudePath: TEE_CLAUDE, cliEnv: { ...claude.env, REAL_CLAUDE: realClaudePath(), TEE_FILE: teeFile }, config: { WARM_MAX: '0' } };
  });
  afterAll(async () => {
    if (teeDir) await rm(teeDir, { recursive: true, force: true });
  });

  async function chat(body: Record<string, unknown>) {
    await writeFile(teeFile, '');
    const res = await fetch(`${ctx.server.url}/chat`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'text/event-stream' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type') ?? '').toContain('text/event-stream');
    const messages = await readSse(res, (m) => m.event === 'done', 80_000);
    // `done` comes at the result line; tee may write its copy a moment later.
    const forwarded = messages.filter((m) => m.event === 'message').length;
    const teeLines = await waitUntil(async () => {
      const lines = (await readFile(teeFile, 'utf8')).split('\n');
      return lines.length > forwarded ? lines : undefined;
    }, 5000, 'the tee copy of the CLI output');
    // The file ends with a newline: drop the empty piece after it.
    expect(teeLines.pop()).toBe('');
    return { messages, teeLines };
  }

  it(
    'forwards every CLI stdout line unmodified, then done; a second /chat with session_id resumes it',
    async () => {
      const { messages, teeLines } = await chat({ prompt: 'hello gateway', cwd: ctx.server.root });

      const lines = messages.filter((m) => m.event === 'message').map((m) => m.data);
      expect(teeLines.length).toBeGreaterThan(2);
      expect(lines).toEqual(teeLines);
      // Every message came before done, and done is last.
      const last = messages[messages.length - 1]!;
      expect(last.event).toBe('done');
      expect(messages.filter((m) => m.event !== 'message' && m.event !== 'done')).toEqual([]);

      const init = JSON.parse(lines[0]!) as { type: string; subtype: string; session_id: string; cwd: string };
      expect(init).toMatchObject({ type: 'system', subtype: 'init', cwd: ctx.server.root });
      const result = JSON.parse(lines[lines.length - 1]!) as { type: string; subtype: string; result: string };
      expect(result).toMatchObject({ type: 'result', subtype: 'success', result: 'Echo: hello gateway' });

      const done = JSON.parse(last.data) as { process_id: string };
      expect(typeof done.process_id).toBe('string');
      expect(done.process_id).not.toBe('');

      // Continue the CLI conversation by its session_id.
      const second = await chat({ prompt: '[[recall]]', session_id: init.session_id, cwd: ctx.server.root });
      const secondLines = second.messages.filter((m) => m.event === 'message').map((m) => m.data);
      expect(secondLines).toEqual(second.teeLines);
      const secondInit = JSON.parse(secondLines[0]!) as { session_id: string; subtype: string };
      expect(secondInit).toMatchObject({ subtype: 'init', session_id: init.session_id });
      const secondResult = JSON.parse(secondLines[secondLines.length - 1]!) as { type: string; result: string };
      expect(secondResult).toMatchObject({ type: 'result', result: 'Earlier you said: hello gateway' });
      const secondDone = JSON.parse(second.messages[second.messages.length - 1]!.data) as { process_id: string };
      expect(secondDone.process_id).not.toBe(done.process_id);

      const del = await ctx.server.api('DELETE', '/chat/unknown');
      expect(del.status).toBe(404);
      expect(del.body.error.code).toBe('process_not_found');
      // The run is over at its result line; its process exits a moment later.
      await waitUntil(async () => (await ctx.server.api('GET', '/processes')).body.count === 0, 5000, 'the CLI to exit');
    },
    TEST_TIMEOUT,
  );
});

// ---------------------------------------------------------------------------

describe('API errors with the real claude CLI', () => {
  const ctx = realCliServer();

  it(
    'an API error fails only its own run (a 500: errorKind server_error); the next queued prompt runs to success',
    async () => {
      const s = await newSession(ctx.server);
      const bad = await submit(ctx.server, s.id, '[[error:500]]');
      const good = await submit(ctx.server, s.id, 'after the error');
      const events = await collectEvents(ctx.server, s.id, (all) => all.some(isRunEnd(good)), { timeoutMs: 80_000 });
      const ofRun = (runId: string) => events.filter((e) => 'runId' in e && e.runId === runId);

      const badEnd = finishedOf(ofRun(bad));
      expect(badEnd).toMatchObject({ status: 'error', errorKind: 'server_error' });
      expect(badEnd.error ?? '').toContain('500');
      const goodEnd = finishedOf(ofRun(good));
      expect(goodEnd).toMatchObject({ status: 'success', result: 'Echo: after the error' });
      expect(events.indexOf(badEnd)).toBeLessThan(events.indexOf(goodEnd));
      // The second prompt got a process of its own, in the same conversation.
      const [badStart] = only(ofRun(bad), 'run.started');
      const [goodStart] = only(ofRun(good), 'run.started');
      expect(goodStart!.pid).toBeGreaterThan(0);
      expect(goodStart!.claudeSessionId).toBe(badStart!.claudeSessionId);
      // What the CLI sent for it carried the failed prompt too: it resumed rather than started over.
      const resumed = ctx.fake.requests.map((r) => r.body).filter((b) => JSON.stringify(b?.messages ?? []).includes('after the error'));
      expect(resumed.length).toBeGreaterThan(0);
      expect(JSON.stringify(resumed[0].messages)).toContain('[[error:500]]');

      const runs = (await ctx.server.api('GET', `/api/sessions/${s.id}/runs`)).body.runs as RunJson[];
      expect(runs.find((r) => r.id === bad)).toMatchObject({ state: 'error', errorKind: 'server_error' });
      expect(runs.find((r) => r.id === good)).toMatchObject({ state: 'success' });
      expect((await ctx.server.api('GET', `/api/sessions/${s.id}`)).body).toMatchObject({ status: 'idle', queueLength: 0, totals: { runs: 2 } });
    },
    TEST_TIMEOUT,
  );

  it.each([
    [401, 'auth'],
    [429, 'rate_limit'],
    [529, 'server_error'],
  ] as const)(
    'an API answer of %i ends the run as %s, with the status in its message',
    async (status, kind) => {
      const s = await newSession(ctx.server);
      const runId = await submit(ctx.server, s.id, `[[error:${status}]]`);
      const finished = finishedOf(await runEvents(ctx.server, s.id, runId));
      expect(finished).toMatchObject({ status: 'error', errorKind: kind });
      expect(finished.error ?? '').toMatch(status === 401 ? /401|API key|authenticat/i : new RegExp(String(status)));
    },
    TEST_TIMEOUT,
  );
});
