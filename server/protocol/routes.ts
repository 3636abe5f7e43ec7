/**
 * Every HTTP route, written down once. The server registers its handlers
 * from this table (server/http/app.ts: a handler per id, checked by the
 * compiler), the OpenAPI document and /docs are generated from it, and the
 * dev server (vite.config.ts) proxies and the service worker leaves alone
 * the path prefixes it lists. A test fails when a route is served that this
 * table does not describe.
 *
 * Paths are in Express's syntax (`:id`); the OpenAPI document writes `{id}`.
 */
import type { z } from 'zod';
import {
  chatSchema,
  createSessionSchema,
  eventsQuerySchema,
  executeSchema,
  fileQuerySchema,
  fileRawQuerySchema,
  foldersQuerySchema,
  historyQuerySchema,
  loginSchema,
  permissionAnswerSchema,
  purgeQuerySchema,
  rawQuerySchema,
  storageQuerySchema,
  submitSchema,
  updateSessionSchema,
} from './api.js';
import {
  authMeSchema,
  cancelResultSchema,
  chatCancelledSchema,
  deletedSchema,
  executeResultSchema,
  folderListingSchema,
  gatewayProcessListSchema,
  healthSchema,
  historySchema,
  interruptResultSchema,
  loggedOutEverywhereSchema,
  okSchema,
  permissionAnsweredSchema,
  processListSchema,
  restartingSchema,
  queueSchema,
  rootsSchema,
  runListSchema,
  sessionListSchema,
  sessionResponseSchema,
  sessionStatsSchema,
  storageListingSchema,
} from './responses.js';
import {
  pushDeletedSchema,
  pushSubscriptionCreatedSchema,
  pushSubscriptionListSchema,
  pushSubscriptionSchema,
  vapidPublicKeySchema,
} from './push.js';
import { runJsonSchema, submitResultSchema } from './runs.js';
import { usageAnswerSchema } from './usage.js';
import { changesSchema, fileTextSchema } from './workspace.js';

export interface RouteSpec {
  method: 'get' | 'post' | 'patch' | 'delete';
  path: string;
  /** `public`: no credentials needed. `user`: a login, token or Basic credentials (when a secret is set). */
  access: 'public' | 'user';
  summary: string;
  body?: z.ZodType;
  query?: z.ZodType;
  /** The JSON answer of the first success status. */
  response?: z.ZodType;
  /** Status codes and what they mean; errors are `{error: {code, message}}`. */
  statuses: Readonly<Record<number, string>>;
  /** The body may carry attachments: its limit grows with MAX_ATTACHMENT_MB (see `attachmentsBodyBytes`). */
  largeBody?: boolean;
  /** How the answer comes when it is not one JSON document. */
  kind?: 'sse' | 'html' | 'file-or-json' | 'upgrade' | 'prometheus';
}

