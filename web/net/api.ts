/** The REST calls the app makes; everything live goes over the WebSocket. Shapes come from server/protocol. */
import type { z } from 'zod';
import type { CreateSessionBody } from '../../server/protocol/api.js';
import type { ServerEvent } from '../../server/protocol/events.js';
import type { deletedSchema, FolderListing, Health, SessionResponse, SessionStats, storageListingSchema } from '../../server/protocol/responses.js';
import type { UsageAnswer } from '../../server/protocol/usage.js';
import type { Changes, FileText } from '../../server/protocol/workspace.js';

/** What the new-session form sets. */
export type NewSessionInput = Pick<CreateSessionBody, 'name' | 'cwd' | 'model' | 'permissionMode' | 'worktree' | 'baseRef'>;
export type Deleted = z.infer<typeof deletedSchema>;
export type StorageListing = z.infer<typeof storageListingSchema>;

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { Accept: 'application/json', ...(body !== undefined ? { 'Content-Type': 'application/json' } : {}) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, 'offline', 'The server cannot be reached.');
  }
  const json = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) {
    const error = (json as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The server answered ${res.status}.`);
  }
  return json as T;
}

const sessionPath = (id: string) => `/api/sessions/${encodeURIComponent(id)}`;

export const createSession = (input: NewSessionInput) => call<SessionResponse>('POST', '/api/sessions', input);

export const updateSession = (id: string, patch: { name?: string; model?: string }) =>
  call<SessionResponse>('PATCH', sessionPath(id), patch);

/** `purge`: also remove the session's worktree (git keeps its branch) or the folder the server made for it. */
export const deleteSession = (id: string, purge = false) => call<Deleted>('DELETE', `${sessionPath(id)}${purge ? '?purge=true' : ''}`);

export const clearConversation = (id: string) => call<SessionResponse>('POST', `${sessionPath(id)}/clear`);

/** What changed in the session's folder (git), with the diff. */
export const changes = (id: string) => call<Changes>('GET', `${sessionPath(id)}/changes`);

/** A folder of the session's folder ('' is the folder itself). */
export const listStorage = (id: string, path: string) => call<StorageListing>('GET', `${sessionPath(id)}/storage?path=${encodeURIComponent(path)}`);

export const fileText = (id: string, path: string) => call<FileText>('GET', `${sessionPath(id)}/files/text?path=${encodeURIComponent(path)}`);

/** The address of a file of the session's folder: an image for an <img>, or (download) a file to save. */
export const fileUrl = (id: string, path: string, download = false) =>
  `${sessionPath(id)}/files/raw?path=${encodeURIComponent(path)}${download ? '&download=1' : ''}`;

/** Lets a queue paused after a billing or usage-limit failure go on. */
export const resumeSession = (id: string) => call<SessionResponse>('POST', `${sessionPath(id)}/resume`);

/** What the session's runs came to: outcomes, error kinds, tools, cost, tokens, the last error. */
export const sessionStats = (id: string) => call<SessionStats>('GET', `${sessionPath(id)}/stats`);

/** Stops allowing a tool for the rest of the session without asking. */
export const revokeAllowedTool = (id: string, tool: string) =>
  call<SessionResponse>('DELETE', `${sessionPath(id)}/allowed-tools/${encodeURIComponent(tool)}`);

/** Restarts the server in place (202); 409 when nothing would start it again. */
export const restartServer = () => call<{ restarting: true }>('POST', '/api/admin/restart');

export const listRoots = () => call<{ roots: string[] }>('GET', '/api/roots');

export const listFolders = (path: string) => call<FolderListing>('GET', `/api/folders?path=${encodeURIComponent(path)}`);

/** This machine's usage from the CLI's transcripts, and `server`: today's runs through this server. */
export const usage = () => call<UsageAnswer>('GET', '/api/usage');

export const history = (id: string, beforeRun: string, runs = 50) =>
  call<{ events: ServerEvent[]; hasEarlier: boolean; firstRunId?: string }>(
    'GET',
    `${sessionPath(id)}/history?beforeRun=${encodeURIComponent(beforeRun)}&runs=${runs}`,
  );

export interface ServerHealth {
  authEnabled: boolean;
  tunnel?: Health['tunnel'];
}

/** What the authenticated /health and /api/auth/me tell the app about the server. */
export async function serverHealth(): Promise<ServerHealth> {
  const [health, me] = await Promise.all([call<Health>('GET', '/health'), call<{ authEnabled: boolean }>('GET', '/api/auth/me')]);
  return { authEnabled: me.authEnabled, tunnel: health.tunnel };
}
