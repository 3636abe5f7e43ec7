/**
 * Usage scan benchmark (part of `npm run bench`; alone: `npm run bench:usage`).
 *
 * Generates a year of transcripts (BENCH_USAGE_LINES lines, 100,000 by
 * default, shaped like the CLI's: usage lines, tool results, bookkeeping),
 * then times the first scan, the answer from memory, and incremental
 * refreshes, and watches how long the event loop is ever held. ccusage
 * 18.0.11, which reads everything on every call, is timed on the same folder
 * for scale. Prints the table and writes it into docs/benchmarks.md under
 * "Usage scan". Asserts nothing.
 */
import { appendFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, loadavg, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { loadDailyUsageData } from 'ccusage/data-loader';
import { createUsageService } from '../server/usage/index.js';
import { PRICE_TABLE } from '../server/usage/prices.js';
import { createPricer } from '../server/usage/pricing.js';
import { deriveUsage } from '../server/usage/derive.js';
import { createTranscriptIndex } from '../server/usage/scan.js';
import { assistantLine, userLine } from '../test/support/transcripts.js';
import { writeBenchmarkSection } from './report.js';

const LINES = Number(process.env.BENCH_USAGE_LINES ?? 100_000);
const LINES_PER_FILE = 400;
const PROJECTS = 12;
const MODELS = ['claude-sonnet-4-20250514', 'claude-opus-4-1-20250805', 'claude-haiku-4-5', 'claude-opus-5-5'];
const DAY_MS = 86_400_000;

/** A deterministic pseudo-random stream, so every run measures the same folder. */
function random(seed: number): () => number {
  let s = seed;
  return () => ((s = (s * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
}

export async function generate(root: string): Promise<{ files: number; bytes: number }> {
  const rnd = random(42);
  const files = Math.ceil(LINES / LINES_PER_FILE);
  let bytes = 0;
  let written = 0;
  for (let f = 0; f < files; f++) {
    const cwd = `/home/dev/project-${f % PROJECTS}`;
    const dir = join(root, 'projects', cwd.replace(/[/.]/g, '-'));
    await mkdir(dir, { recursive: true });
    let at = Date.now() - 365 * DAY_MS + (f / files) * 365 * DAY_MS;
    const lines: string[] = [];
    for (let i = 0; i < LINES_PER_FILE && written < LINES; i++, written++) {
      at += rnd() * 90_000;
      const kind = rnd();
      if (kind < 0.4) {
        const model = MODELS[Math.floor(rnd() * MODELS.length)];
        lines.push(assistantLine({ at, model, cwd, input: Math.floor(rnd() * 5000), output: Math.floor(rnd() * 2000), cacheRead: Math.floor(rnd() * 80_000), cacheWrite: Math.floor(rnd() * 4000), text: 'x'.repeat(Math.floor(rnd() * 600)) }));
      } else if (kind < 0.7) {
        lines.push(userLine(at, `tool output ${'y'.repeat(Math.floor(rnd() * 4000))}`, cwd));
      } else {
        lines.push(JSON.stringify({ type: 'attachment', timestamp: new Date(at).toISOString(), cwd, attachment: { type: 'file', content: 'z'.repeat(Math.floor(rnd() * 500)) } }));
      }
    }
    const text = `${lines.join('\n')}\n`;
    bytes += Buffer.byteLength(text);
    await writeFile(join(dir, `session-${f}.jsonl`), text);
  }
  return { files, bytes };
}

/** Runs `work` while sampling the event loop; returns its time and the longest the loop was held meanwhile. */
async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; stallMs: number; value: T }> {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  // Its first tick only sets a baseline: let it pass before the work starts.
  await new Promise((r) => setTimeout(r, 20));
  const t0 = performance.now();
  const value = await work();
  const ms = performance.now() - t0;
  // The histogram learns of a stall only when its timer runs again.
  await new Promise((r) => setTimeout(r, 20));
  histogram.disable();
  return { ms, stallMs: histogram.max / 1e6, value };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
const fmt = (ms: number) => (ms >= 100 ? `${Math.round(ms)} ms` : `${ms.toFixed(ms >= 10 ? 1 : 2)} ms`);

type Row = [string, string, string];

async function measureService(root: string, files: number): Promise<Row[]> {
  const rows: Row[] = [];
  const service = createUsageService({ roots: [root], scanIntervalMs: 3_600_000, watch: false });
  const first = await timed(() => service.summary());
  rows.push(['first answer of a fresh server (scan, sums, answer)', fmt(first.ms), fmt(first.stallMs)]);
  const answers: number[] = [];
  for (let i = 0; i < 200; i++) answers.push((await timed(() => service.summary())).ms);
  rows.push(['each answer after that (median of 200)', fmt(median(answers)), '']);
  const idle: number[] = [];
  for (let i = 0; i < 20; i++) idle.push((await timed(() => service.refresh())).ms);
  rows.push([`refresh, nothing changed (stat ${files} files; median of 20)`, fmt(median(idle)), '']);
  const grown: number[] = [];
  let stall = 0;
  for (let i = 0; i < 20; i++) {
    const lines = Array.from({ length: 10 }, (_, j) => assistantLine({ at: Date.now() + i * 1000 + j, output: 10 }));
    await appendFile(join(root, 'projects', '-home-dev-project-0', 'session-0.jsonl'), `${lines.join('\n')}\n`);
    const r = await timed(() => service.refresh());
    grown.push(r.ms);
    stall = Math.max(stall, r.stallMs);
  }
  rows.push(['refresh after 10 lines were appended to one file (median of 20)', fmt(median(grown)), fmt(stall)]);
  await service.close();
  return rows;
}

/** The first scan in its two parts: reading and parsing, then the sums. */
async function measureSteps(root: string): Promise<Row[]> {
  const index = createTranscriptIndex([root], createPricer(PRICE_TABLE));
  const scan = await timed(() => index.refresh());
  const derive = await timed(() => deriveUsage(index.files()));
  const entries = derive.value.entries.length.toLocaleString('en-US');
  return [
    ['first scan again, in parts: read and parse every file', fmt(scan.ms), fmt(scan.stallMs)],
    [`first scan again, in parts: dedup, sort, blocks, day sums (${entries} entries)`, fmt(derive.ms), fmt(derive.stallMs)],
  ];
}

async function main(): Promise<void> {
  const root = join(tmpdir(), `cr-bench-usage-${process.pid}`);
  await rm(root, { recursive: true, force: true });
  try {
    const { files, bytes } = await generate(root);
    // The service as the server runs it, first, in a fresh process; then where its first scan's time goes.
    const [first, ...later] = await measureService(root, files);
    const rows = [first as Row, ...(await measureSteps(root)), ...later];

    const ccusage = await timed(() => loadDailyUsageData({ claudePath: root, mode: 'auto', offline: true }));
    rows.push(['for scale: ccusage 18.0.11 daily report (reads all, every time)', fmt(ccusage.ms), fmt(ccusage.stallMs)]);

    const cpu = cpus();
    const machine =
      `${cpu.length} × ${cpu[0]?.model.trim() ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM ` +
      `(${(freemem() / 2 ** 30).toFixed(1)} GiB free), Node ${process.version}, ${process.platform}; files in ${tmpdir()}, warm page cache; ` +
      `load average ${loadavg()[0]?.toFixed(1)} at the end (other work shares these cores: the stalls include waiting for a core).`;
    const folder = `${LINES.toLocaleString('en-US')} lines in ${files} files over ${PROJECTS} projects and one year, ${(bytes / 2 ** 20).toFixed(0)} MiB; 40 % usage lines over ${MODELS.length} models.`;
    const table = [
      '| step | time | longest event-loop stall |',
      '|---|---|---|',
      ...rows.map(([what, ms, stallMs]) => `| ${what} | ${ms} | ${stallMs || '–'} |`),
    ].join('\n');
    console.log(`Usage scan: ${folder}\n${machine}\n\n${table}`);
    await writeBenchmarkSection(
      'Usage scan',
      [
        '`npm run bench:usage` (also part of `npm run bench`): GET /api/usage over a generated folder of the CLI\'s transcripts.',
        '',
        `Folder: ${folder}`,
        '',
        `Machine: ${machine} Measured ${new Date().toISOString().slice(0, 10)}.`,
        '',
        table,
      ].join('\n'),
    );
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
