/**
 * Several instances on one Redis: who owns which session (leases), commands
 * sent to an owner, and the feed every instance hears (events the store
 * published, raw CLI lines).
 *
 * - A lease is a key `<prefix>lease:<sessionId>` holding the owner's
 *   instance id, with an expiry (`ttlMs`). Taking, renewing and giving it up
 *   are Lua scripts, so they compare and change in one step. The holder
 *   renews its leases every third of the TTL; when a renewal finds another
 *   instance's id (or cannot reach Redis for a whole TTL), the lease is lost
 *   and the dispatcher stops the session's run.
 * - Commands: PUBLISH on `<prefix>ctl:<instanceId>`, answered on
 *   `<prefix>reply:<instanceId>` of the sender. Nobody listening (PUBLISH
 *   reaches 0 clients) or no answer within `commandTimeoutMs` is an error.
 * - The feed: PSUBSCRIBE `<prefix>events:*` (the store publishes each event
 *   there as it numbers it) and SUBSCRIBE `<prefix>raw`, on one subscribing
 *   connection, so both arrive in the order Redis sent them.
 * - Presence: each instance says on `<prefix>presence` how much longer
 *   someone is looking at it (core/presence.ts), so that the instance that
 *   pushes skips a push the user already sees on another.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { ServerEvent } from '../protocol/events.js';
import { AppError, isAppError } from '../core/errors.js';
import type { Coordinator, FedRawLine, LogFn, RemoteCommand, SharedFeed } from '../core/ports.js';
import type { PresenceChannel } from '../core/presence.js';

export interface RedisClusterOptions {
  /** The store's connection: commands and PUBLISH go through it (so raw lines and events keep their order). */
  client: Redis;
  keyPrefix: string;
  instanceId: string;
  /** How long a lease lives without renewal. */
  leaseTtlMs: number;
  /** How long a command waits for the owner's answer. */
  commandTimeoutMs?: number;
  log: LogFn;
}

const TAKE = `
local cur = redis.call('GET', KEYS[1])
if (not cur) or cur == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
return 0`;

