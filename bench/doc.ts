/**
 * docs/benchmarks.md: the machine, the table and the notes, written between
 * `<!-- bench:core:start -->` and `<!-- bench:core:end -->` only. Other
 * sections of the file (the usage scan, written by bench/usage.ts) belong to
 * others and are kept byte for byte.
 *
 * Our "## Performance" heading stands just outside the markers: bench/report.ts
 * rewrites a section from its "## " heading to the next one, so a marker
 * after another section's end but before our heading would be taken with it.
 *
 * `--only=relay` measures one section; the others keep their last figures,
 * which are carried in a JSON comment inside our block (the table alone
 * would lose the notes and the per-section dates).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { realClaudePath } from '../test/support/real-claude.js';
import { CHROMIUM_PATH } from '../test/support/browser.js';
import { figuresTable, type SectionName, type SectionResult } from './stats.js';

export const DOC_PATH = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const START = '<!-- bench:core:start -->';
const END = '<!-- bench:core:end -->';
const DATA_PREFIX = '<!-- bench:core-data ';

export const SECTION_ORDER: readonly SectionName[] = ['cli', 'relay', 'scale', 'cluster', 'phone', 'core'];

const SECTION_TITLES: Record<SectionName, string> = {
  cli: 'Against the bare CLI',
  relay: 'Relay',
  scale: 'Scale',
  cluster: 'Several instances',
  phone: 'The phone',
  core: 'Core (the original three)',
};

export interface Measured extends SectionResult {
  /** ISO time the section finished. */
  at: string;
  /** Load average (1 min) when it started and ended: how busy the machine was. */
  load: [number, number];
}

export type Report = Partial<Record<SectionName, Measured>>;

function quiet(command: string, args: string[]): string {
  try {
    return execFileSync(command, args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'] }).trim().split('\n')[0] ?? '';
  } catch {
    return 'unknown';
  }
}

export function machine(): string {
  const cpuinfo = existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const release = existsSync('/etc/os-release') ? readFileSync('/etc/os-release', 'utf8') : '';
  const osName = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(release)?.[1] ?? os.type();
  return [
    `CPU ${model}, ${os.cpus().length} cores`,
    `RAM ${(os.totalmem() / 2 ** 30).toFixed(1)} GiB`,
    `${osName} (Linux ${os.release()})`,
    `Node ${process.version}`,
    `claude ${quiet(realClaudePath(), ['--version'])}`,
    `${quiet(CHROMIUM_PATH, ['--version'])}`,
  ].join('; ');
}

// The same opening bench/report.ts writes, whichever benchmark makes the file first.
const INTRO = `# Benchmarks

Figures from \`npm run bench\`, each section written by its benchmark on the machine it names. They
describe, they do not gate: tests never assert on speed.
`;
const HEADING = '## Performance';

/** The previous run's sections, from the JSON comment in our block. */
export function readReport(): Report {
  if (!existsSync(DOC_PATH)) return {};
  const text = readFileSync(DOC_PATH, 'utf8');
  const start = text.indexOf(DATA_PREFIX);
  if (start === -1) return {};
  const end = text.indexOf(' -->', start);
  try {
    return JSON.parse(text.slice(start + DATA_PREFIX.length, end)) as Report;
  } catch {
    return {};
  }
}

function renderBlock(report: Report, machineLine: string): string {
  const sections = SECTION_ORDER.filter((s) => report[s] !== undefined);
  const figures = sections.flatMap((s) => report[s]?.figures ?? []);
  const measured = sections
    .map((s) => {
      const m = report[s] as Measured;
      return `${SECTION_TITLES[s]} ${m.at.slice(0, 16).replace('T', ' ')} UTC (load ${m.load[0].toFixed(2)} → ${m.load[1].toFixed(2)})`;
    })
    .join('; ');
  const notes = sections.flatMap((s) => (report[s]?.notes ?? []).map((n) => `**${SECTION_TITLES[s]}.** ${n}`));
  // No "-->" may appear inside the comment: escape '>' in the JSON.
  const data = JSON.stringify(report).replace(/>/g, '\\u003e');
  return [
    START,
    `Machine: ${machineLine}.`,
    '',
    `Measured: ${measured}. The machine is shared (other engineers run tests on`,
    'its 2 cores at the same time), so figures are noisy: sides being compared',
    'are interleaved round by round and summarised by medians of per-round',
    'ratios. Benchmarks print; they assert nothing. Run `npm run bench`',
    '(or `npm run bench -- --only=cli,relay,scale,cluster,phone,core`).',
    '',
    figuresTable(figures),
    '',
    ...notes.flatMap((n) => [n, '']),
    `${DATA_PREFIX}${data} -->`,
    END,
  ].join('\n');
}

/** Rewrites our block (creating the file or the block when missing); everything else stays as it was. */
export function writeReport(report: Report, machineLine: string): void {
  const block = renderBlock(report, machineLine);
  const text = existsSync(DOC_PATH) ? readFileSync(DOC_PATH, 'utf8') : INTRO;
  const start = text.indexOf(START);
  const end = text.indexOf(END);
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + block + text.slice(end + END.length)
      : `${text.replace(/\n*$/, '\n\n')}${HEADING}\n\n${block}\n`;
  writeFileSync(DOC_PATH, next);
}
