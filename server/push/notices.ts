/**
 * Which events are worth a push, read from the engine's event stream:
 *
 * - a permission request that waits for a person (not one a "for the
 *   session" answer settled at once); when one is answered and another of
 *   the same session still waits (Claude asked for two tools at once), that
 *   one is pushed next, since the notification of the first replaced it;
 * - a run that failed (not one a stopped or dead server cut short);
 * - a session whose queue drained: a run ended (success or interrupted) and
 *   the session's next announcement shows nothing running, waiting or
 *   queued. The announcement, not `run.finished`, decides: at `run.finished`
 *   the run is still on the books and the next prompt not yet taken.
 *
 * `decide` is synchronous so that events are judged in the order they
 * happened; what a push says is filled in afterwards (`PushNotices.build`),
 * and that is also when a permission request is checked to be still open
 * (one answered at once, or meanwhile, is no news).
 */
import { createHash } from 'node:crypto';
import type { ServerEvent, SessionView } from '../protocol/events.js';
import type { PushKind, PushPayload } from '../protocol/push.js';
import type { PushOptions } from './sender.js';

/** A failure or a finished queue is still news to a phone that was offline for a day. */
const NEWS_TTL_S = 24 * 3600;

export interface Decision {
  kind: PushKind;
  sessionId: string;
  runId: string;
  /** A permission push: the requests it may be about, oldest first; it is about the first still open. */
  requests?: OpenRequest[] | undefined;
  errorKind?: string | undefined;
  /** The session as the event carried it, when it did. */
  session?: SessionView | undefined;
}

export interface Notice {
  payload: PushPayload;
  options: PushOptions;
}

/** What the notices read of the engine. */
export interface NoticeSource {
  getSession(id: string): Promise<SessionView>;
  listSessions(): Promise<SessionView[]>;
  isPermissionOpen(sessionId: string, requestId: string): Promise<boolean>;
}

export interface OpenRequest {
  requestId: string;
  runId: string;
  toolName: string;
}

export class PushNotices {
  readonly #source: NoticeSource;
  readonly #permissionTtlS: number;
  /** Sessions whose run ended well: the next idle announcement with an empty queue is a drain. */
  readonly #drainAfter = new Map<string, string>();
  /** Permission requests asked and not yet resolved, by session, oldest first. */
  readonly #open = new Map<string, Map<string, OpenRequest>>();

  /** `permissionTtlS`: an unanswered request is denied after this, so a later delivery is pointless. */
  constructor(source: NoticeSource, permissionTtlS: number) {
    this.#source = source;
    this.#permissionTtlS = permissionTtlS;
  }

  decide(event: ServerEvent): Decision | undefined {
    const { sessionId } = event;
    switch (event.type) {
      case 'permission.requested': {
        const request = { requestId: event.requestId, runId: event.runId, toolName: event.toolName };
        this.#openOf(sessionId).set(event.requestId, request);
        return { kind: 'permission', sessionId, runId: event.runId, requests: [request] };
      }
      case 'permission.resolved': {
        const open = this.#open.get(sessionId);
        open?.delete(event.requestId);
        if (!open?.size) return undefined;
        const requests = [...open.values()];
        return { kind: 'permission', sessionId, runId: requests[0]?.runId ?? '', requests };
      }
      case 'run.finished':
        this.#open.delete(sessionId);
        if (event.status === 'error') {
          this.#drainAfter.delete(sessionId);
          // Recorded by the next start of its server, or by the instance that took over from a dead
          // one: not news from the run, and with several instances its own instance is gone.
          if (event.errorKind === 'server_restart') return undefined;
          return { kind: 'failed', sessionId, runId: event.runId, errorKind: event.errorKind };
        }
        if (event.status === 'success' || event.status === 'interrupted') this.#drainAfter.set(sessionId, event.runId);
        return undefined;
      case 'session.updated':
        return this.#drained(event.session);
      case 'session.deleted':
        this.#drainAfter.delete(sessionId);
        this.#open.delete(sessionId);
        return undefined;
      default:
        return undefined;
    }
  }

  /** The payload and delivery options of a decision; undefined when its session is gone. */
  async build(decision: Decision): Promise<Notice | undefined> {
    const request = decision.kind === 'permission' ? await this.#firstOpen(decision) : undefined;
    if (decision.kind === 'permission' && !request) return undefined;
    let session: SessionView;
    let all: SessionView[];
    try {
      [session, all] = await Promise.all([decision.session ?? this.#source.getSession(decision.sessionId), this.#source.listSessions()]);
    } catch {
      return undefined; // deleted meanwhile
    }
    const waiting = all.reduce((sum, s) => sum + (s.waitingForAnswers ?? 0), 0);
    const payload: PushPayload = {
      ...texts(decision, session.name, request?.toolName),
      kind: decision.kind,
      sessionId: session.id,
      sessionName: session.name,
      runId: request?.runId ?? decision.runId,
      ...(request ? { requestId: request.requestId, toolName: request.toolName } : {}),
      waiting,
    };
    const topic = topicOf(session.id);
    const options: PushOptions =
      decision.kind === 'permission' ? { ttlS: this.#permissionTtlS, urgency: 'high', topic } : { ttlS: NEWS_TTL_S, urgency: 'normal', topic };
    return { payload, options };
  }

  async #firstOpen(decision: Decision): Promise<OpenRequest | undefined> {
    for (const request of decision.requests ?? []) {
      if (await this.#source.isPermissionOpen(decision.sessionId, request.requestId)) return request;
    }
    return undefined;
  }

  #drained(session: SessionView): Decision | undefined {
    const runId = this.#drainAfter.get(session.id);
    if (runId === undefined) return undefined;
    if (session.queueLength > 0) {
      // The next prompt runs; its end decides.
      this.#drainAfter.delete(session.id);
      return undefined;
    }
    if (session.status !== 'idle') return undefined;
    this.#drainAfter.delete(session.id);
    return { kind: 'drained', sessionId: session.id, runId, session };
  }

  #openOf(sessionId: string): Map<string, OpenRequest> {
    let open = this.#open.get(sessionId);
    if (!open) this.#open.set(sessionId, (open = new Map()));
    return open;
  }
}

/** Title and body: the session's name and the tool's, never what the tool would do. */
function texts(decision: Decision, name: string, toolName = 'a tool'): { title: string; body: string } {
  switch (decision.kind) {
    case 'permission':
      return { title: `${name}: allow ${toolName}?`, body: `Claude wants to use ${toolName}. Tap to see what it would do.` };
    case 'failed':
      return {
        title: `${name}: the run failed`,
        body: decision.errorKind ? `The run failed (${decision.errorKind.replace(/_/g, ' ')}). Tap for details.` : 'The run ended with an error. Tap for details.',
      };
    case 'drained':
      return { title: `${name} is done`, body: 'Nothing is left in its queue.' };
    default: {
      const never: never = decision.kind;
      throw new Error(`unknown push kind ${String(never)}`);
    }
  }
}

/**
 * RFC 8030 topics are at most 32 base64url characters: a digest of the
 * session id, so that an undelivered push of a session is replaced by its
 * next one, as its notifications replace each other on the device.
 */
export function topicOf(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('base64url').slice(0, 32);
}
