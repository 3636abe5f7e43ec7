/**
 * A session's life: made (with its own folder, a folder in the roots, or a
 * git worktree), bound to an existing conversation (/chat), changed,
 * cleared, deleted (its folder or worktree only with `purge`). Each change
 * is logged as an event and the session announced again.
 */
import { randomUUID } from 'node:crypto';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { CreateSessionBody, UpdateSessionBody } from '../protocol/api.js';
import type { SessionOptions, SessionView } from '../protocol/events.js';
import { ZERO_USAGE } from '../protocol/events.js';
import type { Dispatcher } from './dispatcher.js';
import { AppError } from './errors.js';
import type { EventLog } from './event-log.js';
import type { Clock } from './ports.js';
import type { Rules } from './rules.js';
import { defaultName, notFound, pickOptions, requireSession } from './sessions.js';
import type { SessionRecord, Store } from './store.js';
import type { Workspace } from './workspace.js';

export interface SessionLifeDeps {
  store: Store;
  clock: Clock;
  events: EventLog;
  rules: Rules;
  workspace: Workspace;
  dispatcher: Dispatcher;
}

export class SessionLife {
  readonly #store: Store;
  readonly #clock: Clock;
  readonly #events: EventLog;
  readonly #rules: Rules;
  readonly #workspace: Workspace;
  readonly #dispatcher: Dispatcher;

  constructor(deps: SessionLifeDeps) {
    this.#store = deps.store;
    this.#clock = deps.clock;
    this.#events = deps.events;
    this.#rules = deps.rules;
    this.#workspace = deps.workspace;
    this.#dispatcher = deps.dispatcher;
  }

  async create(body: CreateSessionBody, origin: SessionRecord['origin'] = 'api'): Promise<SessionView> {
    const id = randomUUID();
    const ownFolder = body.cwd === undefined;
    const asked = body.cwd !== undefined ? this.#rules.folder(body.cwd) : undefined;
    const options = this.#rules.options(pickOptions(body));
    const name = body.name ?? body.session_name ?? defaultName(asked ?? '', ownFolder);
    // Last of the checks, as it makes something: a worktree (and its branch) in the repository.
    const made = await this.#workspace.newWorktree({ worktree: body.worktree, baseRef: body.baseRef, cwd: asked, sessionId: id, name });
    const cwd = made?.cwd ?? asked ?? join(this.#rules.sessionsDir, id);
    if (ownFolder) mkdirSync(cwd, { recursive: true, mode: 0o700 });
    const now = this.#clock.now().toISOString();
    const record: SessionRecord = {
      id,
      name,
      cwd,
      ownFolder,
      ...(made ? { worktree: made.worktree } : {}),
      options,
      claudeSessionId: randomUUID(),
      claudeStarted: false,
      origin,
      costUsd: 0,
      runs: 0,
      usage: { ...ZERO_USAGE },
      createdAt: now,
      updatedAt: now,
    };
    await this.#store.createSession(record).catch(async (err: unknown) => {
      if (made) await this.#workspace.discardWorktree(made);
      throw err;
    });
    const view = await this.#view(record);
    const stored = await this.#events.append({ type: 'session.created', sessionId: id, session: view });
    this.#dispatcher.prewarm(record);
    // The caller's view counts the event just logged (it may subscribe after it).
    return { ...view, lastSeq: stored.seq };
  }

  /** A session bound to an existing Claude conversation (the /chat gateway's `session_id`). */
  async adoptConversation(claudeSessionId: string, cwd: string | undefined, options: SessionOptions): Promise<SessionView> {
    const existing = (await this.#store.listSessions()).find((s) => s.claudeSessionId === claudeSessionId);
    if (existing) {
      if (cwd !== undefined && existing.cwd !== this.#rules.folder(cwd)) {
        throw new AppError('conflict', `Conversation ${claudeSessionId} belongs to another folder (${existing.cwd}).`);
      }
      return this.update(existing.id, options);
    }
    const view = await this.create({ ...options, ...(cwd !== undefined ? { cwd } : {}) }, 'chat');
    // The CLI owns the transcript: continue it rather than start a new one.
    await this.#store.updateSession(view.id, { claudeSessionId, claudeStarted: true });
    return this.#view(await this.#record(view.id));
  }

  async update(id: string, body: UpdateSessionBody): Promise<SessionView> {
    const record = await this.#record(id);
    const options = this.#rules.options({ ...record.options, ...pickOptions(body) });
    const next = await this.#store.updateSession(id, {
      options,
      updatedAt: this.#clock.now().toISOString(),
      ...(body.name !== undefined ? { name: body.name } : {}),
    });
    if (!next) throw notFound(id);
    // New options need a new process: the warm one ends (after its turn, if it has one).
    if (JSON.stringify(options) !== JSON.stringify(record.options)) await this.#dispatcher.replaceProcess(next);
    return this.#dispatcher.announce(next);
  }

  /**
   * Stops the session's run, drops its queue and forgets it. Only with
   * `purge`: an own folder is removed, and a worktree (with `git worktree
   * remove`, which git refuses for uncommitted work: then nothing is deleted).
   */
  async delete(id: string, purge = false): Promise<{ deleted: true; purged: boolean; message?: string }> {
    const record = await this.#record(id);
    if (purge) await this.#workspace.checkPurge(record);
    const pending = await this.#dispatcher.dropSession(id);
    for (const runId of pending) await this.#store.updateRun(runId, { state: 'cancelled' });
    await this.#events.append({ type: 'session.deleted', sessionId: id });
    await this.#events.serial(id, () => this.#store.deleteSession(id));
    this.#events.forget(id);
    if (purge && record.worktree) return { deleted: true, ...(await this.#workspace.purgeWorktree(record)) };
    const purged = purge && record.ownFolder;
    if (purged) rmSync(record.cwd, { recursive: true, force: true });
    return { deleted: true, purged };
  }

  /** Starts a new Claude conversation in the same session and folder. */
  async clear(id: string): Promise<SessionView> {
    await this.#record(id);
    const claudeSessionId = randomUUID();
    const next = await this.#store.updateSession(id, {
      claudeSessionId,
      claudeStarted: false,
      conversationCostUsd: 0,
      updatedAt: this.#clock.now().toISOString(),
    });
    if (!next) throw notFound(id);
    await this.#events.append({ type: 'session.cleared', sessionId: id, claudeSessionId });
    await this.#dispatcher.replaceProcess(next);
    return this.#dispatcher.announce(next);
  }

  #record(id: string): Promise<SessionRecord> {
    return requireSession(this.#store, id);
  }

  #view(record: SessionRecord): Promise<SessionView> {
    return this.#dispatcher.view(record);
  }
}
