/**
 * The process lists (/api/processes and the gateway's /processes): what each
 * CLI process costs now (CPU over the last seconds, memory of its whole tree)
 * and how old it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { collectEvents, fake, finishedRuns, startTestServer, waitUntil, type TestServer } from '../support/server.js';
import { newSession, queuePrompt } from '../support/runs.js';

interface ProcessJson {
  pid: number;
  sessionId: string;
  state: string;
  ageS: number;
  cpuPercent?: number;
  rssBytes?: number;
}

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server.close());

describe('the process lists', () => {
  it('show a process that works well above an idle one in CPU, with the memory of its tree and its age', async () => {
    const idle = await newSession(server);
    const busy = await newSession(server);
    const { runId } = await queuePrompt(server, busy.id, fake([{ spin: 600_000 }]));
    const list = async () => (await server.api('GET', '/api/processes')).body.processes as ProcessJson[];
    // CPU over the last seconds: the idle one's start-up is soon out of the window, the spinning one stays busy.
    const [working, waiting] = await waitUntil(
      async () => {
        const all = await list();
        const w = all.find((p) => p.sessionId === busy.id && p.state === 'running');
        const i = all.find((p) => p.sessionId === idle.id && p.state === 'idle');
        if (w?.cpuPercent === undefined || i?.cpuPercent === undefined) return undefined;
        // Other processes share the machine's cores: a spinning process gets its share, an idle one none.
        return w.cpuPercent >= 10 && i.cpuPercent <= 2 ? ([w, i] as const) : undefined;
      },
      60_000,
      'a busy process above 10 % and an idle one under 2 %',
    );
    for (const p of [working, waiting]) {
      expect(p.rssBytes).toBeGreaterThan(10 * 2 ** 20);
      expect(Number.isInteger(p.ageS) && p.ageS >= 0).toBe(true);
    }
    const gateway = (await server.api('GET', '/processes')).body as { processes: Array<Record<string, unknown>> };
    expect(gateway.processes.find((p) => p.pid === working.pid)).toMatchObject({
      process_id: runId,
      state: 'running',
      cpu_percent: expect.any(Number),
      rss_bytes: expect.any(Number),
      age_s: expect.any(Number),
    });
    expect((await server.api('POST', `/api/sessions/${busy.id}/interrupt`)).status).toBe(202);
    await collectEvents(server, busy.id, (events) => finishedRuns(events).length === 1);
  });
});
