/**
 * SSE followers: each follows some sessions, one stream per session, cuts a
 * stream now and then (and loses all of them when the server is killed) and
 * comes back with Last-Event-ID, the way a browser's EventSource does, on
 * the original `?after=0` URL. Every event it receives goes through its
 * SeqCheck: each seq once, none skipped.
 */
import type { ServerEvent } from '../../server/protocol/events.js';
import type { Ledger } from './ledger.js';
import type { Random } from './random.js';
import { openSse, type SseConnection } from './sse.js';
import { sleep, type Target } from './target.js';

export interface FollowerOptions {
  name: string;
  sessions: readonly string[];
  localAddress: string;
  random: Random;
  /** A stream lives this long (ms) before the follower cuts it (range). */
  dropAfterMs: readonly [number, number];
}

export interface Follower {
  /** Streams opened, cut by the follower, ended by the server's side (the kill), and attempts refused or not connected. */
  stats: { opened: number; cut: number; dropped: number; refused: number; unreachable: number };
  stop(): Promise<void>;
}

/** What a follower does with an event besides checking its seq: the ledger learns runs' ends and pids. */
export function noteEvent(ledger: Ledger, event: ServerEvent): void {
  if (event.type === 'run.finished') ledger.finished(event.runId);
  if (event.type === 'run.started') ledger.runPids.add(event.pid);
}

export function startFollower(target: Target, ledger: Ledger, options: FollowerOptions): Follower {
  const stats = { opened: 0, cut: 0, dropped: 0, refused: 0, unreachable: 0 };
  const open = new Set<SseConnection>();
  const loops = options.sessions.map((sessionId) => followLoop(sessionId));

  async function followLoop(sessionId: string): Promise<void> {
    const check = ledger.seqCheck(options.name, sessionId);
    // As a browser does: the last `id:` field seen, not the seq inside the data
    // (an id that is not the seq then shows up as gaps or repeats).
    let lastEventId: string | undefined;
    while (!target.stopping) {
      const connection = openSse(`${target.url}/api/sessions/${sessionId}/events?after=0`, {
        lastEventId,
        localAddress: options.localAddress,
        onEvent: (event, id) => {
          if (id !== undefined) lastEventId = id;
          check.see(event.seq);
          noteEvent(ledger, event);
        },
      });
      open.add(connection);
      let cutByUs = false;
      const [lo, hi] = options.dropAfterMs;
      const timer = setTimeout(() => {
        cutByUs = true;
        stats.cut++;
        connection.close();
      }, options.random.int(lo, hi));
      const end = await connection.ended;
      clearTimeout(timer);
      open.delete(connection);
      if (end.status === 0) stats.unreachable++;
      else if (end.status !== 200) stats.refused++;
      else {
        stats.opened++;
        if (!cutByUs && !target.stopping) stats.dropped++;
      }
      // Back off a little when the server is gone, reconnect at once after our own cut.
      if (!target.stopping) await sleep(cutByUs ? options.random.int(0, 50) : 200);
    }
  }

  return {
    stats,
    async stop() {
      for (const connection of open) connection.close();
      await Promise.all(loops);
    },
  };
}
