/**
 * The layering, checked by reading the imports of every source file: no
 * import cycle anywhere, the core imports no HTTP, driver or adapter, the
 * protocol imports nothing of Node, and the web app imports only the
 * protocol from the server.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(ROOT, dir))) {
    const path = join(dir, name);
    if (statSync(join(ROOT, path)).isDirectory()) out.push(...sourceFiles(path));
    else if (/\.ts$/.test(name) && !/\.(test|contract)\.ts$/.test(name) && !name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Module specifiers a file imports (static imports and re-exports; `import type` included). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  for (const m of text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)) found.push(m[1] as string);
  return found;
}

/** A relative specifier as a repository path (`./x.js` -> `dir/x.ts`). */
function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith('.')) return undefined;
  return relative(ROOT, resolve(ROOT, dirname(from), spec)).replace(/\.js$/, '.ts');
}

const files = [...sourceFiles('server'), ...sourceFiles('web')];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

describe('the import graph', () => {
  it('has no cycle', () => {
    const state = new Map<string, 'visiting' | 'done'>();
    const cycles: string[] = [];
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' -> '));
        return;
      }
      state.set(file, 'visiting');
      for (const spec of graph.get(file) ?? []) {
        const target = resolveLocal(file, spec);
        if (target && graph.has(target)) visit(target, [...path, file]);
      }
      state.set(file, 'done');
    };
    for (const file of files) visit(file, []);
    expect(cycles).toEqual([]);
  });

  it('keeps the core free of HTTP, drivers and adapters', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('server/core/'))) {
      for (const spec of graph.get(file) ?? []) {
        const target = resolveLocal(file, spec);
        const external = !spec.startsWith('.') && !spec.startsWith('node:') && spec !== 'zod';
        if (external || (target && !target.startsWith('server/core/') && !target.startsWith('server/protocol/'))) bad.push(`${file} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it('keeps the protocol free of Node, and the web app to the protocol of the server', () => {
    const bad: string[] = [];
    for (const file of files.filter((f) => f.startsWith('server/protocol/'))) {
      for (const spec of graph.get(file) ?? []) if (spec.startsWith('node:') || (!spec.startsWith('.') && spec !== 'zod')) bad.push(`${file} imports ${spec}`);
    }
    for (const file of files.filter((f) => f.startsWith('web/'))) {
      for (const spec of graph.get(file) ?? []) {
        const target = resolveLocal(file, spec);
        if (spec.startsWith('node:') || (target?.startsWith('server/') && !target.startsWith('server/protocol/'))) bad.push(`${file} imports ${spec}`);
      }
    }
    expect(bad).toEqual([]);
  });
});
