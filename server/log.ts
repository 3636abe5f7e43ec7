/**
 * The server's logger: pino underneath, the small `Logger` interface on top
 * (so no module but this one knows pino). Lines go to stderr: stdout carries
 * the tunnel's banner and QR code.
 *
 * - JSON, one object per line, for a log shipper (journald, Loki, jq): the
 *   message is `msg`, the level a name (`"level":"warn"`), the time ISO. The
 *   fields of a context (`sessionId`, `runId`, `err` with its stack, ...)
 *   become fields of the line, so an operator can filter on a run.
 * - Readable lines (pino-pretty, in this process and synchronously: no
 *   worker thread, and nothing lost when the process exits right after).
 *   `auto` picks readable when the log's own stream, stderr, is a terminal.
 *
 * Secrets: our code never passes one (a test drives logins, wrong logins,
 * runs and a failing tunnel and searches the output). As a second lock,
 * fields with the names secrets travel under are replaced before a line is
 * written (REDACT_PATHS).
 */
import { Writable } from 'node:stream';
import { pino, stdSerializers, type DestinationStream, type Logger as Pino } from 'pino';
import { build as prettyStream } from 'pino-pretty';

/** A leveled logger; `extra` is a context object (its fields join the line), an Error, or any value. */
export interface Logger {
  debug(message: string, extra?: unknown): void;
  info(message: string, extra?: unknown): void;
  warn(message: string, extra?: unknown): void;
  error(message: string, extra?: unknown): void;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFormat = 'auto' | 'json' | 'pretty';

export interface LoggerOptions {
  format?: LogFormat | undefined;
  /** Receives each line without its newline (tests). Default: stderr. */
  write?: ((line: string) => void) | undefined;
}

/**
 * Field paths whose values are replaced by `[Redacted]`: the names under
 * which a secret could reach a log line (a request's headers, a config
 * object, a login body), at the top and one level down.
 */
export const REDACT_PATHS: readonly string[] = [
  ...['password', 'token', 'authtoken', 'authorization', 'cookie', 'authPassword', 'authToken', 'ngrokAuthtoken', 'redisUrl', 'redisPassword'].flatMap((k) => [k, `*.${k}`]),
  'req.headers.authorization',
  'req.headers.cookie',
  '*.headers["set-cookie"]',
];

export function createLogger(level: LogLevel, options: LoggerOptions = {}): Logger {
  const destination = options.write ? lineSink(options.write) : undefined;
  const pretty = options.format === 'pretty' || ((options.format ?? 'auto') === 'auto' && !options.write && process.stderr.isTTY === true);
  const base = pretty ? prettyLogger(level, destination) : jsonLogger(level, destination);
  const at = (name: Exclude<LogLevel, 'silent'>) => (message: string, extra?: unknown) => {
    const fields = contextFields(extra);
    if (fields) base[name](fields, message);
    else base[name](message);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

const COMMON = {
  // No pid or hostname on every line: the service manager records where a line came from.
  base: null,
  redact: { paths: [...REDACT_PATHS], censor: '[Redacted]' },
  // Under `err` whatever was thrown: an Error becomes {type, message, stack}.
  serializers: { err: stdSerializers.err },
};

function jsonLogger(level: LogLevel, destination: DestinationStream | undefined): Pino {
  return pino(
    {
      ...COMMON,
      level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    // Synchronous, as stderr on a pipe already is: a line logged just before process.exit() is not lost.
    destination ?? pino.destination({ dest: 2, sync: true }),
  );
}

function prettyLogger(level: LogLevel, destination: DestinationStream | undefined): Pino {
  const stream = prettyStream({
    sync: true,
    colorize: !destination && process.stderr.isTTY === true,
    translateTime: 'SYS:HH:MM:ss.l',
    singleLine: true,
    destination: destination ? new Writable({ write: (chunk, _enc, done) => (destination.write(String(chunk)), done()) }) : 2,
  });
  return pino({ ...COMMON, level }, stream);
}

/** What a caller passed as `extra`, as fields of the line. */
function contextFields(extra: unknown): Record<string, unknown> | undefined {
  if (extra === undefined) return undefined;
  if (extra instanceof Error) return { err: extra };
  if (typeof extra === 'object' && extra !== null && !Array.isArray(extra)) return extra as Record<string, unknown>;
  return { extra };
}

function lineSink(write: (line: string) => void): DestinationStream {
  return { write: (text: string) => write(text.endsWith('\n') ? text.slice(0, -1) : text) };
}
