import { execFileSync } from 'node:child_process';
import { appendFile, mkdir, open, rename, rm, symlink, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test/support/server.js';
import { appendLines, assistantLine, userLine, writeTranscript } from '../../test/support/transcripts.js';
import { PRICE_TABLE } from './prices.js';
import { createPricer } from './pricing.js';
import { createTranscriptIndex, type TranscriptIndex } from './scan.js';

const pricer = createPricer(PRICE_TABLE);
const CWD = '/home/dev/shop.app';
let root: string;
let index: TranscriptIndex;

beforeEach(async () => {
  root = await tempDir('cr-usage-scan-');
  index = createTranscriptIndex([root], pricer);
});
afterEach(() => rm(root, { recursive: true, force: true }));

const outputs = () => [...index.files()].flatMap((f) => f.entries.map((e) => e.outputTokens)).sort((a, b) => a - b);
const line = (output: number, at = '2026-03-10T10:00:00.000Z') => assistantLine({ at, output, cwd: CWD });

describe('reading the transcripts incrementally', () => {
  it('finds every .jsonl under projects/, in subfolders too, and names the project by its folder', async () => {
    await writeTranscript(root, CWD, 'a', [userLine('2026-03-10T09:59:00.000Z', 'hi'), line(1)]);
    await mkdir(join(root, 'projects', '-home-dev-shop-app', 'a', 'subagents'), { recursive: true });
    await writeFile(join(root, 'projects', '-home-dev-shop-app', 'a', 'subagents', 'agent-1.jsonl'), `${line(2)}\n`);
    await writeFile(join(root, 'projects', '-home-dev-shop-app', 'notes.txt'), `${line(99)}\n`);
    expect((await index.refresh()).kind).toBe('appended');
    expect(outputs()).toEqual([1, 2]);
    expect(new Set([...index.files()].map((f) => f.project))).toEqual(new Set(['-home-dev-shop-app']));
    expect(index.roots()).toEqual([{ path: root, exists: true }]);
  });

  it('reads only what a file gained, and nothing when nothing changed', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1)]);
    await index.refresh();
    await appendLines(file, [line(2), line(3)]);
    const change = await index.refresh();
    expect(change.kind === 'appended' && change.additions.flatMap((a) => a.entries.map((e) => e.outputTokens))).toEqual([2, 3]);
    expect(outputs()).toEqual([1, 2, 3]);
    expect(await index.refresh()).toEqual({ kind: 'none' });
  });

  it('waits for a line that is still being written, and counts it once it is whole', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1)]);
    const half = line(2);
    await writeFile(file, `${line(1)}\n${half.slice(0, 40)}`);
    await index.refresh();
    expect(outputs()).toEqual([1]);
    await writeFile(file, `${line(1)}\n${half}\n`);
    await index.refresh();
    expect(outputs()).toEqual([1, 2]);
  });

  it('counts a complete last line without its newline, and not again when the newline follows', async () => {
    const file = await writeTranscript(root, CWD, 'a', []);
    await writeFile(file, line(1));
    await index.refresh();
    expect(outputs()).toEqual([1]);
    await appendFile(file, `\n${line(2)}\n`);
    await index.refresh();
    expect(outputs()).toEqual([1, 2]);
  });

  it('skips malformed, blank and non-usage lines without stopping', async () => {
    await writeTranscript(root, CWD, 'a', ['not json "usage"', '', '{"message":{"usage":{}}}', line(1), '\u0000\u0000', line(2)]);
    await index.refresh();
    expect(outputs()).toEqual([1, 2]);
  });

  it('reads a truncated file again from the start', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1), line(2), line(3)]);
    await index.refresh();
    await truncate(file, 0);
    await appendLines(file, [line(7)]);
    expect(await index.refresh()).toEqual({ kind: 'rebuild' });
    expect(outputs()).toEqual([7]);
  });

  it('reads a file replaced by another one (rotation) from the start', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1)]);
    await index.refresh();
    const other = `${file}.new`;
    await writeFile(other, `${line(5)}\n${line(6)}\n${line(8)}\n`);
    await rename(other, file);
    await index.refresh();
    expect(outputs()).toEqual([5, 6, 8]);
  });

  it('asks for a rebuild when a line earlier than any before it is appended (it changes which copy of a message counts)', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1, '2026-03-10T10:00:00.000Z')]);
    await index.refresh();
    await appendLines(file, [line(2, '2026-03-09T10:00:00.000Z')]);
    expect(await index.refresh()).toEqual({ kind: 'rebuild' });
  });

  it('notices a file rewritten in place to a larger size', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1)]);
    await index.refresh();
    const handle = await open(file, 'r+');
    await handle.write(`${line(4)}\n${line(5)}\n`, 0);
    await handle.close();
    await index.refresh();
    expect(outputs()).toEqual([4, 5]);
  });

  it('forgets a deleted file', async () => {
    const file = await writeTranscript(root, CWD, 'a', [line(1)]);
    await writeTranscript(root, CWD, 'b', [line(2)]);
    await index.refresh();
    await rm(file);
    expect(await index.refresh()).toEqual({ kind: 'rebuild' });
    expect(outputs()).toEqual([2]);
  });

  it('treats a missing folder as empty, and picks it up once it exists', async () => {
    const missing = join(root, 'nowhere');
    const other = createTranscriptIndex([missing], pricer);
    expect(await other.refresh()).toEqual({ kind: 'none' });
    expect(other.roots()).toEqual([{ path: missing, exists: false }]);
    await writeTranscript(missing, CWD, 'a', [line(1)]);
    expect((await other.refresh()).kind).toBe('appended');
    expect(other.roots()).toEqual([{ path: missing, exists: true }]);
  });

  it('leaves a FIFO named .jsonl alone instead of waiting on it', async () => {
    await writeTranscript(root, CWD, 'a', [line(1)]);
    execFileSync('mkfifo', [join(root, 'projects', '-home-dev-shop-app', 'pipe.jsonl')]);
    await symlink('/nonexistent', join(root, 'projects', '-home-dev-shop-app', 'dangling.jsonl'));
    await index.refresh();
    expect(outputs()).toEqual([1]);
    expect([...index.files()]).toHaveLength(1);
  });
});
