/**
 * Helpers for tests that create sessions and follow their runs through the
 * HTTP API of a test server (see server.ts).
 */
import { expect } from 'vitest';
import type { ServerEvent } from '../../server/protocol/events.js';
import type { Worktree } from '../../server/protocol/workspace.js';
import { collectEvents, fake, finishedRuns, type TestServer } from './server.js';

export type EventOf<T extends ServerEvent['type']> = Extract<ServerEvent, { type: T }>;

export interface SessionJson {
  id: string;
  session_id: string;
  name: string;
  cwd: string;
  claudeSessionId: string;
  lastSeq: number;
  ownFolder: boolean;
  worktree?: Worktree;
}

export async function newSession(server: TestServer, body: Record<string, unknown> = {}): Promise<SessionJson> {
  const res = await server.api('POST', '/api/sessions', body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as SessionJson;
}

/** Queues a prompt (with any other body fields, e.g. a clientRequestId); resolves with the 202's body. */
export async function queuePrompt(server: TestServer, sessionId: string, prompt: string, extra: Record<string, unknown> = {}) {
  const res = await server.api('POST', `/api/sessions/${sessionId}/messages`, { prompt, ...extra });
  expect(res.status, JSON.stringify(res.body)).toBe(202);
  return res.body as { runId: string; position: number; duplicate: boolean };
}

/** Queues a prompt; resolves with its run id. */
export async function submit(server: TestServer, sessionId: string, prompt: string): Promise<string> {
  return (await queuePrompt(server, sessionId, prompt)).runId;
}

export const isRunEnd = (runId: string) => (e: ServerEvent) => e.type === 'run.finished' && e.runId === runId;

/** Every event of one run, read from the session's SSE stream until its run.finished. */
export async function runEvents(server: TestServer, sessionId: string, runId: string, after = 0): Promise<ServerEvent[]> {
  const events = await collectEvents(server, sessionId, (all) => all.some(isRunEnd(runId)), { after, timeoutMs: 80_000 });
  return events.filter((e) => 'runId' in e && e.runId === runId);
}

export function only<T extends ServerEvent['type']>(events: ServerEvent[], type: T): EventOf<T>[] {
  return events.filter((e): e is EventOf<T> => e.type === type);
}

export function finishedOf(events: ServerEvent[]): EventOf<'run.finished'> {
  const [finished] = finishedRuns(events);
  if (!finished) throw new Error(`no run.finished in ${events.map((e) => e.type).join(', ')}`);
  return finished;
}

/** Submits a prompt and waits for its run to end; returns its events and the pid it ran in. */
export async function runPrompt(server: TestServer, sessionId: string, prompt: string) {
  const runId = await submit(server, sessionId, prompt);
  const events = await runEvents(server, sessionId, runId);
  const started = only(events, 'run.started')[0];
  return { runId, events, finished: finishedOf(events), pid: started?.pid ?? -1 };
}

/** Waits for a run's permission request (the `index`-th, from 0) and returns it. */
export async function permissionRequested(server: TestServer, sessionId: string, runId: string, index = 0, timeoutMs?: number): Promise<EventOf<'permission.requested'>> {
  const isIt = (e: ServerEvent): e is EventOf<'permission.requested'> => e.type === 'permission.requested' && e.runId === runId;
  const events = await collectEvents(server, sessionId, (all) => all.filter(isIt).length > index, timeoutMs === undefined ? {} : { timeoutMs });
  return events.filter(isIt)[index] as EventOf<'permission.requested'>;
}

/** A prompt for the scripted CLI: Bash, asked for first, then a last word. */
export const askBash = (command: string) => fake([{ tool: { name: 'Bash', input: { command }, output: 'ok', ask: true } }, { text: 'done' }]);
