/**
 * The session details dialog (from the header's Details button): what the
 * session's runs came to (GET .../stats: outcomes, error kinds, tool calls,
 * cost, tokens, the last error) and the tools allowed for the rest of the
 * session, each with a Revoke button. A modal <dialog>, as the usage page:
 * focus stays in it, Esc closes it. The allowed tools follow the session as
 * events change it; the figures are asked for again when the session changes.
 */
import type { SessionView } from '../../server/protocol/events.js';
import type { SessionStats } from '../../server/protocol/responses.js';
import { h } from '../dom.js';
import { formatCost, formatTokens, plural } from '../format.js';
import { errorKindLabel, localTime } from './run-text.js';

export interface SessionDetailsDeps {
  stats(sessionId: string): Promise<SessionStats>;
  /** Revokes a tool allowed for the session; the session's update redraws the list. */
  revoke(sessionId: string, tool: string): Promise<void>;
  error(err: unknown): void;
}

export interface SessionDetails {
  open(session: SessionView): void;
  /** The open session as it is now (every render): the dialog follows it while open. */
  render(session: SessionView | undefined): void;
}

/** Outcomes in the order a reader expects them; others (a newer server's) follow. */
const STATUS_ORDER = ['success', 'error', 'interrupted', 'cancelled', 'running', 'queued'];

export function createSessionDetails(deps: SessionDetailsDeps): SessionDetails {
  let dialog: HTMLDialogElement | undefined;
  let current: SessionView | undefined;
  let figures: HTMLElement | undefined;
  let allowed: HTMLElement | undefined;
  /** A Revoke button was used: its list is redrawn, and the focus goes to the next one (or the heading). */
  let refocus = false;

  const loadStats = (session: SessionView) => {
    deps.stats(session.id).then(
      (stats) => {
        if (figures && current?.id === session.id) figures.replaceChildren(...statsSections(stats));
      },
      (err: unknown) => {
        if (figures) figures.replaceChildren(h('p', { class: 'muted' }, [`The figures could not be read: ${err instanceof Error ? err.message : String(err)}`]));
      },
    );
  };

  const close = () => dialog?.close();

  /** A Revoke button: the session's update redraws the list (and moves the focus on); a failure gives the button back. */
  const allowedOnClick = (e: Event) => {
    const button = (e.target as Element).closest<HTMLButtonElement>('button[data-tool]');
    const tool = button?.dataset.tool;
    if (!button || tool === undefined || !current) return;
    button.disabled = true;
    refocus = true;
    deps.revoke(current.id, tool).catch((err: unknown) => {
      button.disabled = false;
      refocus = false;
      deps.error(err);
    });
  };

  return {
    open(session) {
      if (dialog) return;
      current = session;
      figures = h('div', { class: 'details-figures' }, [h('p', { class: 'muted' }, ['Reading the figures…'])]);
      allowed = h('section', { class: 'details-section', 'aria-labelledby': 'details-allowed-h' });
      const closeButton = h('button', { type: 'button', class: 'ghost' }, ['Close']);
      closeButton.addEventListener('click', close);
      dialog = h('dialog', { class: 'dialog details-page', 'aria-labelledby': 'details-title' }, [
        h('header', { class: 'details-head' }, [h('h2', { id: 'details-title' }, [`Details of “${session.name}”`]), closeButton]),
        h('div', { class: 'details-body' }, [figures, allowed]),
      ]) as HTMLDialogElement;
      dialog.addEventListener('close', () => {
        dialog?.remove();
        dialog = undefined;
        current = undefined;
      });
      allowed.addEventListener('click', allowedOnClick);
      drawAllowed(allowed, session, false);
      document.body.append(dialog);
      dialog.showModal();
      loadStats(session);
    },
    render(session) {
      if (!dialog || !current) return;
      if (!session || session.id !== current.id) {
        close();
        return;
      }
      if (session === current) return;
      const before = current;
      current = session;
      if (session.allowedForSession !== before.allowedForSession && allowed) {
        drawAllowed(allowed, session, refocus);
        refocus = false;
      }
      // A run ended (or anything else the figures count changed): ask again.
      if (session.totals.runs !== before.totals.runs || session.totals.costUsd !== before.totals.costUsd || session.queueLength !== before.queueLength) {
        loadStats(session);
      }
    },
  };
}

