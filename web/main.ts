/**
 * The plain page: pick or create a session, send prompts, watch runs stream.
 *
 * State lives here (the session list, the followed sessions' reduced state,
 * prompts on their way); the WebSocket feeds events to the pure reducers and
 * a render is scheduled once per animation frame, however many events came.
 */
import { MAX_PROMPT_BYTES } from '../server/protocol/limits.js';
import { PERMISSION_MODES, type PermissionMode, type ServerEvent, type SessionView } from '../server/protocol/events.js';
import type { ServerFrame } from '../server/protocol/ws.js';
import { byId, h, setText } from './dom.js';
import { formatCost, plural } from './format.js';
import { createSession } from './net/api.js';
import { RequestError, WsClient, type ConnectionState } from './net/ws-client.js';
import { initialSessionState, reduceSession, reduceSessionList, upsertSession, type SessionState } from './state/reducer.js';
import { createQueueView, type OutgoingPrompt } from './views/queue.js';
import { createSessionListView } from './views/sessions.js';
import { createTranscriptView } from './views/transcript.js';

// ---- state -------------------------------------------------------------------

let sessions: readonly SessionView[] = [];
let selectedId: string | undefined;
/** Sessions whose events we receive, each reduced; kept while the page lives so switching back is instant. */
const followed = new Map<string, SessionState>();
let outgoing: readonly OutgoingPrompt[] = [];
/** The sessions the last hello asked to resume; others followed since need their own subscribe. */
let resumedByHello = new Set<string>();

// ---- elements ----------------------------------------------------------------

const connection = byId('connection');
const connectionText = byId('connection-text');
const sessionsToggle = byId<HTMLButtonElement>('sessions-toggle');
const sidebar = byId('sidebar');
const newSessionForm = byId<HTMLFormElement>('new-session');
const permissionSelect = byId<HTMLSelectElement>('new-permission-mode');
const sessionHeader = byId('session-header');
const sessionTitle = byId('session-title');
const sessionCwd = byId('session-cwd');
const sessionTotals = byId('session-totals');
const transcriptEl = byId('transcript');
const emptyEl = byId('empty');
const composer = byId<HTMLFormElement>('composer');
const message = byId<HTMLTextAreaElement>('message');
const sendButton = byId<HTMLButtonElement>('send');
const interruptButton = byId<HTMLButtonElement>('interrupt');
const alerts = byId('alerts');

const transcript = createTranscriptView(transcriptEl, {
  onPermission(requestId, behavior) {
    if (!selectedId) return;
    client
      .request({ type: 'permission', sessionId: selectedId, requestId, behavior })
      .catch((err: unknown) => showError(err));
  },
});
const sessionList = createSessionListView(byId('session-list'), byId('no-sessions'), select);
const queue = createQueueView(byId('queue'), byId('queue-list'), (runId) => {
  if (!selectedId) return Promise.resolve();
  return client.request({ type: 'cancel', sessionId: selectedId, runId }).then(
    () => undefined,
    (err: unknown) => {
      showError(err);
      throw err;
    },
  );
});

// ---- the connection ----------------------------------------------------------