const sessionRoutes = {
  createSession: {
    method: 'post', path: '/api/sessions', access: 'user', body: createSessionSchema, response: sessionResponseSchema,
    summary:
      'Create a session (cwd inside ALLOWED_ROOTS, or a fresh folder of its own). With `worktree: true` (cwd in a git repository): a new git worktree under WORKTREES_DIR on a new branch named after the session, from `baseRef` or what cwd has checked out; the view\'s `worktree` says where.',
    statuses: {
      201: 'the session',
      400: 'bad input, path not allowed, not a git repository, a baseRef that names no commit',
      403: 'refused by the owner\'s policy',
      409: 'git_failed: git refused to make the worktree (its words)',
      503: 'git_unavailable: git is not installed (or GIT_PATH is wrong)',
    },
  },
  listSessions: { method: 'get', path: '/api/sessions', access: 'user', summary: 'List sessions.', response: sessionListSchema, statuses: { 200: '{sessions}' } },
  getSession: {
    method: 'get', path: '/api/sessions/:id', access: 'user', response: sessionResponseSchema,
    summary: 'One session: ids, name, cwd, options, status, queueLength, totals.', statuses: { 200: 'the session', 404: 'session_not_found' },
  },
  updateSession: {
    method: 'patch', path: '/api/sessions/:id', access: 'user', body: updateSessionSchema, response: sessionResponseSchema,
    summary: 'Rename, change options.', statuses: { 200: 'the session', 403: 'refused by the owner\'s policy' },
  },
  deleteSession: {
    method: 'delete', path: '/api/sessions/:id', access: 'user', query: purgeQuerySchema, response: deletedSchema,
    summary:
      'Stop its run, drop its queue, forget it. ?purge=true also removes a folder the server made, or the session\'s worktree (`git worktree remove`; its branch is kept). git refuses a worktree with uncommitted or untracked files, or a locked one: then 409 and nothing is deleted.',
    statuses: { 200: '{deleted, purged, message?}', 409: 'git_failed: the worktree cannot be removed (why, and what to do)' },
  },
  submit: {
    method: 'post', path: '/api/sessions/:id/messages', access: 'user', body: submitSchema, query: rawQuerySchema, response: submitResultSchema, largeBody: true,
    summary:
      'Queue a prompt. With Accept: text/event-stream, streams that run\'s events until it finishes (with ?raw=1, its raw CLI lines as /chat does). `attachments: [{name, mediaType, data (base64)}]`: images (png, jpeg, gif, webp) go to Claude as image blocks; text files are saved under attachments/ in the session folder and named in the prompt; both are kept there. A prompt with attachments may be empty.',
    statuses: {
      202: '{runId, position, duplicate}',
      400: 'bad base64',
      403: 'refused by the owner\'s policy',
      413: 'prompt too large, more than 10 attachments, one over MAX_ATTACHMENT_MB (nothing queued)',
      415: 'an attachment that is neither such an image nor UTF-8 text (nothing queued)',
      429: 'queue_full',
      503: 'cli_unavailable',
    },
  },
  execute: {
    method: 'post', path: '/api/sessions/:id/execute', access: 'user', body: executeSchema, response: executeResultSchema,
    summary: 'Queue a prompt, wait for its run, answer with its result.', statuses: { 200: 'the result', 504: 'the run did not finish in time' },
  },
  events: {
    method: 'get', path: '/api/sessions/:id/events', access: 'user', query: eventsQuerySchema, kind: 'sse',
    summary: 'SSE: events after ?after=SEQ (or Last-Event-ID), then live. id: seq, event: type, data: JSON.', statuses: { 200: 'text/event-stream' },
  },
  history: {
    method: 'get', path: '/api/sessions/:id/history', access: 'user', query: historyQuerySchema, response: historySchema,
    summary: 'For "load earlier": the events of the `runs` runs (default 50) before run `beforeRun`, compact.', statuses: { 200: '{events, fromSeq, hasEarlier, firstRunId}', 404: 'run_not_found' },
  },
  queue: { method: 'get', path: '/api/sessions/:id/queue', access: 'user', response: queueSchema, summary: 'Pending runs, in order.', statuses: { 200: '{pending}' } },
  cancel: {
    method: 'delete', path: '/api/sessions/:id/queue/:runId', access: 'user', response: cancelResultSchema,
    summary: 'Cancel a queued run (a running one is interrupted).', statuses: { 200: '{runId, status}', 404: 'run_not_found', 409: 'already ended' },
  },
  listRuns: { method: 'get', path: '/api/sessions/:id/runs', access: 'user', response: runListSchema, summary: 'All runs of the session, oldest first.', statuses: { 200: '{runs}' } },
  getRun: { method: 'get', path: '/api/sessions/:id/runs/:runId', access: 'user', response: runJsonSchema, summary: 'One run.', statuses: { 200: 'the run', 404: 'run_not_found' } },
  rawRun: {
    method: 'get', path: '/api/sessions/:id/runs/:runId/raw', access: 'user', kind: 'sse',
    summary: 'SSE: the run\'s raw CLI lines (event: message), then event: done.', statuses: { 200: 'text/event-stream' },
  },
  interrupt: {
    method: 'post', path: '/api/sessions/:id/interrupt', access: 'user', response: interruptResultSchema,
    summary: 'Interrupt the running turn (the CLI ends it; a process that does not is stopped).', statuses: { 202: '{runId, status}', 409: 'not_running' },
  },
  clear: { method: 'post', path: '/api/sessions/:id/clear', access: 'user', response: sessionResponseSchema, summary: 'Start a new conversation in this session.', statuses: { 200: 'the session' } },
  answerPermission: {
    method: 'post', path: '/api/sessions/:id/permissions/:requestId', access: 'user', body: permissionAnswerSchema, response: permissionAnsweredSchema,
    summary: 'Answer a permission request: allow or deny (with a message for Claude), once or for the rest of the session; approving a plan may set the mode to continue in. First answer wins.',
    statuses: { 200: '{requestId, behavior, by, scope}', 403: 'a mode the owner\'s policy refuses', 404: 'unknown request', 409: 'already_answered (details: the first answer)' },
  },
  revokeAllowedTool: {
    method: 'delete', path: '/api/sessions/:id/allowed-tools/:tool', access: 'user', response: sessionResponseSchema,
    summary: 'Stop allowing a tool for the rest of the session without asking (it was answered with scope "session").',
    statuses: { 200: 'the session' },
  },
  resume: {
    method: 'post', path: '/api/sessions/:id/resume', access: 'user', response: sessionResponseSchema,
    summary: 'Let a queue paused after a billing or usage-limit failure go on (the session view\'s `paused` says why it waits).',
    statuses: { 200: 'the session', 404: 'session_not_found' },
  },
  stats: {
    method: 'get', path: '/api/sessions/:id/stats', access: 'user', response: sessionStatsSchema,
    summary: 'What the session\'s runs came to: outcomes, error kinds, tool calls by tool, cost, tokens, the last error.', statuses: { 200: 'the stats' },
  },
  storage: {
    method: 'get', path: '/api/sessions/:id/storage', access: 'user', query: storageQuerySchema, response: storageListingSchema, kind: 'file-or-json',
    summary: 'List a folder (JSON; files carry `kind`: text, image or binary) or download a file (attachment) of the session folder, never outside it.', statuses: { 200: 'listing or file', 400: 'path_not_allowed', 404: 'file_not_found' },
  },
  changes: {
    method: 'get', path: '/api/sessions/:id/changes', access: 'user', response: changesSchema,
    summary:
      'What changed in the session folder: in a git repository, the working tree against HEAD (a worktree session: against the commit it started from, so committed work shows too), untracked files included; a file list with counts and one unified diff (binary files named, not inlined; cut between files past 1 MiB, with a note). A plain folder: {isGitRepo: false}.',
    statuses: { 200: '{isGitRepo, branch?, baseRef?, files, diff, truncated, note?}', 409: 'git_failed', 503: 'git_unavailable' },
  },
  fileText: {
    method: 'get', path: '/api/sessions/:id/files/text', access: 'user', query: fileQuerySchema, response: fileTextSchema,
    summary: 'A text file of the session folder, to show: its text (the first 1 MiB, cut at a line end), type and language for highlighting.',
    statuses: { 200: '{path, size, mediaType, language?, text, truncated}', 400: 'path_not_allowed, or a folder', 404: 'file_not_found', 415: 'not text (NUL bytes or not UTF-8): download it' },
  },
  fileRaw: {
    method: 'get', path: '/api/sessions/:id/files/raw', access: 'user', query: fileRawQuerySchema, kind: 'file-or-json',
    summary: 'A file of the session folder: images (png, jpeg, gif, webp, avif, bmp, ico) inline with their type, for an <img>; anything else, or with ?download=1, as a download. Sandboxed, never rendered as a page of ours.',
    statuses: { 200: 'the bytes', 400: 'path_not_allowed, or a folder', 404: 'file_not_found', 413: 'over 10 MiB' },
  },
} as const satisfies Record<string, RouteSpec>;

