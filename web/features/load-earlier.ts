/**
 * "Load earlier messages": a transcript opens at its last TAIL_RUNS runs; the
 * button above it fetches the runs before those, as many again (REST history).
 */
import { history as fetchHistory } from '../net/api.js';
import { prependHistory, type SessionState } from '../state/reducer.js';
import { TAIL_RUNS, type AppState } from '../app/state.js';

export interface LoadEarlierDeps {
  state: AppState;
  changed(): void;
  error(err: unknown): void;
}

export interface LoadEarlier {
  render(session: SessionState | undefined): void;
}

export function createLoadEarlier(button: HTMLButtonElement, deps: LoadEarlierDeps): LoadEarlier {
  const { state } = deps;
  let loading = false;

  const load = async () => {
    const id = state.selectedId;
    const current = id ? state.followed.get(id) : undefined;
    if (!id || !current?.hasEarlier || !current.firstRunId || loading) return;
    loading = true;
    try {
      const page = await fetchHistory(id, current.firstRunId, TAIL_RUNS);
      const latest = state.followed.get(id);
      if (latest) state.followed.set(id, prependHistory(latest, page.events, page));
    } catch (err) {
      deps.error(err);
    } finally {
      loading = false;
      deps.changed();
    }
  };
  button.addEventListener('click', () => void load());

  return {
    render(session) {
      button.hidden = !session?.hasEarlier;
      button.disabled = loading;
    },
  };
}
