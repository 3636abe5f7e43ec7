/**
 * Slash commands typed in the message box, and their completion. Known
 * commands are handled by the app; anything else starting with "/" goes to
 * Claude as an ordinary prompt.
 */
export interface CommandSpec {
  name: '/clear' | '/cost' | '/model' | '/help';
  args?: string;
  help: string;
}

export const COMMANDS: readonly CommandSpec[] = [
  { name: '/clear', help: 'Start a new conversation in this session (same folder).' },
  { name: '/cost', help: 'Show what this session and today have cost.' },
  { name: '/model', args: 'NAME', help: 'Use another model from the next prompt on, e.g. sonnet, opus, haiku. Without a name: show it.' },
  { name: '/help', help: 'List these commands.' },
];

export interface ParsedCommand {
  name: CommandSpec['name'];
  arg: string;
}

/** The command a message is, if it is one of ours. */
export function parseCommand(text: string): ParsedCommand | undefined {
  const match = /^\s*(\/[a-z]+)(?:\s+([\s\S]*))?$/.exec(text);
  if (!match) return undefined;
  const spec = COMMANDS.find((c) => c.name === match[1]);
  return spec ? { name: spec.name, arg: (match[2] ?? '').trim() } : undefined;
}

/** Commands that complete what is typed: only while the text is "/" plus a partial name. */
export function completionsFor(text: string): readonly CommandSpec[] {
  if (!/^\/[a-z]*$/.test(text)) return [];
  return COMMANDS.filter((c) => c.name.startsWith(text) && c.name !== text);
}

export function helpText(): string {
  return COMMANDS.map((c) => `${c.name}${c.args ? ` ${c.args}` : ''}: ${c.help}`).join('\n');
}
