/**
 * The plain page: pick or create a session, send prompts, watch runs stream.
 *
 * State lives here (the session list, the followed sessions' reduced state,
 * prompts on their way); the WebSocket feeds events to the pure reducers and
 * a render is scheduled once per animation frame, however many events came.
 */
import { MAX_PROMPT_BYTES } from '../server/protocol/limits.js';
import type { ServerEvent, SessionView } from '../server/protocol/events.js';
import type { ServerFrame } from '../server/protocol/ws.js';
import { byId, h, setText } from './dom.js';
import { formatCost, plural } from './format.js';
import { history as fetchHistory, serverHealth } from './net/api.js';
import { checkAuth, goToLogin, logout } from './net/auth.js';
import { runCommand, wireNewSessionForm, wireSessionActions, type ActionContext } from './features/actions.js';
import { attachCommandMenu } from './features/command-menu.js';
import { parseCommand } from './features/commands.js';
import { createNotifier } from './features/notify.js';
import { attachUsageChip, createUsageFeed } from './features/usage-chip.js';
import { RequestError, WsClient, type ConnectionState } from './net/ws-client.js';
import {
  initialSessionState,
  prependHistory,
  reduceSession,
  reduceSessionList,
  upsertSession,
  withWindow,
  type SessionState,
} from './state/reducer.js';
import { createQueueView, type OutgoingPrompt } from './views/queue.js';
import { createSessionListView } from './views/sessions.js';
import { createTranscriptView } from './views/transcript.js';
import { openUsagePage } from './views/usage.js';
// PWA: service worker and offline snapshot (see the PWA block at the end).
import { loadSnapshot, saveSnapshot, type SavedSnapshot } from './pwa/offline-store.js';
import { registerServiceWorker, showUpdatePrompt } from './pwa/register.js';

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

const commandMenu = attachCommandMenu(message, byId('command-menu'));
const loadEarlierButton = byId<HTMLButtonElement>('load-earlier');
loadEarlierButton.addEventListener('click', () => void loadEarlier());

// ---- notices and usage (the header chip and its page) -------------------------------

const notifier = createNotifier();
const soundToggle = byId<HTMLButtonElement>('sound-toggle');
const notifyToggle = byId<HTMLButtonElement>('notify-toggle');
const usageFeed = createUsageFeed();
attachUsageChip(byId<HTMLButtonElement>('usage-chip'), usageFeed, () => openUsagePage(usageFeed));

function syncToggles(): void {
  soundToggle.setAttribute('aria-pressed', String(notifier.sound));
  notifyToggle.setAttribute('aria-pressed', String(notifier.notifications));
}

/** Every event, followed or summary: sounds, notifications, the usage chip. */
function onNews(event: ServerEvent): void {
  if (event.type !== 'run.finished') return;
  notifier.onEvent(event, sessions.find((x) => x.id === event.sessionId));
  usageFeed.refresh();
}

soundToggle.addEventListener('click', () => {
  notifier.setSound(!notifier.sound);
  syncToggles();
});
notifyToggle.addEventListener('click', () => {
  notifier.setNotifications(!notifier.notifications).then(
    (on) => {
      syncToggles();
      if (!on && typeof Notification !== 'undefined' && Notification.permission === 'denied') {
        showError(new Error('Notifications are blocked for this site in the browser settings.'));
      }
    },
    (err: unknown) => showError(err),
  );
});
syncToggles();
fitToVisibleViewport();

// ---- remote access: the tunnel's state, and logging out -------------------------

const remoteInfo = byId('remote-info');
const logoutButton = byId<HTMLButtonElement>('logout');
logoutButton.addEventListener('click', () => void logout());
const logoutEverywhereButton = byId<HTMLButtonElement>('logout-everywhere');
logoutEverywhereButton.addEventListener('click', () => void logout(true));

function refreshServerInfo(): void {
  serverHealth().then(
    (health) => {
      logoutButton.hidden = !health.authEnabled;
      logoutEverywhereButton.hidden = !health.authEnabled;
      const t = health.tunnel;
      remoteInfo.hidden = !t || t.status === 'off';
      if (!t || t.status === 'off') return;
      remoteInfo.dataset.status = t.status;
      if (t.status === 'online' && t.url) {
        remoteInfo.replaceChildren('Remote access: ', h('a', { href: t.url, rel: 'noopener' }, [t.url]));
      } else if (t.status === 'connecting') {
        setText(remoteInfo, 'Remote access: connecting…');
      } else {
        setText(remoteInfo, `Remote access failed: ${t.error ?? 'unknown error'}`);
      }
    },
    () => undefined,
  );
}

// ---- the connection ----------------------------------------------------------

const client = new WsClient({
  url: `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`,
  resume: () => {
    // Sessions with nothing seen yet are opened by subscribe() after the
    // welcome (their last runs, compact), not replayed from seq 0.
    const resumable = [...followed].filter(([, state]) => state.lastSeq > 0);
    resumedByHello = new Set(resumable.map(([id]) => id));
    return Object.fromEntries(resumable.map(([id, state]) => [id, state.lastSeq]));
  },
  onFrame: clientOnFrame,
  onState: clientOnState,
});