const systemRoutes = {
  health: {
    method: 'get', path: '/health', access: 'public', response: healthSchema,
    summary: 'Liveness; with credentials (or without auth) also the CLI, the tunnel and the warm processes.', statuses: { 200: 'status and more' },
  },
  processes: {
    method: 'get', path: '/api/processes', access: 'user', response: processListSchema,
    summary: 'CLI processes: running a turn or warm and idle; pid, session, cwd, model, state, age, CPU (percent of a core over the last seconds) and memory of the whole process tree.', statuses: { 200: '{processes}' },
  },
  metrics: {
    method: 'get', path: '/metrics', access: 'user', kind: 'prometheus',
    summary: 'Prometheus metrics (text format): runs, durations, queues, CLI processes, tools, clients, store size, the Node process. Also on 127.0.0.1:METRICS_PORT without credentials, when set.',
    statuses: { 200: 'text/plain; version=0.0.4' },
  },
  roots: { method: 'get', path: '/api/roots', access: 'user', response: rootsSchema, summary: 'The allowed roots session folders must be inside.', statuses: { 200: '{roots}' } },
  folders: {
    method: 'get', path: '/api/folders', access: 'user', query: foldersQuerySchema, response: folderListingSchema,
    summary: 'Sub-folders of a folder inside the allowed roots (a folder chooser).', statuses: { 200: '{path, folders, truncated}', 400: 'path_not_allowed' },
  },
  usage: {
    method: 'get', path: '/api/usage', access: 'user', response: usageAnswerSchema,
    summary:
      "This machine's Claude usage from the CLI's transcripts (runs made outside this server count too): today, the active 5-hour block (time left, burn rate, projection), the last 30 days by day, by model and by project, and where the costs came from (the transcript's costUSD or the price table). `server`: today's runs through this server.",
    statuses: { 200: '{today, activeBlock, days, models, projects, burnDown, source, server}' },
  },
  openapi: { method: 'get', path: '/api/openapi.json', access: 'user', summary: 'This API, as OpenAPI 3.1.', statuses: { 200: 'the document' } },
  docs: { method: 'get', path: '/docs', access: 'user', kind: 'html', summary: 'This API, for people.', statuses: { 200: 'a page' } },
  restart: {
    method: 'post', path: '/api/admin/restart', access: 'user', response: restartingSchema,
    summary: 'Restart the server in place: runs in flight end as after any restart, queued prompts stay, the same port and tunnel come back.',
    statuses: { 202: '{restarting: true}', 409: 'no supervisor would start it again' },
  },
  websocket: {
    method: 'get', path: '/ws', access: 'user', kind: 'upgrade',
    summary: 'WebSocket upgrade: the app\'s protocol (docs/protocol.md).', statuses: { 101: 'switching protocols', 401: 'no credentials', 403: 'foreign Origin or Host', 429: 'locked out or too many streams' },
  },
} as const satisfies Record<string, RouteSpec>;

