/**
 * The real `claude` spawned the way a script would, timed from spawn: with
 * stream-json in and out and the argv the app itself builds
 * (server/core/cli/args.ts: a new session's options, permission prompts
 * on), the prompt as one stream-json user message on stdin, stdin closed at
 * the result line (as the app does with warm processes off). A script has
 * the answer at the result line; the process exits a little later. The
 * same argv keeps the comparison about the app, not about flags.
 */
import { spawn } from 'node:child_process';
import { buildCliArgs } from '../server/core/cli/args.js';
import { realClaudePath } from '../test/support/real-claude.js';
import { now } from './clients.js';
import { cpuMs } from './proc.js';

export interface BareTimes {
  /** Spawn to the first stdout line. */
  firstLine: number;
  /** Spawn to the first text_delta. */
  firstText: number;
  /** Spawn to the result line. */
  result: number;
  /** Spawn to the exit. */
  exit: number;
  /** CPU time the CLI had used when its result line arrived. */
  cpuMs: number;
}

export interface BareTurn {
  cwd: string;
  env: Record<string, string>;
  claudeSessionId: string;
  resume: boolean;
  prompt: string;
}

export function bareStreamJson(turn: BareTurn): Promise<BareTimes> {
  const args = buildCliArgs({ options: {}, claudeSessionId: turn.claudeSessionId, resume: turn.resume, permissionPrompts: true });
  return timed(args, turn);
}

function timed(args: string[], turn: BareTurn): Promise<BareTimes> {
  return new Promise((resolve, reject) => {
    const t0 = now();
    const times: BareTimes = { firstLine: NaN, firstText: NaN, result: NaN, exit: NaN, cpuMs: NaN };
    const child = spawn(realClaudePath(), args, { cwd: turn.cwd, env: turn.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let buffer = '';
    let stderr = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (text: string) => {
      const at = now() - t0;
      if (Number.isNaN(times.firstLine)) times.firstLine = at;
      buffer += text;
      for (let nl = buffer.indexOf('\n'); nl !== -1; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        // Substring tests, not JSON.parse (a script would parse; it costs it little). Text
        // inside a line is JSON-escaped, so these match only the line's own fields; the
        // result line does not start with its type.
        if (Number.isNaN(times.firstText) && line.includes('"text_delta"')) times.firstText = at;
        if (Number.isNaN(times.result) && line.includes('"type":"result"')) {
          times.result = at;
          times.cpuMs = cpuMs(child.pid ?? -1);
          child.stdin.end();
        }
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.on('error', () => undefined);
    child.once('error', reject);
    child.once('close', (code) => {
      times.exit = now() - t0;
      if (code !== 0 || Number.isNaN(times.result)) reject(new Error(`claude ${args.join(' ')} exited ${code}: ${stderr.slice(-500)}`));
      else resolve(times);
    });
    child.stdin.write(`${JSON.stringify({ type: 'user', message: { role: 'user', content: turn.prompt } })}\n`);
  });
}