function clientOnState(state: ConnectionState): void {
  // A login that expired shows up as a refused upgrade: ask the server why.
  if (state === 'reconnecting') {
    void checkAuth().then((auth) => (auth === 'login' ? goToLogin() : undefined));
  }
  connection.dataset.state = state;
  setText(connectionText, state === 'connected' ? 'Connected' : state === 'connecting' ? 'Connecting…' : 'Reconnecting…');
  pwaOnState(state); // PWA: offline look
}

function clientOnFrame(frame: ServerFrame): void {
  switch (frame.type) {
    case 'welcome':
      onWelcome(frame.sessions);
      break;
    case 'event':
      onEvent(frame.event, true);
      onNews(frame.event);
      break;
    case 'summary':
      onEvent(frame.event, false);
      onNews(frame.event);
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
  usageFeed.refresh(0);
  refreshServerInfo();
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

/** Runs shown when a transcript is opened; older ones come with "Load earlier". */
const TAIL_RUNS = 50;

function subscribe(id: string): void {
  const after = followed.get(id)?.lastSeq ?? 0;
  // Opening (nothing seen yet): the last runs, compact. Resuming: exactly what was missed.
  const frame = after === 0 ? { type: 'subscribe' as const, sessionId: id, after, tailRuns: TAIL_RUNS } : { type: 'subscribe' as const, sessionId: id, after };
  client.request(frame).then(
    (data) => {
      const state = followed.get(id);
      const window = data as { hasEarlier?: boolean; firstRunId?: string } | undefined;
      if (after === 0 && state && window?.hasEarlier !== undefined) {
        followed.set(id, withWindow(state, { hasEarlier: window.hasEarlier, firstRunId: window.firstRunId }));
        scheduleRender();
      }
    },
    (err: unknown) => {
      // A dropped connection is fine: the next hello resumes every followed session.
      if (!(err instanceof RequestError && err.code === 'disconnected')) showError(err);
    },
  );
}

let loadingEarlier = false;

async function loadEarlier(): Promise<void> {
  const id = selectedId;
  const state = id ? followed.get(id) : undefined;
  if (!id || !state?.hasEarlier || !state.firstRunId || loadingEarlier) return;
  loadingEarlier = true;
  try {
    const page = await fetchHistory(id, state.firstRunId, TAIL_RUNS);
    const current = followed.get(id);
    if (current) followed.set(id, prependHistory(current, page.events, page));
  } catch (err) {
    showError(err);
  } finally {
    loadingEarlier = false;
    scheduleRender();
  }
}

function send(): void {
  const prompt = message.value;
  if (!selectedId || prompt.trim() === '') return;
  const command = parseCommand(prompt);
  if (command) {
    message.value = '';
    fitMessage();
    commandMenu.update();
    runCommand(command, actions).catch((err: unknown) => {
      if (message.value === '') message.value = prompt;
      showError(err);
    });
    return;
  }
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
    saveOfflineSnapshot(); // PWA: throttled inside
  });
}

