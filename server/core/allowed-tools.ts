/**
 * Tools a person allowed for the rest of a session ("Allow for this
 * session"): not asked about again while the session lives. They are kept
 * with the session, so they survive a restart and a change of owner, and a
 * person can take each one back.
 */
import type { LogFn } from './event-log.js';
import type { SessionRecord, Store } from './store.js';

export interface AllowedToolsDeps {
  store: Store;
  log: LogFn;
  /** Publishes the session again (its list of allowed tools changed). */
  reannounce(sessionId: string): Promise<void>;
}

export class AllowedTools {
  readonly #deps: AllowedToolsDeps;
  readonly #sets = new Map<string, Set<string>>();

  constructor(deps: AllowedToolsDeps) {
    this.#deps = deps;
  }

  /** The live set of a session (a run adds to it when a person allows a tool for the session). */
  of(sessionId: string): Set<string> {
    let set = this.#sets.get(sessionId);
    if (!set) this.#sets.set(sessionId, (set = new Set()));
    return set;
  }

  /** What the session's record says (at start, or when this instance takes the session). */
  load(session: SessionRecord): void {
    this.#sets.set(session.id, new Set(session.allowedForSession ?? []));
  }

  /** Writes the set to the session and announces it; failures are logged. */
  keep(sessionId: string): void {
    this.#deps.store
      .updateSession(sessionId, { allowedForSession: this.#sorted(sessionId) })
      .then(() => this.#deps.reannounce(sessionId))
      .catch((err: unknown) => this.#deps.log('error', "keeping the session's allowed tools failed", { sessionId, err }));
  }

  /** Asks again before the tool; returns the session as stored now (undefined: gone). */
  revoke(sessionId: string, toolName: string): Promise<SessionRecord | undefined> {
    this.of(sessionId).delete(toolName);
    return this.#deps.store.updateSession(sessionId, { allowedForSession: this.#sorted(sessionId) });
  }

  forget(sessionId: string): void {
    this.#sets.delete(sessionId);
  }

  #sorted(sessionId: string): string[] {
    return [...this.of(sessionId)].sort();
  }
}
