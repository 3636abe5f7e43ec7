/**
 * The HTTP door of a session's workspace: its changes and the file
 * browser's reads. Each handler validates, calls one engine method,
 * serialises. Files are sent as the model's output, never as pages of ours.
 */
import type { Response } from 'express';
import { createReadStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import type { Engine } from '../core/engine.js';
import { AppError } from '../core/errors.js';
import type { ServedFile } from '../core/workspace.js';
import { fileQuerySchema, fileRawQuerySchema, idSchema, isTrue } from '../protocol/api.js';
import { parse } from './errors.js';
import type { RouteHandlers } from './handlers.js';

/** The largest file served (storage downloads and the file browser). */
export const MAX_STORAGE_FILE_BYTES = 10 * 1024 * 1024;

export function workspaceHandlers(engine: Engine): RouteHandlers<'changes' | 'fileText' | 'fileRaw'> {
  return {
    async changes(req, res) {
      res.json(await engine.changes(parse(idSchema, req.params.id, 'session id')));
    },

    async fileText(req, res) {
      const { path } = parse(fileQuerySchema, req.query, 'query');
      res.json(await engine.fileText(parse(idSchema, req.params.id, 'session id'), path));
    },

    async fileRaw(req, res) {
      const { path, download } = parse(fileRawQuerySchema, req.query, 'query');
      sendFile(res, await engine.file(parse(idSchema, req.params.id, 'session id'), path, isTrue(download)), path);
    },
  };
}

/**
 * Sends a file of a session folder. Its bytes are the model's output, not
 * ours: never rendered as a page in our origin (no HTML type, no sniffing,
 * a sandbox), and an image is shown inline only with an image type.
 */
export function sendFile(res: Response, file: ServedFile, relPath: string): void {
  if (file.size > MAX_STORAGE_FILE_BYTES) {
    throw new AppError('payload_too_large', `${relPath} is ${file.size} bytes; files over ${MAX_STORAGE_FILE_BYTES} are not served.`);
  }
  res.setHeader('Content-Type', file.contentType);
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  const name = file.name.replace(/["\\\r\n]/g, '_').replace(/[^\x20-\x7e]/g, '_');
  res.setHeader('Content-Disposition', `${file.inline ? 'inline' : 'attachment'}; filename="${name}"; filename*=UTF-8''${encodeURIComponent(file.name)}`);
  res.setHeader('Content-Length', String(file.size));
  res.setHeader('Cache-Control', 'no-store');
  // pipeline, not pipe: a read error (the file vanished) must end this
  // response, not surface as an unhandled 'error' event.
  pipeline(createReadStream(file.realPath), res).catch(() => res.destroy());
}
