/**
 * GET /api/usage on the real server, over crafted transcript folders (two
 * config folders in CLAUDE_CONFIG_DIR and one missing), with the server's
 * clock held at a chosen instant. Every figure is computed by hand below.
 */
const ORIGINAL_TZ = process.env.TZ;
process.env.TZ = 'UTC'; // the local days below are UTC days

import { rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitUntil, startTestServer, type TestServer } from '../support/server.js';
import { appendLines, assistantLine, userLine, writeTranscript } from '../support/transcripts.js';
import type { UsageAnswer } from '../../server/protocol/usage.js';

const SONNET = 'claude-sonnet-4-20250514'; // $3 / $15 / $3.75 / $0.30 per million
const OPUS = 'claude-opus-4-1-20250805'; // $15 / $75
const HAIKU = 'claude-haiku-4-5'; // $1 / $5
const SHOP = '/work/shop';
const BLOG = '/work/blog.site';

let now = Date.parse('2026-03-10T13:00:00.000Z');
let configA: string;
let configB: string;
let shopFile: string;
let blogFile: string;
let server: TestServer;

const at = (day: number, hhmm: string) => `2026-03-${String(day).padStart(2, '0')}T${hhmm}:00.000Z`;
const usage = async (): Promise<UsageAnswer> => (await server.api('GET', '/api/usage')).body as UsageAnswer;

beforeAll(async () => {
  configA = await tempDir('cr-usage-a-');
  configB = await tempDir('cr-usage-b-');
  const same = { messageId: 'msg_dup', requestId: 'req_dup' };
  shopFile = await writeTranscript(configA, SHOP, 'shop-1', [
    userLine(at(8, '08:59'), 'start', SHOP),
    assistantLine({ at: at(8, '09:00'), model: SONNET, input: 1000, output: 100, cwd: SHOP }),
    assistantLine({ at: at(9, '20:00'), model: OPUS, input: 2000, output: 200, cwd: SHOP }),
    '{"type":"assistant","message":{"usage":{"input_tokens":5', // a broken line in the middle
    assistantLine({ at: at(10, '03:10'), model: HAIKU, input: 500, output: 50, cwd: SHOP }),
    assistantLine({ at: at(10, '10:20'), model: SONNET, input: 1000, output: 500, cwd: SHOP }),
    // The CLI writes a line per content block, each with the message's usage: one message.
    assistantLine({ at: at(10, '11:50'), model: SONNET, input: 2000, output: 1000, cwd: SHOP, ...same }),
    assistantLine({ at: at(10, '11:50'), model: SONNET, input: 2000, output: 1000, cwd: SHOP, ...same }),
    assistantLine({ at: at(10, '12:20'), model: OPUS, output: 1500, costUSD: 0.3, cwd: SHOP }),
  ]);
  blogFile = await writeTranscript(configB, BLOG, 'blog-1', [assistantLine({ at: at(10, '12:00'), model: SONNET, input: 3000, cacheRead: 10_000, cwd: BLOG })]);
  server = await startTestServer({
    cliEnv: { CLAUDE_CONFIG_DIR: `${configA}, ${configB},${join(configA, 'missing')}` },
    overrides: { clock: { now: () => new Date(now) } },
  });
});

afterAll(async () => {
  if (ORIGINAL_TZ === undefined) delete process.env.TZ;
  else process.env.TZ = ORIGINAL_TZ;
  await server?.close();
  await rm(configA, { recursive: true, force: true });
  await rm(configB, { recursive: true, force: true });
});

