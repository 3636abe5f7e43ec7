/**
 * Writes one benchmark's figures into docs/benchmarks.md under its own "##"
 * heading, replacing that section only: other benchmarks keep theirs.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const FILE = fileURLToPath(new URL('../docs/benchmarks.md', import.meta.url));
const INTRO = `# Benchmarks

Figures from \`npm run bench\`, each section written by its benchmark on the machine it names. They
describe, they do not gate: tests never assert on speed.
`;

export async function writeBenchmarkSection(heading: string, body: string): Promise<void> {
  const current = await readFile(FILE, 'utf8').catch(() => INTRO);
  const section = `## ${heading}\n\n${body.trim()}\n`;
  const start = current.search(new RegExp(`^## ${heading.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\s*$`, 'm'));
  if (start === -1) {
    await writeFile(FILE, `${current.trimEnd()}\n\n${section}`);
    return;
  }
  const rest = current.slice(start + 3);
  const next = rest.search(/^## /m);
  const end = next === -1 ? current.length : start + 3 + next;
  await writeFile(FILE, `${current.slice(0, start)}${section}${next === -1 ? '' : `\n${current.slice(end)}`}`);
}
