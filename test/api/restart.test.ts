import { afterEach, describe, expect, it } from 'vitest';
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic.js';
import { makeClaudeEnv, realClaudePath, type ClaudeEnv } from '../support/real-claude.js';
import { alive, collectEvents, fake, FAKE_CLAUDE, finishedRuns, spawnServerProcess, tempDir, waitUntil, type ServerProcess } from '../support/server.js';

const started: ServerProcess[] = [];

async function startProcess(env: Record<string, string>): Promise<ServerProcess> {
  const server = await spawnServerProcess(env);
  started.push(server);
  return server;
}

afterEach(() => {
  for (const p of started.splice(0)) if (p.child.exitCode === null) p.child.kill('SIGKILL');
});

interface CliUnderTest {
  name: string;
  setup(): Promise<{ env: Record<string, string>; longPrompt: string; cleanup(): Promise<void> }>;
}

const CLIS: CliUnderTest[] = [
  {
    name: 'the scripted CLI',
    setup: async () => ({ env: { CLAUDE_PATH: FAKE_CLAUDE }, longPrompt: fake([{ sleep: 60_000 }]), cleanup: async () => {} }),
  },
  {
    name: 'the real CLI',
    setup: async () => {
      const api: FakeAnthropic = await startFakeAnthropic();
      const claude: ClaudeEnv = await makeClaudeEnv(api);
      return {
        env: { ...claude.env, CLAUDE_PATH: realClaudePath() },
        longPrompt: 'take your time [[slow]]',
        cleanup: async () => {
          await api.close();
          await claude.cleanup();
        },
      };
    },
  },
];

describe.each(CLIS)('a server killed with -9 ($name)', (cli) => {
  it('keeps accepted prompts: after a restart the queued one runs, and the orphaned CLI is killed', async () => {
    const dataDir = await tempDir('cr-kill9-');
    const root = await tempDir('cr-root-');
    const setup = await cli.setup();
    const env = { ...setup.env, DATA_DIR: dataDir, ALLOWED_ROOTS: root, MAX_CONCURRENT_RUNS: '1' };
    const first = await startProcess(env);
    const api = (url: string, method: string, path: string, body?: unknown) =>
      fetch(url + path, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) }).then(
        async (r) => ({ status: r.status, body: await r.json() }),
      );
    const session = (await api(first.url, 'POST', '/api/sessions', {})).body as { id: string };
    const long = await api(first.url, 'POST', `/api/sessions/${session.id}/messages`, { prompt: setup.longPrompt });
    const queued = await api(first.url, 'POST', `/api/sessions/${session.id}/messages`, { prompt: 'survive the crash' });
    expect(queued.status).toBe(202);
    const running = await waitUntil(async () => {
      const runs = (await api(first.url, 'GET', `/api/sessions/${session.id}/runs`)).body.runs as Array<{ id: string; state: string; pid?: number }>;
      return runs.find((r) => r.id === long.body.runId && r.state === 'running' && r.pid);
    });
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));
    // The CLI lives in its own process group: it outlived the server.
    expect(alive(-running.pid!)).toBe(true);

    const second = await startProcess(env);
    const events = await collectEvents({ url: second.url }, session.id, (ev) => finishedRuns(ev).length === 2);
    const [crashed, next] = finishedRuns(events);
    expect(crashed).toMatchObject({ runId: long.body.runId, status: 'error', errorKind: 'server_restart' });
    expect(next).toMatchObject({ runId: queued.body.runId, status: 'success', result: 'Echo: survive the crash' });
    await waitUntil(() => !alive(-running.pid!), 10_000, 'orphan killed');
    second.child.kill('SIGTERM');
    const code = await new Promise((r) => second.child.once('exit', r));
    expect(code).toBe(0);
    await setup.cleanup();
  }, 90_000);
});
