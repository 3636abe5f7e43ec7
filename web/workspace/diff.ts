/**
 * A unified diff (`git diff` format, as GET .../changes answers it) split
 * into files, each into hunks, each into numbered lines: what the Changes
 * view needs to show one file's diff at a time on a phone. Pure; no DOM.
 * Lines are kept as text: the view puts them into text nodes.
 */

export interface DiffLine {
  kind: 'add' | 'del' | 'ctx' | 'note';
  /** The line without its `+`, `-` or space. */
  text: string;
  /** Its number in the old file (deleted and context lines). */
  oldNo?: number | undefined;
  /** Its number in the new file (added and context lines). */
  newNo?: number | undefined;
}

export interface DiffHunk {
  /** `@@ -1,4 +1,5 @@ function name`, as git wrote it. */
  header: string;
  lines: DiffLine[];
}

export interface FileDiff {
  /** The file's path (the new one; the old one for a deletion), `/`-separated. */
  path: string;
  /** git's header lines before the first hunk (`new file mode`, `rename from`, …). */
  meta: string[];
  binary: boolean;
  hunks: DiffHunk[];
}

const HUNK_HEADER = /^@@ -(\d+)(?:,\d+)? \+(\d+)(?:,\d+)? @@/;

/** Splits a whole diff into its files, in order. Text before the first `diff --git` is ignored. */
export function splitDiff(diff: string): FileDiff[] {
  const files: FileDiff[] = [];
  let file: FileDiff | undefined;
  let hunk: DiffHunk | undefined;
  let oldNo = 0;
  let newNo = 0;
  for (const line of diff.split('\n')) {
    if (line.startsWith('diff --git ')) {
      file = { path: pathOfHeader(line.slice('diff --git '.length)), meta: [], binary: false, hunks: [] };
      files.push(file);
      hunk = undefined;
      continue;
    }
    if (!file) continue;
    const header = HUNK_HEADER.exec(line);
    if (header) {
      hunk = { header: line, lines: [] };
      file.hunks.push(hunk);
      oldNo = Number(header[1]);
      newNo = Number(header[2]);
      continue;
    }
    if (!hunk) {
      readMeta(file, line);
      continue;
    }
    if (line.startsWith('+')) hunk.lines.push({ kind: 'add', text: line.slice(1), newNo: newNo++ });
    else if (line.startsWith('-')) hunk.lines.push({ kind: 'del', text: line.slice(1), oldNo: oldNo++ });
    else if (line.startsWith(' ')) hunk.lines.push({ kind: 'ctx', text: line.slice(1), oldNo: oldNo++, newNo: newNo++ });
    else if (line.startsWith('\\')) hunk.lines.push({ kind: 'note', text: line.slice(1).trim() });
    // An empty line ends the diff (its trailing newline); anything else is not ours to show.
  }
  return files;
}

/** A header line before the hunks: `+++ b/path` settles the path; a binary file says so. */
function readMeta(file: FileDiff, line: string): void {
  if (line === '') return;
  if (line.startsWith('Binary files ') || line === 'GIT binary patch') file.binary = true;
  if (line.startsWith('+++ ') && line !== '+++ /dev/null') file.path = stripPrefix(unquote(line.slice(4)));
  else if (line.startsWith('--- ') && line !== '--- /dev/null' && file.path === '') file.path = stripPrefix(unquote(line.slice(4)));
  else if (line.startsWith('rename to ')) file.path = unquote(line.slice('rename to '.length));
  if (!line.startsWith('--- ') && !line.startsWith('+++ ')) file.meta.push(line);
}

/**
 * The path of `a/P b/P` (the common case: the same path twice), or of a
 * quoted pair. For a rename the `+++` or `rename to` line corrects it later.
 */
function pathOfHeader(rest: string): string {
  if (rest.startsWith('"')) {
    const end = rest.indexOf('" ', 1);
    const second = end < 0 ? '' : rest.slice(end + 2);
    return stripPrefix(unquote(second || rest));
  }
  // "a/P b/P": both halves have the same length, so the split is in the middle.
  if ((rest.length - 1) % 2 === 0) {
    const half = (rest.length - 1) / 2;
    const left = rest.slice(0, half);
    const right = rest.slice(half + 1);
    if (rest[half] === ' ' && left.slice(2) === right.slice(2)) return right.slice(2);
  }
  const space = rest.indexOf(' b/');
  return space < 0 ? '' : rest.slice(space + 3);
}

function stripPrefix(path: string): string {
  return path.startsWith('a/') || path.startsWith('b/') ? path.slice(2) : path;
}

/** git quotes a path with unusual bytes: "a/na\"me\303\251" (C escapes, octal UTF-8 bytes). */
function unquote(path: string): string {
  if (!path.startsWith('"') || !path.endsWith('"') || path.length < 2) return path;
  const bytes: number[] = [];
  const body = path.slice(1, -1);
  const encoder = new TextEncoder();
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c !== '\\') {
      bytes.push(...encoder.encode(c));
      continue;
    }
    const next = body[i + 1] ?? '';
    const octal = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
    if (octal) {
      bytes.push(parseInt(octal[0], 8));
      i += 3;
    } else {
      bytes.push(...encoder.encode(ESCAPES[next] ?? next));
      i += 1;
    }
  }
  return new TextDecoder().decode(new Uint8Array(bytes));
}

const ESCAPES: Record<string, string> = { n: '\n', t: '\t', '"': '"', '\\': '\\', a: '\x07', b: '\b', f: '\f', r: '\r', v: '\v' };

/** The diff of each path, for looking up a file of the list by its path. */
export function diffsByPath(diff: string): Map<string, FileDiff> {
  return new Map(splitDiff(diff).map((f) => [f.path, f]));
}
