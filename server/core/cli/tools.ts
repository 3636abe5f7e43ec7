/**
 * What the app shows of a tool call: a one-line summary of its input, and
 * the text of its result, bounded.
 */

type Json = Record<string, unknown>;

export const TOOL_OUTPUT_EXCERPT_CHARS = 4000;
export const TOOL_SUMMARY_CHARS = 160;

/** The field that says what a tool call is about, per well-known tool. */
const SUMMARY_FIELDS: Record<string, readonly string[]> = {
  Bash: ['command'],
  Read: ['file_path'],
  Write: ['file_path'],
  Edit: ['file_path'],
  MultiEdit: ['file_path'],
  NotebookEdit: ['notebook_path'],
  Glob: ['pattern', 'path'],
  Grep: ['pattern', 'path'],
  WebFetch: ['url'],
  WebSearch: ['query'],
  Task: ['description', 'prompt'],
  TodoWrite: [],
};

/** A one-line, bounded description of a tool call's input, for cards and logs. */
export function summariseToolInput(name: string, input: unknown): string {
  if (!input || typeof input !== 'object') return '';
  const record = input as Json;
  const fields = SUMMARY_FIELDS[name] ?? Object.keys(record);
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') return oneLine(value, TOOL_SUMMARY_CHARS);
  }
  if (name === 'TodoWrite' && Array.isArray(record.todos)) return `${record.todos.length} todo(s)`;
  return '';
}

export function toolResultText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part) => {
      const p = part as Json;
      if (p?.type === 'text' && typeof p.text === 'string') return p.text;
      if (p?.type === 'image') return '[image]';
      return '';
    })
    .filter((s) => s !== '')
    .join('\n');
}

function oneLine(text: string, max: number): string {
  return excerpt(text.replace(/\s+/g, ' ').trim(), max);
}

export function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, max - 1)}…`;
}
