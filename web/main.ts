/**
 * The page's wiring: finds the elements of index.html, makes the state, the
 * views and the connection, and connects their callbacks. Behaviour lives in
 * the modules: app/ (state, connection, render), features/ (what the user
 * does), views/ (what the page shows), pwa/ (service worker, offline copy).
 */
import { byId } from './dom.js';
import { sessionInAddress, showInAddress } from './app/address.js';
import { createConnection } from './app/connection.js';
import { createRenderer } from './app/render.js';
import { createAppState, selectedSession, putSession } from './app/state.js';
import { runCommand, wireSessionActions, type ActionContext } from './features/actions.js';
import { createAttachmentTray } from './features/attach.js';
import { createComposer } from './features/composer.js';
import { createLoadEarlier } from './features/load-earlier.js';
import { wireNewSessionForm } from './features/new-session.js';
import { createNotices } from './features/notices.js';
import { createNotifier } from './features/notify.js';
import { createPresence } from './features/presence.js';
import { withPush } from './features/push.js';
import { wireRestart } from './features/restart.js';
import { createServerInfo } from './features/server-info.js';
import { createWorkspace } from './features/workspace.js';
import { DEFAULT_MAX_ATTACHMENT_BYTES } from './workspace/attachments.js';
import { attachUsageChip, createUsageFeed } from './features/usage-chip.js';
import { fileUrl, resumeSession, revokeAllowedTool, sessionStats } from './net/api.js';
import { createAuth } from './net/auth.js';
import { RequestError } from './net/ws-client.js';
import { createOfflineCopy } from './pwa/offline-copy.js';
import { createOfflineLook } from './pwa/offline-look.js';
import { createOfflineStore } from './pwa/offline-store.js';
import { registerServiceWorker, showUpdatePrompt } from './pwa/register.js';
import { createAlerts } from './views/alerts.js';
import { createConnectionStatus } from './views/connection-status.js';
import { createDrawer } from './views/drawer.js';
import { createPausedBanner } from './views/paused-banner.js';
import { createQueueView } from './views/queue.js';
import { createSessionDetails } from './views/session-details.js';
import { createSessionListView } from './views/sessions.js';
import { createTranscriptView, type PermissionReply } from './views/transcript.js';
import { openUsagePage } from './views/usage.js';

const state = createAppState();
/** This page deleted the open session: its session.deleted event (before or after the answer) is no surprise. */
let deletingHere = false;
const offlineStore = createOfflineStore();
const auth = createAuth(offlineStore);
const alerts = createAlerts(byId('alerts'));
const drawer = createDrawer(byId<HTMLButtonElement>('sessions-toggle'), byId('sidebar'));
const status = createConnectionStatus(byId('connection'), byId('connection-text'));
const offlineLook = createOfflineLook(status);
const usageFeed = createUsageFeed();
attachUsageChip(byId<HTMLButtonElement>('usage-chip'), usageFeed, () => openUsagePage(usageFeed));
const notices = createNotices(
  { sound: byId<HTMLButtonElement>('sound-toggle'), notify: byId<HTMLButtonElement>('notify-toggle') },
  { notifier: withPush(createNotifier(), byId('notify-toggle')), usage: usageFeed, session: (id) => state.sessions.find((s) => s.id === id), error: alerts.error },
);
const serverInfo = createServerInfo(
  { remoteInfo: byId('remote-info'), logout: byId<HTMLButtonElement>('logout'), logoutEverywhere: byId<HTMLButtonElement>('logout-everywhere') },
  (everywhere) => void auth.logout(everywhere),
);

const connection = createConnection({
  state,
  changed: () => renderer.schedule(),
  onWelcome() {
    usageFeed.refresh(0);
    serverInfo.refresh();
    const fromAddress = sessionInAddress();
    if (!state.selectedId && state.sessions.some((s) => s.id === fromAddress)) select(fromAddress);
  },
  onNews(event) {
    notices.onEvent(event);
    workspace.onEvent(event);
  },
  onServerRestarted() {
    alerts.info('The server restarted. Runs that were in progress ended; queued prompts go on.');
  },
  onStatus(connectionState) {
    // A login that expired shows up as a refused upgrade: ask the server why.
    if (connectionState === 'reconnecting') void auth.check().then((found) => (found === 'login' ? auth.goToLogin() : undefined));
    status.show(connectionState);
    presence.onConnectionState(connectionState);
    offlineLook.onConnectionState(connectionState);
    offlineCopy.onConnectionState(connectionState);
  },
  onSelectedDeleted() {
    showInAddress(undefined);
    // Deleted from here: the delete's own answer says what became of it (the worktree kept or removed).
    if (!deletingHere) alerts.error(new Error('This session was deleted.'));
    deletingHere = false;
  },
  error: alerts.error,
});
const { client } = connection;
const presence = createPresence(client);

const actions: ActionContext = {
  selected: () => selectedSession(state),
  upsert(session) {
    putSession(state, session);
    renderer.schedule();
  },
  select,
  deleting(on) {
    deletingHere = on;
  },
  info: alerts.info,
  error: alerts.error,
};

const workspace = createWorkspace(
  { branch: byId('session-branch'), changes: byId<HTMLButtonElement>('open-changes'), files: byId<HTMLButtonElement>('open-files') },
  () => selectedSession(state),
  alerts.error,
);

