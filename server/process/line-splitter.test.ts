import { describe, expect, it } from 'vitest';
import { createLineSplitter } from './child-process.js';

function split(chunks: Buffer[]): string[] {
  const lines: string[] = [];
  const splitter = createLineSplitter((line) => lines.push(line));
  for (const chunk of chunks) splitter.push(chunk);
  splitter.flush();
  return lines;
}

describe('createLineSplitter', () => {
  it('splits on LF, drops a CR before it, and keeps a last line without one', () => {
    expect(split([Buffer.from('one\ntwo\r\nthree')])).toEqual(['one', 'two', 'three']);
  });

  it('joins a line cut across chunks, a multi-byte character included', () => {
    const text = Buffer.from('{"text":"héllo ✓ 😀"}\nnext\n');
    // Cut inside the 4-byte emoji and inside the 2-byte é.
    const cuts = [9, 10, 17, 18, 19, text.length];
    const chunks: Buffer[] = [];
    let start = 0;
    for (const end of cuts) {
      chunks.push(text.subarray(start, end));
      start = end;
    }
    expect(split(chunks)).toEqual(['{"text":"héllo ✓ 😀"}', 'next']);
  });

  it('keeps CR inside a line (only a CR right before LF ends it)', () => {
    expect(split([Buffer.from('a\rb\n')])).toEqual(['a\rb']);
  });

  it('emits nothing for an empty stream and an empty line for a lone LF', () => {
    expect(split([])).toEqual([]);
    expect(split([Buffer.from('\n')])).toEqual(['']);
  });
});