const client = new WsClient({
  url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`,
  resume: () => {
    resumedByHello = new Set(followed.keys());
    return Object.fromEntries([...followed].map(([id, state]) => [id, state.lastSeq]));
  },
  onFrame: clientOnFrame,
  onState: clientOnState,
});

function clientOnState(state: ConnectionState): void {
  connection.dataset.state = state;
  setText(connectionText, state === 'connected' ? 'Connected' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…');
}

function clientOnFrame(frame: ServerFrame): void {
  switch (frame.type) {
    case 'welcome':
      onWelcome(frame.sessions);
      break;
    case 'event':
      onEvent(frame.event, true);
      break;
    case 'summary':
      onEvent(frame.event, false);
      break;
    case 'error':
      showError(new RequestError(frame.error.code, frame.error.message));
      break;
    case 'reply':
    case 'pong':
      break; // the client handles these
    default: {
      const never: never = frame;
      void never;
    }
  }
  scheduleRender();
}

function onWelcome(list: SessionView[]): void {
  sessions = list;
  const known = new Set(list.map((s) => s.id));
  for (const id of [...followed.keys()]) {
    if (!known.has(id)) followed.delete(id);
    // Picked between the hello and this welcome: the server does not follow it yet.
    else if (!resumedByHello.has(id)) subscribe(id);
  }
  if (selectedId && !known.has(selectedId)) {
    selectedId = undefined;
    showError(new Error('The session you had open no longer exists.'));
  }
  const fromHash = decodeURIComponent(location.hash.slice(1));
  if (!selectedId && fromHash && known.has(fromHash)) select(fromHash);
}

function onEvent(event: ServerEvent, isFollowed: boolean): void {
  sessions = reduceSessionList(sessions, event);
  if (!isFollowed) return;
  const state = followed.get(event.sessionId);
  if (state) followed.set(event.sessionId, reduceSession(state, event));
  if (event.type === 'run.queued' && event.clientRequestId !== undefined) {
    dropOutgoing(event.clientRequestId);
  }
  if (event.type === 'session.deleted') {
    followed.delete(event.sessionId);
    if (selectedId === event.sessionId) {
      selectedId = undefined;
      history.replaceState(null, '', location.pathname);
      showError(new Error('This session was deleted.'));
    }
  }
}

// ---- actions -----------------------------------------------------------------

function select(id: string): void {
  selectedId = id;
  history.replaceState(null, '', `#${encodeURIComponent(id)}`);
  follow(id);
  setSidebarOpen(false);
  scheduleRender();
}

function follow(id: string): void {
  if (followed.has(id)) return;
  followed.set(id, initialSessionState(id));
  // Not connected: the next hello resumes it from seq 0.
  if (client.state === 'connected') subscribe(id);
}

function subscribe(id: string): void {
  const after = followed.get(id)?.lastSeq ?? 0;
  client.request({ type: 'subscribe', sessionId: id, after }).catch((err: unknown) => {
    // A dropped connection is fine: the next hello resumes every followed session.
    if (!(err instanceof RequestError && err.code === 'disconnected')) showError(err);
  });
}

function send(): void {
  const prompt = message.value;
  if (!selectedId || prompt.trim() === '') return;
  const bytes = new TextEncoder().encode(prompt).length;
  if (bytes > MAX_PROMPT_BYTES) {
    showError(new Error(`The message is ${bytes} bytes; the limit is ${MAX_PROMPT_BYTES}.`));
    return;
  }
  const sessionId = selectedId;
  // One id per prompt: re-sends after a reconnect carry the same one, so the server keeps it once.
  const clientRequestId = crypto.randomUUID();
  outgoing = [...outgoing, { clientRequestId, sessionId, prompt }];
  stickToBottom = true;
  message.value = '';
  fitMessage();
  client.request({ type: 'submit', sessionId, prompt, clientRequestId }, { retry: true }).then(
    () => {
      dropOutgoing(clientRequestId);
      scheduleRender();
    },
    (err: unknown) => {
      dropOutgoing(clientRequestId);
      if (message.value === '') message.value = prompt;
      showError(err);
      scheduleRender();
    },
  );
  scheduleRender();
}

function dropOutgoing(clientRequestId: string): void {
  if (outgoing.some((o) => o.clientRequestId === clientRequestId)) {
    outgoing = outgoing.filter((o) => o.clientRequestId !== clientRequestId);
  }
}

function interrupt(): void {
  if (!selectedId) return;
  interruptButton.disabled = true;
  client.request({ type: 'interrupt', sessionId: selectedId }).catch((err: unknown) => {
    interruptButton.disabled = false;
    showError(err);
  });
}

async function newSession(): Promise<void> {
  const data = new FormData(newSessionForm);
  const name = String(data.get('name') ?? '').trim();
  const cwd = String(data.get('cwd') ?? '').trim();
  const mode = String(data.get('permissionMode') ?? '');
  const button = newSessionForm.querySelector<HTMLButtonElement>('button[type="submit"]');
  if (button) button.disabled = true;
  try {
    const session = await createSession({
      name: name || undefined,
      cwd: cwd || undefined,
      permissionMode: (PERMISSION_MODES as readonly string[]).includes(mode) ? (mode as PermissionMode) : undefined,
    });
    sessions = upsertSession(sessions, session);
    newSessionForm.reset();
    select(session.id);
    message.focus();
  } catch (err) {
    showError(err);
  } finally {
    if (button) button.disabled = false;
  }
}

// ---- rendering ---------------------------------------------------------------

let renderQueued = false;
let renderedSessionId: string | undefined;
/** Set when the reader sent something: show the bottom even if they had scrolled up. */
let stickToBottom = false;

function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

function render(): void {
  const session = sessions.find((s) => s.id === selectedId);
  const state = selectedId ? followed.get(selectedId) : undefined;
  sessionList.render(sessions, selectedId);

  const switched = renderedSessionId !== selectedId;
  renderedSessionId = selectedId;
  // Follow the stream only if the reader is already at the bottom.
  const atBottom = transcriptEl.scrollHeight - transcriptEl.scrollTop - transcriptEl.clientHeight < 80;
  transcript.render(state);
  if (switched || atBottom || stickToBottom) transcriptEl.scrollTop = transcriptEl.scrollHeight;
  stickToBottom = false;

  document.body.classList.toggle('has-session', Boolean(session));
  sessionHeader.hidden = !session;
  if (session) {
    setText(sessionTitle, session.name);
    setText(sessionCwd, session.cwd);
    sessionCwd.title = session.cwd;
    setText(
      sessionTotals,
      `${formatCost(session.totals.costUsd)} · ${plural(session.totals.runs, 'run')}${session.options.permissionMode ? ` · ${session.options.permissionMode}` : ''}`,
    );
  }
  const hasRuns = (state?.timeline.length ?? 0) > 0;
  emptyEl.hidden = Boolean(session && hasRuns);
  setText(emptyEl, session ? 'No messages yet. Write one below.' : 'Pick a session or create one.');

  queue.render(state, outgoing.filter((o) => o.sessionId === selectedId));

  message.disabled = !session;
  sendButton.disabled = !session;
  const running = Boolean(state?.activeRunId);
  interruptButton.hidden = !running;
  if (!running) interruptButton.disabled = false;

  document.title = session ? `${running ? '● ' : ''}${session.name} · Claude Remote` : 'Claude Remote';
}

// ---- small UI helpers ----------------------------------------------------------

let alertTimer: ReturnType<typeof setTimeout> | undefined;

function showError(err: unknown): void {
  const text = err instanceof Error ? err.message : String(err);
  const close = h('button', { type: 'button', class: 'small', 'aria-label': 'Dismiss' }, ['×']);
  close.addEventListener('click', () => alerts.replaceChildren());
  alerts.replaceChildren(h('p', {}, [h('span', {}, [text]), close]));
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => alerts.replaceChildren(), 10_000);
}

