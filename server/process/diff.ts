/** The text differ the permission cards use: the `diff` package's unified patch of one file. */
import { createTwoFilesPatch } from 'diff';
import type { TextDiffer } from '../core/ports.js';

export const unifiedDiff: TextDiffer = (path, before, after) =>
  // Drop the "Index"/"====" header: the card names the file itself.
  createTwoFilesPatch(path, path, before, after, '', '', { context: 3 })
    .split('\n')
    .filter((line, i) => !(i < 2 && (line.startsWith('Index:') || line.startsWith('====='))))
    .join('\n');
