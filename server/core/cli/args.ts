/**
 * Session options -> `claude` argv. Pure, so the mapping is tested on its own.
 *
 * The prompt never goes on the command line: it is written to stdin as a
 * stream-json user message (stdin.ts). That keeps it out of `ps` output, away
 * from the 128 KiB per-argument limit of Linux, lets the same pipe carry
 * control requests (permission answers, interrupts), and lets one process
 * serve many turns (warm sessions).
 */
import type { SessionOptions } from '../../protocol/events.js';

export interface ArgsInput {
  options: SessionOptions;
  claudeSessionId: string;
  /** True when the transcript exists: continue it with `-r`. */
  resume: boolean;
  /** Ask us over stdin before using a tool that needs approval. */
  permissionPrompts: boolean;
  /** Extra flags only the `/chat` gateway passes through. */
  debug?: boolean | string | undefined;
}

export function buildCliArgs(input: ArgsInput): string[] {
  const { options } = input;
  const args = [
    '-p',
    '--input-format',
    'stream-json',
    '--output-format',
    'stream-json',
    '--verbose',
    '--include-partial-messages',
  ];
  args.push(input.resume ? '--resume' : '--session-id', input.claudeSessionId);
  if (options.model) args.push('--model', options.model);
  if (options.systemPrompt !== undefined && options.systemPrompt !== '') args.push('--system-prompt', options.systemPrompt);
  if (options.appendSystemPrompt) args.push('--append-system-prompt', options.appendSystemPrompt);
  if (options.permissionMode) args.push('--permission-mode', options.permissionMode);
  // Comma-joined single values, as the Agent SDK passes them: a variadic flag
  // followed by more variadic flags is ambiguous to the CLI's parser.
  if (options.allowedTools?.length) args.push('--allowedTools', options.allowedTools.join(','));
  if (options.disallowedTools?.length) args.push('--disallowedTools', options.disallowedTools.join(','));
  if (options.tools?.length) args.push('--tools', options.tools.join(','));
  for (const dir of options.addDirs ?? []) args.push('--add-dir', dir);
  for (const config of options.mcpConfig ?? []) args.push('--mcp-config', config);
  if (options.jsonSchema) args.push('--json-schema', options.jsonSchema);
  if (options.agents) args.push('--agents', options.agents);
  if (options.maxTurns !== undefined) args.push('--max-turns', String(options.maxTurns));
  if (input.permissionPrompts) args.push('--permission-prompt-tool', 'stdio');
  if (input.debug === true) args.push('--debug');
  else if (typeof input.debug === 'string' && input.debug !== '') args.push(`--debug=${input.debug}`);
  return args;
}

/**
 * What makes two processes interchangeable for a session: everything in the
 * argv but how the conversation was opened (`--session-id` or `--resume`),
 * plus the folder. A warm process whose fingerprint differs from what the
 * next run needs (an option changed) is not reused.
 */
export function processFingerprint(input: Omit<ArgsInput, 'resume'>, cwd: string): string {
  return JSON.stringify([cwd, buildCliArgs({ ...input, resume: false })]);
}
