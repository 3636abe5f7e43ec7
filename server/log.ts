/** A small leveled logger writing one line per entry to stderr. */
export interface Logger {
  debug(message: string, extra?: unknown): void;
  info(message: string, extra?: unknown): void;
  warn(message: string, extra?: unknown): void;
  error(message: string, extra?: unknown): void;
}

const LEVELS = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 } as const;
export type LogLevel = keyof typeof LEVELS;

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(`${l}\n`)): Logger {
  const threshold = LEVELS[level];
  const at = (name: Exclude<LogLevel, 'silent'>) => (message: string, extra?: unknown) => {
    if (LEVELS[name] < threshold) return;
    let tail = '';
    if (extra instanceof Error) tail = ` ${extra.stack ?? extra.message}`;
    else if (extra !== undefined) tail = ` ${safeJson(extra)}`;
    write(`${new Date().toISOString()} ${name.toUpperCase().padEnd(5)} ${message}${tail}`);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return String(value);
  }
}
