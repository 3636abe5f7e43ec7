import { ERROR_STATUS, type ErrorCode } from '../protocol/errors.js';

/**
 * The one error type the engine throws for expected failures (bad input,
 * unknown ids, full queues). Each door turns it into its wire shape in one
 * place; anything else is a bug and is answered as a plain 500.
 */
export class AppError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; details?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = ERROR_STATUS[code];
    this.details = options.details;
  }
}

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