const GIVE_UP = `
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

interface Envelope {
  id: string;
  from: string;
  command: RemoteCommand;
}

interface Reply {
  id: string;
  ok: boolean;
  value?: unknown;
  error?: { code: string; message: string; details?: unknown };
}

interface RawMessage {
  from: string;
  sessionId: string;
  runId: string;
  lines: FedRawLine[];
}

interface PresenceMessage {
  from: string;
  forMs: number;
}

export interface RedisCluster extends Coordinator, SharedFeed, PresenceChannel {}

export async function createRedisCluster(options: RedisClusterOptions): Promise<RedisCluster> {
  const cluster = new RedisClusterAdapter(options);
  await cluster.connect();
  return cluster;
}

class RedisClusterAdapter implements RedisCluster {
  readonly instanceId: string;
  readonly shared = true;
  readonly #options: RedisClusterOptions;
  readonly #client: Redis;
  readonly #subscriber: Redis;
  readonly #prefix: string;
  /** Leases held, with when each was last renewed. */
  readonly #held = new Map<string, number>();
  readonly #waiting = new Map<string, { resolve: (value: unknown) => void; reject: (err: unknown) => void; timer: NodeJS.Timeout }>();
  readonly #lostListeners: Array<(sessionId: string) => void> = [];
  readonly #eventListeners: Array<(event: ServerEvent) => void> = [];
  readonly #rawListeners: Array<(sessionId: string, runId: string, lines: FedRawLine[]) => void> = [];
  readonly #reconnectListeners: Array<() => void> = [];
  readonly #presenceListeners: Array<(instanceId: string, forMs: number) => void> = [];
  #handler: ((command: RemoteCommand) => Promise<unknown>) | undefined;
  #renewTimer: NodeJS.Timeout | undefined;
  #ready = false;
  #closed = false;

  constructor(options: RedisClusterOptions) {
    this.#options = options;
    this.instanceId = options.instanceId;
    this.#client = options.client;
    this.#prefix = options.keyPrefix;
    // A subscribing connection serves nothing else; it queues (re)subscriptions until it is up.
    this.#subscriber = options.client.duplicate({ lazyConnect: true, enableOfflineQueue: true });
  }

  async connect(): Promise<void> {
    const sub = this.#subscriber;
    sub.on('pmessage', (_pattern: string, _channel: string, text: string) => this.#onEvent(text));
    sub.on('message', (channel: string, text: string) => this.#onMessage(channel, text));
    sub.on('ready', () => {
      // ioredis subscribes again by itself; what was published while it was away is lost.
      if (this.#ready) for (const listener of this.#reconnectListeners) listener();
      this.#ready = true;
    });
    sub.on('error', () => undefined);
    await sub.connect();
    await sub.psubscribe(`${this.#prefix}events:*`);
    await sub.subscribe(
      this.#channel('raw'),
      this.#channel('presence'),
      this.#channel(`ctl:${this.instanceId}`),
      this.#channel(`reply:${this.instanceId}`),
    );
    const every = Math.max(50, Math.floor(this.#options.leaseTtlMs / 3));
    this.#renewTimer = setInterval(() => void this.#renewAll(), every);
    this.#renewTimer.unref();
  }

  #channel(name: string): string {
    return `${this.#prefix}${name}`;
  }

  #leaseKey(sessionId: string): string {
    return `${this.#prefix}lease:${sessionId}`;
  }

  // ---- leases -------------------------------------------------------------

  async claim(sessionId: string): Promise<boolean> {
    if (this.#closed) return false;
    const taken = await this.#client.eval(TAKE, 1, this.#leaseKey(sessionId), this.instanceId, this.#options.leaseTtlMs);
    if (taken !== 1) return false;
    this.#held.set(sessionId, Date.now());
    return true;
  }

  async release(sessionId: string): Promise<void> {
    this.#held.delete(sessionId);
    await this.#client.eval(GIVE_UP, 1, this.#leaseKey(sessionId), this.instanceId);
  }

  async ownerOf(sessionId: string): Promise<string | undefined> {
    return (await this.#client.get(this.#leaseKey(sessionId))) ?? undefined;
  }

  onLost(listener: (sessionId: string) => void): void {
    this.#lostListeners.push(listener);
  }

  async #renewAll(): Promise<void> {
    const ttl = this.#options.leaseTtlMs;
    await Promise.all(
      [...this.#held.keys()].map(async (sessionId) => {
        try {
          const kept = await this.#client.eval(RENEW, 1, this.#leaseKey(sessionId), this.instanceId, ttl);
          if (!this.#held.has(sessionId)) return;
          if (kept === 1) this.#held.set(sessionId, Date.now());
          else this.#lose(sessionId);
        } catch {
          // Redis away: the lease expires there after a TTL whatever we do, so after one we stop acting as its owner.
          const renewed = this.#held.get(sessionId);
          if (renewed !== undefined && Date.now() - renewed > ttl) this.#lose(sessionId);
        }
      }),
    );
  }

  #lose(sessionId: string): void {
    if (!this.#held.delete(sessionId)) return;
    for (const listener of this.#lostListeners) listener(sessionId);
  }

  // ---- commands -----------------------------------------------------------

  async send(instanceId: string, command: RemoteCommand): Promise<unknown> {
    const id = randomUUID();
    const envelope: Envelope = { id, from: this.instanceId, command };
    const answer = new Promise<unknown>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#waiting.delete(id);
        reject(new Error(`instance ${instanceId} did not answer within ${this.#timeoutMs} ms`));
      }, this.#timeoutMs);
      this.#waiting.set(id, { resolve, reject, timer });
    });
    const listeners = await this.#client.publish(this.#channel(`ctl:${instanceId}`), JSON.stringify(envelope)).catch((err: unknown) => {
      this.#settle({ id, ok: false, error: { code: 'owner_unavailable', message: String(err) } });
      return 1;
    });
    if (listeners === 0) this.#settle({ id, ok: false, error: { code: 'owner_unavailable', message: `instance ${instanceId} is not listening` } });
    return answer;
  }

  get #timeoutMs(): number {
    return this.#options.commandTimeoutMs ?? 5000;
  }

  onCommand(handler: (command: RemoteCommand) => Promise<unknown>): void {
    this.#handler = handler;
  }

  async #answer(envelope: Envelope): Promise<void> {
    let reply: Reply;
    try {
      if (!this.#handler) throw new Error('this instance takes no commands yet');
      reply = { id: envelope.id, ok: true, value: (await this.#handler(envelope.command)) ?? null };
    } catch (err) {
      reply = isAppError(err)
        ? { id: envelope.id, ok: false, error: { code: err.code, message: err.message, details: err.details } }
        : { id: envelope.id, ok: false, error: { code: 'internal', message: err instanceof Error ? err.message : String(err) } };
    }
    await this.#client.publish(this.#channel(`reply:${envelope.from}`), JSON.stringify(reply));
  }

  #settle(reply: Reply): void {
    const waiting = this.#waiting.get(reply.id);
    if (!waiting) return;
    this.#waiting.delete(reply.id);
    clearTimeout(waiting.timer);
    if (reply.ok) return waiting.resolve(reply.value);
    const { code, message, details } = reply.error ?? { code: 'internal', message: 'no error given' };
    waiting.reject(code === 'owner_unavailable' ? new Error(message) : new AppError(code as AppError['code'], message, { details }));
  }

  // ---- the feed -----------------------------------------------------------

  onEvent(listener: (event: ServerEvent) => void): void {
    this.#eventListeners.push(listener);
  }

  onReconnect(listener: () => void): void {
    this.#reconnectListeners.push(listener);
  }

  publishRaw(sessionId: string, runId: string, lines: readonly FedRawLine[]): void {
    const message: RawMessage = { from: this.instanceId, sessionId, runId, lines: [...lines] };
    this.#client.publish(this.#channel('raw'), JSON.stringify(message)).catch((err: unknown) =>
      this.#options.log('warn', 'could not tell the other instances about raw lines', { sessionId, runId, err }),
    );
  }

  onRaw(listener: (sessionId: string, runId: string, lines: FedRawLine[]) => void): void {
    this.#rawListeners.push(listener);
  }

  // ---- presence -----------------------------------------------------------

  async publishPresence(forMs: number): Promise<void> {
    const message: PresenceMessage = { from: this.instanceId, forMs };
    await this.#client.publish(this.#channel('presence'), JSON.stringify(message));
  }

  onPresence(listener: (instanceId: string, forMs: number) => void): void {
    this.#presenceListeners.push(listener);
  }

  #onEvent(text: string): void {
    let event: ServerEvent;
    try {
      event = JSON.parse(text) as ServerEvent;
    } catch {
      return;
    }
    for (const listener of this.#eventListeners) listener(event);
  }

  #onMessage(channel: string, text: string): void {
    let message: unknown;
    try {
      message = JSON.parse(text);
    } catch {
      return;
    }
    if (channel === this.#channel('raw')) {
      const raw = message as RawMessage;
      if (raw.from === this.instanceId) return;
      for (const listener of this.#rawListeners) listener(raw.sessionId, raw.runId, raw.lines);
    } else if (channel === this.#channel('presence')) {
      const presence = message as PresenceMessage;
      if (presence.from === this.instanceId || typeof presence.forMs !== 'number') return;
      for (const listener of this.#presenceListeners) listener(presence.from, presence.forMs);
    } else if (channel === this.#channel(`reply:${this.instanceId}`)) {
      this.#settle(message as Reply);
    } else if (channel === this.#channel(`ctl:${this.instanceId}`)) {
      this.#answer(message as Envelope).catch((err: unknown) => this.#options.log('warn', 'could not answer another instance', { err }));
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#renewTimer);
    await Promise.allSettled([...this.#held.keys()].map((sessionId) => this.release(sessionId)));
    for (const [id, waiting] of this.#waiting) {
      clearTimeout(waiting.timer);
      waiting.reject(new Error('shutting down'));
      this.#waiting.delete(id);
    }
    this.#subscriber.disconnect();
  }
}
