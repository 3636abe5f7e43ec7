/**
 * What the user does to sessions outside the message stream: create one
 * (folder chosen among the allowed roots), rename, clear, delete, and the
 * slash commands. Each goes to the REST API; the WebSocket brings the
 * resulting events back, so nothing here edits the transcript itself.
 */
import { PERMISSION_MODES, type PermissionMode, type SessionView } from '../../server/protocol/events.js';
import { h } from '../dom.js';
import { formatCost, formatTokens, plural } from '../format.js';
import {
  clearConversation,
  createSession,
  deleteSession,
  listFolders,
  listRoots,
  updateSession,
  usage,
} from '../net/api.js';
import { askText, chooseFolder, confirmDialog } from '../views/dialogs.js';
import { helpText, type ParsedCommand } from './commands.js';

export interface ActionContext {
  selected(): SessionView | undefined;
  /** A session object the server answered with (the list learns it at once). */
  upsert(session: SessionView): void;
  select(id: string): void;
  info(text: string): void;
  error(err: unknown): void;
}

export async function runCommand(command: ParsedCommand, ctx: ActionContext): Promise<void> {
  const session = ctx.selected();
  if (!session) return;
  switch (command.name) {
    case '/clear':
      ctx.upsert(await clearConversation(session.id));
      ctx.info('Started a new conversation. Earlier messages stay above, but Claude will not see them.');
      return;
    case '/cost': {
      const { today, server } = await usage();
      const t = session.totals;
      ctx.info(
        `This session: ${formatCost(t.costUsd)} over ${plural(t.runs, 'run')} ` +
          `(${formatTokens(t.usage.inputTokens)} in, ${formatTokens(t.usage.outputTokens)} out, ` +
          `${formatTokens(t.usage.cacheReadTokens)} cache read). Today: ${formatCost(today.costUsd)} on this machine` +
          `${server ? `, ${formatCost(server.costUsd)} over ${plural(server.runs, 'run')} through this app` : ''}.`,
      );
      return;
    }
    case '/model':
      if (command.arg === '') {
        ctx.info(`Model: ${session.options.model ?? "the CLI's default"}. Change it with /model NAME.`);
        return;
      }
      ctx.upsert(await updateSession(session.id, { model: command.arg }));
      ctx.info(`Model set to ${command.arg} from the next prompt on.`);
      return;
    case '/help':
      ctx.info(helpText());
      return;
    default: {
      const never: never = command.name;
      void never;
    }
  }
}

export function wireSessionActions(
  buttons: { rename: HTMLButtonElement; clear: HTMLButtonElement; remove: HTMLButtonElement },
  ctx: ActionContext,
): void {
  const guarded = (fn: (s: SessionView) => Promise<void>) => () => {
    const session = ctx.selected();
    if (session) fn(session).catch((err: unknown) => ctx.error(err));
  };
  buttons.rename.addEventListener(
    'click',
    guarded(async (s) => {
      const name = await askText('Rename session', 'Name', s.name);
      if (name && name !== s.name) ctx.upsert(await updateSession(s.id, { name }));
    }),
  );
  buttons.clear.addEventListener('click', guarded((s) => runCommand({ name: '/clear', arg: '' }, { ...ctx, selected: () => s })));
  buttons.remove.addEventListener(
    'click',
    guarded(async (s) => {
      const sure = await confirmDialog(
        `Delete “${s.name}”?`,
        'Its run is stopped, its queue dropped and its history forgotten. The folder and its files stay on disk.',
        'Delete',
      );
      if (sure) await deleteSession(s.id);
    }),
  );
}

export function wireNewSessionForm(form: HTMLFormElement, ctx: ActionContext & { focusMessage(): void }): void {
  const root = form.querySelector<HTMLSelectElement>('#new-root');
  const cwd = form.querySelector<HTMLInputElement>('#new-cwd');
  const browse = form.querySelector<HTMLButtonElement>('#browse');
  const mode = form.querySelector<HTMLSelectElement>('#new-permission-mode');
  if (!root || !cwd || !browse || !mode) throw new Error('the new-session form is incomplete');

  for (const m of PERMISSION_MODES) if (m !== 'default') mode.append(h('option', { value: m }, [m]));
  const folderRow = cwd.closest<HTMLElement>('.folder-row');
  // A path and "Browse…" only mean something inside a chosen root.
  const syncBrowse = () => {
    if (folderRow) folderRow.hidden = root.value === '';
  };
  listRoots().then(
    ({ roots }) => {
      for (const r of roots) root.append(h('option', { value: r }, [r]));
      syncBrowse();
    },
    () => syncBrowse(),
  );
  root.addEventListener('change', () => {
    cwd.value = '';
    syncBrowse();
  });
  browse.addEventListener('click', () => {
    if (!root.value) return;
    chooseFolder(root.value, listFolders).then(
      (picked) => {
        if (picked !== undefined) cwd.value = picked;
      },
      (err: unknown) => ctx.error(err),
    );
  });

  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const data = new FormData(form);
    const text = (name: string) => String(data.get(name) ?? '').trim();
    const folder = text('cwd') || root.value || undefined;
    const permissionMode = text('permissionMode');
    const button = form.querySelector<HTMLButtonElement>('button[type="submit"]');
    if (button) button.disabled = true;
    createSession({
      name: text('name') || undefined,
      // A path typed relative to the chosen root is joined to it.
      cwd: folder && root.value && !folder.startsWith('/') && !folder.startsWith('~') ? `${root.value}/${folder}` : folder,
      model: text('model') || undefined,
      permissionMode: (PERMISSION_MODES as readonly string[]).includes(permissionMode) ? (permissionMode as PermissionMode) : undefined,
    })
      .then((session) => {
        ctx.upsert(session);
        form.reset();
        syncBrowse();
        ctx.select(session.id);
        ctx.focusMessage();
      })
      .catch((err: unknown) => ctx.error(err))
      .finally(() => {
        if (button) button.disabled = false;
      });
  });
}