const authRoutes = {
  loginPage: { method: 'get', path: '/login', access: 'public', kind: 'html', summary: 'The login page (a form, no script).', statuses: { 200: 'a page' } },
  login: {
    method: 'post', path: '/api/auth/login', access: 'public', body: loginSchema, response: okSchema,
    summary: 'Log in with the password: sets the session cookie. A form post is redirected to `next`.', statuses: { 200: '{ok}', 303: 'form login', 401: 'wrong password', 429: 'too many failures' },
  },
  logout: { method: 'post', path: '/api/auth/logout', access: 'public', response: okSchema, summary: 'End this browser\'s login (its sockets close).', statuses: { 200: '{ok}' } },
  logoutEverywhere: {
    method: 'post', path: '/api/auth/logout-everywhere', access: 'user', response: loggedOutEverywhereSchema,
    summary: 'End every browser login and close their sockets (API secrets keep working).', statuses: { 200: '{ok, ended}' },
  },
  me: { method: 'get', path: '/api/auth/me', access: 'user', response: authMeSchema, summary: 'Whether this request is logged in, and whether auth is on.', statuses: { 200: '{authenticated, authEnabled}' } },
} as const satisfies Record<string, RouteSpec>;

/** Web Push to the user's devices (docs/push.md). */
const pushRoutes = {
  vapidPublicKey: {
    method: 'get', path: '/api/push/vapid-public-key', access: 'user', response: vapidPublicKeySchema,
    summary: 'The server\'s VAPID public key: the applicationServerKey a browser subscribes with.', statuses: { 200: '{publicKey}' },
  },
  createPushSubscription: {
    method: 'post', path: '/api/push/subscriptions', access: 'user', body: pushSubscriptionSchema, response: pushSubscriptionCreatedSchema,
    summary: 'Keep a browser\'s push subscription (PushSubscription as JSON; https endpoints only). The same endpoint again keeps its id and takes the new keys.',
    statuses: { 201: '{id}', 400: 'not a push subscription' },
  },
  listPushSubscriptions: {
    method: 'get', path: '/api/push/subscriptions', access: 'user', response: pushSubscriptionListSchema,
    summary: 'The devices that get pushes: id, the push service\'s host (not the endpoint), since when, the browser.', statuses: { 200: '{subscriptions}' },
  },
  deletePushSubscription: {
    method: 'delete', path: '/api/push/subscriptions/:id', access: 'user', response: pushDeletedSchema,
    summary: 'Stop pushing to a device.', statuses: { 200: '{deleted: true}', 404: 'not_found' },
  },
} as const satisfies Record<string, RouteSpec>;

const gatewayRoutes = {
  chat: {
    method: 'post', path: '/chat', access: 'user', body: chatSchema, kind: 'sse',
    summary: 'Gateway: SSE of raw CLI JSON lines (event: message), then event: done {process_id}.', statuses: { 200: 'text/event-stream', 403: 'refused by the owner\'s policy' },
  },
  chatCancel: {
    method: 'delete', path: '/chat/:processId', access: 'user', response: chatCancelledSchema,
    summary: 'Interrupt a /chat process.', statuses: { 200: '{status: "cancelled", process_id}', 404: 'process_not_found' },
  },
  gatewayProcesses: { method: 'get', path: '/processes', access: 'user', response: gatewayProcessListSchema, summary: 'Gateway: CLI processes.', statuses: { 200: '{processes, count}' } },
} as const satisfies Record<string, RouteSpec>;

export const ROUTES = { ...systemRoutes, ...authRoutes, ...sessionRoutes, ...pushRoutes, ...gatewayRoutes } as const satisfies Record<string, RouteSpec>;
export type RouteId = keyof typeof ROUTES;

/**
 * The path prefixes the server answers itself (everything else is the app's
 * shell and its assets): the dev server proxies them, and the service worker
 * never answers them with the shell.
 */
export function serverPathPrefixes(): string[] {
  const prefixes = new Set<string>();
  for (const route of Object.values(ROUTES) as RouteSpec[]) {
    const first = route.path.split('/')[1] ?? '';
    prefixes.add(first === 'api' ? '/api/' : `/${first}`);
  }
  return [...prefixes].sort();
}
