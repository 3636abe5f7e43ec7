/** The few REST calls the page makes; everything live goes over the WebSocket. */
import type { PermissionMode, SessionView } from '../../server/protocol/events.js';

export interface NewSessionInput {
  name?: string | undefined;
  cwd?: string | undefined;
  permissionMode?: PermissionMode | undefined;
}

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

export async function createSession(input: NewSessionInput): Promise<SessionView> {
  const res = await fetch('/api/sessions', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify(input),
  });
  const body = (await res.json().catch(() => undefined)) as unknown;
  if (!res.ok) {
    const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
    throw new ApiError(res.status, error?.code ?? 'http_error', error?.message ?? `The server answered ${res.status}.`);
  }
  return body as SessionView;
}
