/**
 * The `claude-remote` command runs the server as a child process and starts
 * it again when it exits with RESTART_EXIT_CODE: what "Restart" in the app
 * asks for (after pulling new code, say), keeping the port and the tunnel's
 * fixed domain, since the child reads the same settings. Any other exit ends
 * the command with the child's status. Under systemd the unit runs the
 * server directly and `Restart=on-failure` does the same.
 */
import { spawn } from 'node:child_process';

export const RESTART_EXIT_CODE = 75;
/** Signals the child got from the terminal or the service manager too: forward them only if it did not react. */
const FORWARD_AFTER_MS = 1500;

export interface SuperviseOptions {
  /** The server's entry file. */
  entry: string;
  /** Node flags for the child (tests run the TypeScript entry with `--import tsx`). */
  nodeArgs?: string[];
  args: string[];
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** Runs the server until it exits for good; resolves with its last exit status. */
export async function supervise(options: SuperviseOptions): Promise<number> {
  const log = options.log ?? ((line) => process.stderr.write(`${line}\n`));
  for (let starts = 1; ; starts++) {
    const code = await runOnce(options);
    if (code !== RESTART_EXIT_CODE) return code;
    log(`claude-remote: the server asked to be restarted; starting it again (start ${starts + 1})`);
  }
}

function runOnce(options: SuperviseOptions): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [...(options.nodeArgs ?? []), options.entry, ...options.args], {
      stdio: 'inherit',
      env: { ...(options.env ?? process.env), CLAUDE_REMOTE_SUPERVISED: '1' },
    });
    const forward = (signal: NodeJS.Signals) => () => {
      // Ctrl+C and systemd's stop reach the whole group: the child usually has the signal already.
      const timer = setTimeout(() => child.kill(signal), FORWARD_AFTER_MS);
      timer.unref();
    };
    const handlers = (['SIGINT', 'SIGTERM', 'SIGHUP'] as const).map((signal) => {
      const handler = forward(signal);
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });
    child.once('exit', (code, signal) => {
      for (const off of handlers) off();
      resolve(code ?? (signal ? 128 + 15 : 1));
    });
  });
}
