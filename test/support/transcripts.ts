/**
 * Crafted CLI transcripts: lines shaped like the ones @anthropic-ai/claude-code
 * 2.1.330 writes under `<config>/projects/<folder>/<session>.jsonl` (seen
 * against the fake API), with the fields the usage scanner and ccusage read.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface AssistantSpec {
  at: Date | string | number;
  model?: string;
  input?: number;
  output?: number;
  cacheWrite?: number;
  cacheRead?: number;
  /** Message and request id; the CLI repeats both on each content block's line. */
  messageId?: string;
  requestId?: string;
  costUSD?: number;
  cwd?: string;
  sessionId?: string;
  speed?: 'standard' | 'fast';
  text?: string;
}

const iso = (at: Date | string | number) => new Date(at).toISOString();

/** The CLI's folder name for a working folder: "/" and "." become "-". */
export const projectFolderName = (cwd: string) => cwd.replace(/[/.]/g, '-');

export function assistantLine(spec: AssistantSpec): string {
  const id = spec.messageId ?? `msg_${randomUUID()}`;
  return JSON.stringify({
    parentUuid: randomUUID(),
    isSidechain: false,
    message: {
      id,
      type: 'message',
      role: 'assistant',
      model: spec.model ?? 'claude-sonnet-4-20250514',
      content: [{ type: 'text', text: spec.text ?? 'Done.' }],
      stop_reason: 'end_turn',
      stop_sequence: null,
      usage: {
        input_tokens: spec.input ?? 0,
        cache_creation_input_tokens: spec.cacheWrite ?? 0,
        cache_read_input_tokens: spec.cacheRead ?? 0,
        output_tokens: spec.output ?? 0,
        service_tier: 'standard',
        cache_creation: { ephemeral_1h_input_tokens: 0, ephemeral_5m_input_tokens: spec.cacheWrite ?? 0 },
        speed: spec.speed ?? 'standard',
      },
    },
    requestId: spec.requestId ?? `req_${id}`,
    type: 'assistant',
    uuid: randomUUID(),
    timestamp: iso(spec.at),
    ...(spec.costUSD !== undefined ? { costUSD: spec.costUSD } : {}),
    userType: 'external',
    cwd: spec.cwd ?? '/home/dev/project',
    sessionId: spec.sessionId ?? '6a1d5f0c-0000-4000-8000-000000000000',
    version: '2.1.330',
    gitBranch: 'main',
  });
}

export function userLine(at: Date | string | number, text: string, cwd = '/home/dev/project'): string {
  return JSON.stringify({
    parentUuid: null,
    isSidechain: false,
    type: 'user',
    message: { role: 'user', content: text },
    uuid: randomUUID(),
    timestamp: iso(at),
    cwd,
    sessionId: '6a1d5f0c-0000-4000-8000-000000000000',
    version: '2.1.330',
  });
}

/** Writes `<configDir>/projects/<folder of cwd>/<session>.jsonl`; returns its path. */
export async function writeTranscript(configDir: string, cwd: string, session: string, lines: string[]): Promise<string> {
  const dir = join(configDir, 'projects', projectFolderName(cwd));
  await mkdir(dir, { recursive: true });
  const file = join(dir, `${session}.jsonl`);
  await writeFile(file, lines.map((l) => `${l}\n`).join(''));
  return file;
}

export async function appendLines(file: string, lines: string[]): Promise<void> {
  await appendFile(file, lines.map((l) => `${l}\n`).join(''));
}