function render(): void {
  const session = sessions.find((s) => s.id === selectedId);
  const state = selectedId ? followed.get(selectedId) : undefined;
  sessionList.render(sessions, selectedId);

  const switched = renderedSessionId !== selectedId;
  renderedSessionId = selectedId;
  // The view follows the stream by itself while the reader is at the bottom;
  // opening a session or sending a prompt brings the reader there.
  transcript.render(state);
  if (switched || stickToBottom) transcript.scrollToBottom();
  stickToBottom = false;
  loadEarlierButton.hidden = !state?.hasEarlier;
  loadEarlierButton.disabled = loadingEarlier;

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

function showAlert(text: string, kind: 'error' | 'info'): void {
  const close = h('button', { type: 'button', class: 'small', 'aria-label': 'Dismiss' }, ['×']);
  close.addEventListener('click', () => alerts.replaceChildren());
  alerts.replaceChildren(h('p', { class: kind === 'info' ? 'info' : undefined }, [h('span', {}, [text]), close]));
  clearTimeout(alertTimer);
  alertTimer = setTimeout(() => alerts.replaceChildren(), kind === 'info' ? 15_000 : 10_000);
}

function showInfo(text: string): void {
  showAlert(text, 'info');
}

function showError(err: unknown): void {
  showAlert(err instanceof Error ? err.message : String(err), 'error');
}

/**
 * Keeps the message box above a phone's keyboard. Chrome resizes the layout
 * for it (interactive-widget in the viewport meta); iOS Safari does not, so
 * the app takes the height of the visible part instead.
 */
function fitToVisibleViewport(): void {
  const vv = window.visualViewport;
  if (!vv) return;
  const fit = () => {
    document.documentElement.style.setProperty('--app-height', `${Math.round(vv.height)}px`);
    if (document.activeElement === message) message.scrollIntoView({ block: 'nearest' });
  };
  vv.addEventListener('resize', fit);
  fit();
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


composer.addEventListener('submit', (e) => {
  e.preventDefault();
  send();
});
message.addEventListener('keydown', (e) => {
  if (commandMenu.onKeyDown(e)) return;
  // Enter sends; Shift+Enter is a new line; an IME composing text keeps its Enter.
  if (e.key !== 'Enter' || e.shiftKey || e.altKey || e.ctrlKey || e.metaKey || e.isComposing) return;
  e.preventDefault();
  send();
});
message.addEventListener('input', () => {
  fitMessage();
  commandMenu.update();
});
interruptButton.addEventListener('click', interrupt);
const actions: ActionContext = {
  selected: () => sessions.find((x) => x.id === selectedId),
  upsert(session) {
    sessions = upsertSession(sessions, session);
    scheduleRender();
  },
  select,
  info: showInfo,
  error: showError,
};
wireNewSessionForm(newSessionForm, { ...actions, focusMessage: () => message.focus() });
wireSessionActions(
  {
    rename: byId<HTMLButtonElement>('rename-session'),
    clear: byId<HTMLButtonElement>('clear-session'),
    remove: byId<HTMLButtonElement>('delete-session'),
  },
  actions,
);
sessionsToggle.addEventListener('click', () => setSidebarOpen(!document.body.classList.contains('sidebar-open')));
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
  if (document.body.classList.contains('sidebar-open')) {
    setSidebarOpen(false);
    return;
  }
  // Esc interrupts the running prompt (a desktop habit from the terminal).
  const state = selectedId ? followed.get(selectedId) : undefined;
  if (state?.activeRunId && !interruptButton.disabled) {
    e.preventDefault();
    interrupt();
  }
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

// ---- PWA: service worker, offline snapshot, offline look (web/pwa/) -----------

registerServiceWorker({ onUpdateReady: showUpdatePrompt });

/** The first welcome came: the live data replaces the saved snapshot. */
let live = false;
/** The saved snapshot was read (or found missing): saving before that would overwrite it. */
let snapshotLoaded = false;
let offline = false;
let previousState: ConnectionState | undefined;
let offlineTimer: ReturnType<typeof setTimeout> | undefined;
/** After a drop, a quick reconnect (a server restart) shows as "Reconnecting…", not as offline. */
const OFFLINE_AFTER_DROP_MS = 3000;

function pwaOnState(state: ConnectionState): void {
  clearTimeout(offlineTimer);
  if (state === 'connected') {
    live = true;
    setOffline(false);
  } else if (state === 'reconnecting' && (previousState === 'connecting' || !navigator.onLine)) {
    setOffline(true); // the socket failed to connect
  } else if (state === 'reconnecting' && !offline) {
    offlineTimer = setTimeout(() => setOffline(true), OFFLINE_AFTER_DROP_MS);
  }
  previousState = state;
  if (offline) setText(connectionText, 'Offline');
}

function setOffline(on: boolean): void {
  offline = on;
  if (on) {
    document.body.dataset.offline = 'true';
    setText(connectionText, 'Offline');
  } else {
    delete document.body.dataset.offline;
  }
}

/** Until the first welcome: show what was last seen, and resume the saved sessions from their lastSeq. */
function applySnapshot(saved: SavedSnapshot | undefined): void {
  if (!saved || live) return;
  sessions = saved.sessions;
  // Picked up by the next hello's resume(), or subscribed from their lastSeq by onWelcome.
  for (const [id, state] of Object.entries(saved.states)) if (!followed.has(id)) followed.set(id, state);
  const fromHash = decodeURIComponent(location.hash.slice(1));
  const id = [fromHash, saved.selectedId].find((c) => c && sessions.some((s) => s.id === c));
  if (id && !selectedId) {
    // Open it in place: the phone's drawer must not visibly slide away on start (pwa.css).
    document.body.classList.add('pwa-restoring');
    select(id);
    requestAnimationFrame(() => requestAnimationFrame(() => document.body.classList.remove('pwa-restoring')));
  }
}

function saveOfflineSnapshot(): void {
  if (!snapshotLoaded) return;
  saveSnapshot({ sessions, selectedId, states: Object.fromEntries(followed) }).catch(() => undefined);
}

/** The socket waits this long at most for the snapshot, so the hello can resume its sessions. */
const SNAPSHOT_WAIT_MS = 500;
let clientStarted = false;

function startClient(): void {
  if (clientStarted) return;
  clientStarted = true;
  // A server with a password sends us to its login page first; an
  // unreachable one leaves us offline with the saved snapshot.
  void checkAuth().then((auth) => {
    if (auth === 'login') void goToLogin();
    else client.start();
  });
}

setTimeout(startClient, SNAPSHOT_WAIT_MS);
void loadSnapshot()
  .then(applySnapshot)
  .catch((err: unknown) => console.warn('Could not show the offline snapshot:', err))
  .finally(() => {
    snapshotLoaded = true;
    scheduleRender();
    startClient();
  });

// ---- end PWA -------------------------------------------------------------------

// client.start(): by startClient() in the PWA block, once the offline snapshot is read.
scheduleRender();
