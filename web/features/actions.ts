/**
 * What the user does to sessions outside the message stream: rename, clear,
 * delete (a worktree too, if asked), and the slash commands (creating one is
 * new-session.ts). Each goes to the REST API; the WebSocket brings the
 * resulting events back, so nothing here edits the transcript itself.
 */
import type { SessionView } from '../../server/protocol/events.js';
import { formatCost, formatTokens, plural } from '../format.js';
import { ApiError, clearConversation, deleteSession, updateSession, usage } from '../net/api.js';
import { askText, confirmDelete } from '../views/dialogs.js';
import { helpText, type ParsedCommand } from './commands.js';

export interface ActionContext {
  selected(): SessionView | undefined;
  /** A session object the server answered with (the list learns it at once). */
  upsert(session: SessionView): void;
  select(id: string): void;
  /** A delete from here is asked for (true), or failed (false): the page expects the open session to go. */
  deleting(on: boolean): void;
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
      const answer = await confirmDelete(s.name, s.worktree);
      if (answer === undefined) return;
      ctx.deleting(true);
      const result = await deleteSession(s.id, answer.purge)
        .catch((err: unknown) => {
          ctx.deleting(false);
          // git refused to remove the worktree (uncommitted work, a lock): nothing was deleted.
          if (err instanceof ApiError && err.status === 409) throw new Error(`Nothing was deleted. ${err.message}`);
          throw err;
        });
      ctx.info(result.message ?? `“${s.name}” is deleted.`);
    }),
  );
}
