/**
 * Benchmarks: `npm run bench` (not part of `npm test`; about 5-10 minutes on
 * a 2-core machine). Prints figures, ratios and percentiles and writes them
 * to docs/benchmarks.md; asserts nothing (tests never assert on speed).
 *
 *   cli    the app against the bare CLI (real CLI, fake Messages API)   cli-vs-app.ts
 *   relay  CLI line → client latency, fan-out, CPU per 1,000 events     relay.ts
 *   scale  queue makespan, idle memory, cold start, catch-up             scale.ts
 *   cluster  two instances on Redis: fan-out latency, failover time      cluster.ts
 *   phone  first-load bytes, frame times under a streamed answer         phone.ts
 *   core   streaming overhead, run latency, replay (the first three)     core.ts
 *
 * `npm run bench -- --only=relay,scale` runs some; the others keep their
 * last figures in the doc.
 */
import os from 'node:os';
import { benchCliVsApp } from './cli-vs-app.js';
import { benchCluster } from './cluster.js';
import { benchCore } from './core.js';
import { machine, readReport, SECTION_ORDER, writeReport, DOC_PATH, type Report } from './doc.js';
import { benchPhone } from './phone.js';
import { benchRelay } from './relay.js';
import { benchScale } from './scale.js';
import { figuresTable, type SectionName, type SectionResult } from './stats.js';

const SECTIONS: Record<SectionName, () => Promise<SectionResult>> = {
  cli: benchCliVsApp,
  relay: benchRelay,
  scale: benchScale,
  cluster: benchCluster,
  phone: benchPhone,
  core: benchCore,
};

function selected(argv: readonly string[]): SectionName[] {
  const only = argv.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  if (only === undefined) return [...SECTION_ORDER];
  const names = only.split(',').map((s) => s.trim());
  const unknown = names.filter((n) => !(n in SECTIONS));
  if (unknown.length > 0) throw new Error(`unknown section(s) ${unknown.join(', ')}; choose from ${SECTION_ORDER.join(', ')}`);
  return SECTION_ORDER.filter((s) => names.includes(s));
}

async function main(): Promise<void> {
  const sections = selected(process.argv.slice(2));
  const report: Report = readReport();
  const machineLine = machine();
  console.log(`Machine: ${machineLine}`);
  for (const name of sections) {
    const started = Date.now();
    const loadBefore = os.loadavg()[0] ?? 0;
    console.log(`\n== ${name} ==`);
    const result = await SECTIONS[name]();
    report[name] = { ...result, at: new Date().toISOString(), load: [loadBefore, os.loadavg()[0] ?? 0] };
    console.log(figuresTable(result.figures));
    for (const note of result.notes) console.log(`\n${note}`);
    console.log(`(${name}: ${((Date.now() - started) / 1000).toFixed(0)} s)`);
    // Written after each section: a later one failing keeps what was measured.
    writeReport(report, machineLine);
  }
  console.log(`\nWrote ${DOC_PATH}`);
}

main().then(
  // Servers and browsers are closed by now; leftover handles (keep-alive sockets) must not hold the exit.
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
