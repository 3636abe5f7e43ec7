/**
 * A handler for every route of the table (server/protocol/routes.ts). Each
 * resource file provides the handlers of its routes; app.ts puts them
 * together, and the compiler checks that no route lacks one.
 */
import type { RequestHandler } from 'express';
import type { RouteId } from '../protocol/routes.js';

/** One handler, or a few (small body parsers first) for the public routes that read a body. */
export type RouteHandler = RequestHandler | RequestHandler[];

export type RouteHandlers<K extends RouteId = RouteId> = Record<K, RouteHandler>;