function setSidebarOpen(open: boolean): void {
  document.body.classList.toggle('sidebar-open', open);
  sessionsToggle.setAttribute('aria-expanded', String(open));
}

const MESSAGE_MAX_HEIGHT_RATIO = 0.4;

/** Grows the message box with its text, up to part of the screen. */
function fitMessage(): void {
  message.style.height = 'auto';
  const max = Math.round(window.innerHeight * MESSAGE_MAX_HEIGHT_RATIO);
  message.style.height = `${Math.min(message.scrollHeight + 2, max)}px`;
}

// ---- wiring ------------------------------------------------------------------

for (const mode of PERMISSION_MODES) {
  if (mode !== 'default') permissionSelect.append(h('option', { value: mode }, [mode]));
}

composer.addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
message.addEventListener('keydown', (e) => {
  // Enter sends; Shift+Enter is a new line; an IME composing text keeps its Enter.
  if (e.key !== 'Enter' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
  e.preventDefault();
  send();
});
message.addEventListener('input', fitMessage);
interruptButton.addEventListener('click', interrupt);
newSessionForm.addEventListener('submit', (e) => {
  e.preventDefault();
  void newSession();
});
sessionsToggle.addEventListener('click', () => setSidebarOpen(!document.body.classList.contains('sidebar-open')));
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && document.body.classList.contains('sidebar-open')) setSidebarOpen(false);
});
// A tap outside the open drawer closes it.
document.addEventListener('click', (e) => {
  const target = e.target as Node;
  if (!document.body.classList.contains('sidebar-open')) return;
  if (sidebar.contains(target) || sessionsToggle.contains(target)) return;
  setSidebarOpen(false);
});

// Back/forward or a pasted link to another session.
window.addEventListener('hashchange', () => {
  const id = decodeURIComponent(location.hash.slice(1));
  if (id && id !== selectedId && sessions.some((s) => s.id === id)) select(id);
});

client.start();
scheduleRender();