describe('GET /api/usage', () => {
  it("gives today's totals over every config folder, each message once", async () => {
    const { today } = await usage();
    // in 500+1000+2000+3000, out 50+500+1000+1500, cache read 10000;
    // $ 0.00075 (haiku) + 0.0105 + 0.021 + 0.012 (sonnet) + 0.30 (recorded on the line)
    expect(today).toMatchObject({ date: '2026-03-10', inputTokens: 6500, outputTokens: 3050, cacheCreationTokens: 0, cacheReadTokens: 10_000, totalTokens: 19_550 });
    expect(today.costUsd).toBeCloseTo(0.34425, 9);
  });

  it('gives the active block: time left, tokens, cost, burn rate and projection', async () => {
    const { activeBlock } = await usage();
    expect(activeBlock).toMatchObject({
      startTime: at(10, '10:00'),
      endTime: at(10, '15:00'),
      remainingMinutes: 120,
      inputTokens: 6000,
      outputTokens: 3000,
      cacheReadTokens: 10_000,
      totalTokens: 19_000,
      projection: { totalTokens: 38_000 },
    });
    expect(activeBlock?.costUsd).toBeCloseTo(0.3435, 9);
    // 19000 tokens and $0.3435 over the two hours from 10:20 to 12:20, then two more hours to 15:00
    expect(activeBlock?.burnRate.tokensPerHour).toBeCloseTo(9500, 6);
    expect(activeBlock?.burnRate.costPerHour).toBeCloseTo(0.17175, 9);
    expect(activeBlock?.projection.costUsd).toBeCloseTo(0.687, 9);
  });

  it('gives 30 days, and by model and by project over them, and says where costs came from', async () => {
    const answer = await usage();
    expect(answer.days).toHaveLength(30);
    expect(answer.days.slice(-3).map((d) => [d.date, d.totalTokens])).toEqual([
      ['2026-03-08', 1100],
      ['2026-03-09', 2200],
      ['2026-03-10', 19_550],
    ]);
    expect(answer.days[27]?.costUsd).toBeCloseTo(0.0045, 9);
    expect(answer.days[28]?.costUsd).toBeCloseTo(0.045, 9);
    expect(answer.models.map((m) => [m.model, m.inputTokens, m.outputTokens, m.costSource])).toEqual([
      [OPUS, 2000, 1700, 'mixed'],
      [SONNET, 7000, 1600, 'priceTable'],
      [HAIKU, 500, 50, 'priceTable'],
    ]);
    expect(answer.models[0]?.costUsd).toBeCloseTo(0.345, 9);
    expect(answer.models[1]?.costUsd).toBeCloseTo(0.048, 9);
    expect(answer.projects.map((p) => [p.project, p.path])).toEqual([
      ['-work-shop', SHOP],
      ['-work-blog-site', BLOG],
    ]);
    expect(answer.source).toMatchObject({
      roots: [
        { path: configA, exists: true },
        { path: configB, exists: true },
        { path: join(configA, 'missing'), exists: false },
      ],
      files: 2,
      unreadableFiles: 0,
      entries: 7,
      duplicates: 1,
      costs: { fromTranscript: 1, fromPriceTable: 6, unpriced: 0, unpricedModels: [] },
      timeZone: 'UTC',
    });
    expect(answer.source.priceTable.models).toBeGreaterThan(40);
    expect(answer.server).toMatchObject({ runs: 0, costUsd: 0 });
  });

  it('counts a line appended while the server runs, and the burn rate follows', async () => {
    await appendLines(shopFile, [assistantLine({ at: at(10, '12:50'), model: SONNET, output: 1000, cwd: SHOP })]);
    const { activeBlock } = await waitUntil(async () => {
      const answer = await usage();
      return answer.activeBlock?.totalTokens === 20_000 ? answer : undefined;
    });
    expect(activeBlock?.costUsd).toBeCloseTo(0.3585, 9);
    // 20000 tokens over 150 minutes (10:20 to 12:50): 8000/h; 120 minutes left
    expect(activeBlock?.burnRate.tokensPerHour).toBeCloseTo(8000, 6);
    expect(activeBlock?.burnRate.costPerHour).toBeCloseTo(0.1434, 9);
    expect(activeBlock?.projection.totalTokens).toBe(36_000);
    expect(activeBlock?.projection.costUsd).toBeCloseTo(0.6453, 9);
  });

  it('drops what a truncated file lost, ignores its half-written line, and counts it once it is whole', async () => {
    const line = assistantLine({ at: at(10, '12:00'), model: SONNET, input: 3000, cacheRead: 10_000, cwd: BLOG });
    await truncate(blogFile, 0);
    await writeFile(blogFile, line.slice(0, 30));
    await waitUntil(async () => (await usage()).today.totalTokens === 20_550 - 13_000);
    await writeFile(blogFile, `${line}\n`);
    await waitUntil(async () => (await usage()).today.totalTokens === 20_550);
  });

  it('has no active block once the block is over, and the time left counts down until then', async () => {
    now = Date.parse(at(10, '14:59'));
    expect((await usage()).activeBlock?.remainingMinutes).toBe(1);
    now = Date.parse(at(10, '15:00'));
    const answer = await usage();
    expect(answer.activeBlock).toBeNull();
    expect(answer.burnDown).toEqual([]);
  });

  it('is described in the OpenAPI document', async () => {
    const doc = (await server.api('GET', '/api/openapi.json')).body;
    const schema = doc.paths['/api/usage'].get.responses['200'].content['application/json'].schema;
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['today', 'activeBlock', 'days', 'models', 'projects', 'source']));
  });
});
