/**
 * The one place HTTP turns errors into `{ "error": { code, message } }`.
 * AppErrors carry their own status; body-parser's errors are mapped to ours;
 * anything else is a bug: logged with its stack, answered as a plain 500.
 */
import type { ErrorRequestHandler, Express, Request, RequestHandler, Response } from 'express';
import type { z } from 'zod';
import { AppError, isAppError } from '../core/errors.js';
import type { ErrorBody } from '../protocol/errors.js';
import type { Logger } from '../log.js';

export function sendError(res: Response, err: AppError): void {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (err.details !== undefined) body.error.details = err.details;
  res.status(err.status).json(body);
}

interface BodyParserError extends Error {
  type?: string;
  status?: number;
}

/**
 * Keeps the session and run a request is about where the error handler can
 * read them (Express has reset `req.params` by then), so that its log line
 * carries them like every other line about a run.
 */
export function rememberIds(app: Express): void {
  const keep = (key: 'sessionId' | 'runId') => (_req: Request, res: Response, next: () => void, id: string) => {
    res.locals[key] = id;
    next();
  };
  app.param('id', keep('sessionId'));
  app.param('runId', keep('runId'));
  app.param('processId', keep('runId'));
}

/** What a log line about a request says: never its query, headers or body. */
function about(req: Request, res: Response): Record<string, unknown> {
  return { method: req.method, path: req.path, sessionId: res.locals.sessionId, runId: res.locals.runId };
}

export function errorMiddleware(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    if (res.headersSent) {
      // A stream already started: the client sees the connection end.
      log.warn('error after the response started', { ...about(req, res), err });
      res.destroy();
      return;
    }
    if (isAppError(err)) return sendError(res, err);
    const bp = err as BodyParserError;
    // The client went away (or was cut off for sending too slowly) mid-body: nobody to answer.
    if (bp?.type === 'request.aborted') {
      res.destroy();
      return;
    }
    if (bp?.type === 'entity.parse.failed') return sendError(res, new AppError('invalid_json', 'The request body is not valid JSON.'));
    if (bp?.type === 'entity.too.large') {
      const { limit } = bp as BodyParserError & { limit?: number };
      return sendError(res, new AppError('payload_too_large', `The request body is too large${limit ? ` (the limit here is ${limit} bytes)` : ''}.`));
    }
    if (bp?.type === 'encoding.unsupported' || bp?.type === 'charset.unsupported') {
      return sendError(res, new AppError('bad_request', 'Unsupported body encoding.'));
    }
    log.error('unhandled error', { ...about(req, res), err });
    sendError(res, new AppError('internal', 'Internal server error.'));
    void next;
  };
}

export const notFoundHandler: RequestHandler = (req, res) => {
  sendError(res, new AppError('not_found', `No route ${req.method} ${req.path}.`));
};

/** Parses untrusted input once; a mismatch is a 400 that names each bad field. */
export function parse<S extends z.ZodType>(schema: S, value: unknown, what = 'request body'): z.infer<S> {
  const result = schema.safeParse(value ?? undefined);
  if (result.success) return result.data;
  const details = result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  const summary = details.map((d) => (d.path ? `${d.path}: ${d.message}` : d.message)).join('; ');
  throw new AppError('validation_failed', `Invalid ${what}: ${summary}`, { details });
}