function drawAllowed(section: HTMLElement, session: SessionView, refocus: boolean): void {
  const tools = session.allowedForSession ?? [];
  section.replaceChildren(
    h('h3', { id: 'details-allowed-h' }, ['Allowed for this session']),
    tools.length === 0
      ? h('p', { class: 'muted' }, ['No tool. Answer a request with “Allow for this session” and that tool runs without asking until you revoke it here.'])
      : h(
          'ul',
          { class: 'details-allowed' },
          tools.map((tool) =>
            h('li', {}, [
              h('code', {}, [tool]),
              h('button', { type: 'button', class: 'small', 'data-tool': tool, 'aria-label': `Revoke ${tool}` }, ['Revoke']),
            ]),
          ),
        ),
  );
  if (!refocus) return;
  // The button that had the focus is gone: keyboard users go on from the next one, or the heading.
  const next = section.querySelector<HTMLElement>('button[data-tool]') ?? section.querySelector<HTMLElement>('h3');
  if (next && next.tagName === 'H3') next.tabIndex = -1;
  next?.focus();
}

function statsSections(stats: SessionStats): HTMLElement[] {
  const statuses = Object.entries(stats.runs.byStatus).sort(([a], [b]) => order(a) - order(b));
  const kinds = Object.entries(stats.runs.byErrorKind).sort(([, a], [, b]) => b - a);
  const tools = Object.entries(stats.tools).sort(([an, a], [bn, b]) => b - a || an.localeCompare(bn));
  const u = stats.usage;
  return [
    h('section', { class: 'details-section', 'aria-labelledby': 'details-runs-h' }, [
      h('h3', { id: 'details-runs-h' }, [`Runs: ${formatTokens(stats.runs.total)}`]),
      table('details-runs', 'Outcome', 'Runs', statuses, (s) => s),
      kinds.length > 0 ? table('details-kinds', 'Why they failed', 'Runs', kinds, (k) => `${errorKindLabel(k)} (${k})`) : null,
    ]),
    h('section', { class: 'details-section', 'aria-labelledby': 'details-cost-h' }, [
      h('h3', { id: 'details-cost-h' }, ['Cost and tokens']),
      h('dl', { class: 'details-figures-list' }, [
        h('dt', {}, ['Cost']),
        h('dd', { 'data-figure': 'cost' }, [formatCost(stats.costUsd)]),
        h('dt', {}, ['Input']),
        h('dd', { 'data-figure': 'input' }, [`${formatTokens(u.inputTokens)} tokens`]),
        h('dt', {}, ['Output']),
        h('dd', { 'data-figure': 'output' }, [`${formatTokens(u.outputTokens)} tokens`]),
        h('dt', {}, ['Cache']),
        h('dd', { 'data-figure': 'cache' }, [`${formatTokens(u.cacheReadTokens)} read / ${formatTokens(u.cacheWriteTokens)} written`]),
      ]),
    ]),
    h('section', { class: 'details-section', 'aria-labelledby': 'details-tools-h' }, [
      h('h3', { id: 'details-tools-h' }, [`Tool calls: ${plural(tools.reduce((n, [, c]) => n + c, 0), 'call')}`]),
      tools.length === 0 ? h('p', { class: 'muted' }, ['None yet.']) : table('details-tools', 'Tool', 'Calls', tools, (t) => t),
    ]),
    h('section', { class: 'details-section', 'aria-labelledby': 'details-error-h' }, [
      h('h3', { id: 'details-error-h' }, ['Last error']),
      stats.lastError
        ? h('p', { class: 'details-error' }, [
            h('strong', {}, [`${errorKindLabel(stats.lastError.errorKind)}.`]),
            stats.lastError.error ? ` ${stats.lastError.error}` : '',
            stats.lastError.at ? h('span', { class: 'muted' }, [` (${localTime(stats.lastError.at, Date.now())})`]) : null,
          ])
        : h('p', { class: 'muted' }, ['None.']),
    ]),
  ];
}

function order(status: string): number {
  const i = STATUS_ORDER.indexOf(status);
  return i === -1 ? STATUS_ORDER.length : i;
}

function table(name: string, what: string, count: string, rows: Array<[string, number]>, label: (key: string) => string): HTMLElement {
  return h('table', { class: 'details-table', 'data-table': name }, [
    h('thead', {}, [h('tr', {}, [h('th', { scope: 'col' }, [what]), h('th', { scope: 'col' }, [count])])]),
    h(
      'tbody',
      {},
      rows.map(([key, n]) => h('tr', { 'data-key': key }, [h('th', { scope: 'row' }, [label(key)]), h('td', {}, [formatTokens(n)])])),
    ),
  ]);
}
