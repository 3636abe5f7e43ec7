/**
 * A text file with syntax highlighting, loaded only when the file browser
 * first shows a text file (its own chunk: highlight.js's core and the
 * languages registered below).
 *
 * highlight.js would hand back HTML; we never put a file's contents into
 * the page as HTML. Its token tree (the emitter's root: text and scoped
 * nodes) is built into text nodes and <span class> elements instead, so a
 * file of markup stays text whatever the highlighter does with it.
 */
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import diff from 'highlight.js/lib/languages/diff';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import { h, makeScrollable } from '../../dom.js';
import '../../styles/code-view.css';

/**
 * The languages the server names most (server/core/files.ts), kept few for
 * the chunk's size (about 14 KB gzipped); any other file shows plain.
 * TypeScript's grammar reads JavaScript too, so JavaScript's own is left out.
 */
const LANGUAGES = { bash, diff, go, ini, javascript: typescript, json, markdown, python, rust, typescript, xml, yaml };
for (const [name, language] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, language);

/** Past this, a file is shown plain: highlighting a huge file would stall a phone. */
const MAX_HIGHLIGHT_CHARS = 200_000;

/** A node of highlight.js's token tree (TokenTree in its core). */
interface TokenNode {
  scope?: string | undefined;
  children: Array<TokenNode | string>;
}

function isTokenNode(value: unknown): value is TokenNode {
  return typeof value === 'object' && value !== null && Array.isArray((value as TokenNode).children);
}

/** The CSS classes highlight.js gives a scope: `title.function` is `hljs-title function_`. */
function classOf(scope: string): string {
  if (scope.startsWith('language:')) return `language-${scope.slice(9)}`;
  const [first, ...rest] = scope.split('.');
  return [`hljs-${first ?? ''}`, ...rest.map((piece, i) => `${piece}${'_'.repeat(i + 1)}`)].join(' ');
}

function build(node: TokenNode, into: Node): void {
  for (const child of node.children) {
    if (typeof child === 'string') {
      into.appendChild(document.createTextNode(child));
      continue;
    }
    if (!isTokenNode(child)) continue;
    const target = child.scope ? into.appendChild(h('span', { class: classOf(child.scope) })) : into;
    build(child, target);
  }
}

/** The highlighted text as DOM nodes, or undefined when the language is unknown here or the tree is not as expected. */
function highlighted(text: string, language: string | undefined): DocumentFragment | undefined {
  if (!language || !hljs.getLanguage(language) || text.length > MAX_HIGHLIGHT_CHARS) return undefined;
  try {
    const result = hljs.highlight(text, { language, ignoreIllegals: true });
    const root = (result._emitter as unknown as { root?: unknown }).root;
    if (!isTokenNode(root)) return undefined;
    const fragment = document.createDocumentFragment();
    build(root, fragment);
    return fragment;
  } catch {
    return undefined;
  }
}

/** The file's text with line numbers beside it; scrolls sideways inside its box. */
export function renderCode(text: string, language: string | undefined): HTMLElement {
  const lineCount = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  const numbers = Array.from({ length: Math.max(1, lineCount) }, (_, i) => String(i + 1)).join('\n');
  const code = h('code', { class: language ? `hljs language-${language}` : 'hljs' });
  code.append(highlighted(text, language) ?? document.createTextNode(text));
  // A <section>: in the tab order (to scroll it), so of a kind axe accepts there (focus-order-semantics).
  const box = h('section', { class: 'code-view' }, [h('pre', { class: 'code-lines', 'aria-hidden': 'true' }, [numbers]), h('pre', { class: 'code-text' }, [code])]);
  makeScrollable(box);
  return box;
}