const attachments = createAttachmentTray(
  {
    button: byId<HTMLButtonElement>('attach'),
    input: byId<HTMLInputElement>('attach-input'),
    tray: byId('attachment-tray'),
    pasteTarget: byId('message'),
    dropTarget: byId('composer'),
  },
  {
    error: alerts.error,
    info: alerts.info,
    changed: () => renderer.schedule(),
    maxBytes: () => state.limits?.maxAttachmentBytes ?? DEFAULT_MAX_ATTACHMENT_BYTES,
  },
);

const composer = createComposer(
  {
    form: byId<HTMLFormElement>('composer'),
    message: byId<HTMLTextAreaElement>('message'),
    send: byId<HTMLButtonElement>('send'),
    interrupt: byId<HTMLButtonElement>('interrupt'),
    commandMenu: byId('command-menu'),
  },
  {
    state,
    client,
    attachments,
    runCommand: (command) => runCommand(command, actions),
    changed: () => renderer.schedule(),
    showLatest: () => renderer.showLatest(),
    error: alerts.error,
  },
);

const sessionDetails = createSessionDetails({
  stats: sessionStats,
  revoke: (id, tool) => revokeAllowedTool(id, tool).then(actions.upsert),
  error: alerts.error,
});

const renderer = createRenderer(
  state,
  {
    header: byId('session-header'),
    title: byId('session-title'),
    cwd: byId('session-cwd'),
    totals: byId('session-totals'),
    marks: byId('session-marks'),
    empty: byId('empty'),
  },
  {
    sessionList: createSessionListView(byId('session-list'), byId('no-sessions'), select),
    transcript: createTranscriptView(byId('transcript'), {
      onPermission: answerPermission,
      fileUrl: (path, download) => fileUrl(state.selectedId ?? '', path, download),
    }),
    queue: createQueueView(byId('queue'), byId('queue-list'), cancelQueued),
    paused: createPausedBanner(byId('paused'), (id) => resumeSession(id).then(actions.upsert, rethrowShown)),
    details: sessionDetails,
    composer,
    loadEarlier: createLoadEarlier(byId<HTMLButtonElement>('load-earlier'), { state, changed: () => renderer.schedule(), error: alerts.error }),
    workspace,
  },
  () => offlineCopy.save(),
);

const offlineCopy = createOfflineCopy({
  state,
  store: offlineStore,
  select,
  changed: () => renderer.schedule(),
  sessionInAddress,
  // A server with a password sends us to its login page first; an
  // unreachable one leaves us offline with the saved snapshot.
  connect: () => void auth.check().then((found) => (found === 'login' ? void auth.goToLogin() : client.start())),
});

function select(id: string): void {
  state.selectedId = id;
  showInAddress(id);
  connection.follow(id);
  drawer.setOpen(false);
  renderer.schedule();
}

/** Shows an error, then rejects with it: the control that asked is given back. */
function rethrowShown(err: unknown): never {
  alerts.error(err);
  throw err;
}

/**
 * Answers a permission request over the WebSocket. Someone else answered
 * first (409 already_answered): their decision arrives as an event and the
 * card shows it; the alert says why this answer did not count.
 */
function answerPermission(requestId: string, reply: PermissionReply): Promise<void> {
  const sessionId = state.selectedId;
  if (!sessionId) return Promise.reject(new Error('No session is open.'));
  return client.request({ type: 'permission', sessionId, requestId, ...reply }).then(
    () => undefined,
    (err: unknown) => {
      if (err instanceof RequestError && err.code === 'already_answered') {
        alerts.info('Someone else answered this request first. The card shows their answer.');
        return;
      }
      rethrowShown(err);
    },
  );
}

function cancelQueued(runId: string): Promise<void> {
  if (!state.selectedId) return Promise.resolve();
  return client.request({ type: 'cancel', sessionId: state.selectedId, runId }).then(
    () => undefined,
    (err: unknown) => {
      alerts.error(err);
      throw err;
    },
  );
}

wireNewSessionForm(byId<HTMLFormElement>('new-session'), { ...actions, focusMessage: composer.focus });
wireSessionActions(
  { rename: byId<HTMLButtonElement>('rename-session'), clear: byId<HTMLButtonElement>('clear-session'), remove: byId<HTMLButtonElement>('delete-session') },
  actions,
);
byId<HTMLButtonElement>('session-details').addEventListener('click', () => {
  const session = selectedSession(state);
  if (session) sessionDetails.open(session);
});
wireRestart(byId<HTMLButtonElement>('restart-server'), { info: alerts.info, error: alerts.error });
// Esc closes the drawer first; with it closed, Esc interrupts the running prompt.
document.addEventListener('keydown', (e) => {
  if (e.key !== 'Escape' || e.defaultPrevented || document.querySelector('dialog[open]')) return;
  if (drawer.isOpen) drawer.setOpen(false);
  else if (composer.interruptOnEscape()) e.preventDefault();
});
// Back/forward or a pasted link to another session.
window.addEventListener('hashchange', () => {
  const id = sessionInAddress();
  if (id && id !== state.selectedId && state.sessions.some((s) => s.id === id)) select(id);
});

registerServiceWorker({ onUpdateReady: showUpdatePrompt });
// Connects once the offline snapshot was read (or after a short wait).
offlineCopy.start();
renderer.schedule();
