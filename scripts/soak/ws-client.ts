/**
 * A WebSocket client as the app is one: it follows its sessions, submits
 * with a clientRequestId, and is cut now and then (a tunnel that drops, a
 * phone that sleeps; sometimes right after a submit, before its answer).
 * It comes back with `hello {resume: {session: last seq}}` and sends again
 * every submit it has no answer for: it cannot know whether the server took
 * it, so the server has to recognise the id and answer with the first run.
 */
import { WebSocket } from 'ws';
import type { SubmitResult } from '../../server/protocol/runs.js';
import type { ServerFrame } from '../../server/protocol/ws.js';
import { noteEvent } from './followers.js';
import type { Ledger, PromptRecord } from './ledger.js';
import type { Random } from './random.js';
import { sleep, type Target } from './target.js';

export interface WsClientOptions {
  name: string;
  sessions: readonly string[];
  localAddress: string;
  random: Random;
  /** A connection lives this long (ms) before the client cuts it (range). */
  cutAfterMs: readonly [number, number];
  /** Chance of cutting the socket right after sending a submit, before its answer. */
  cutAfterSubmit: number;
}

export interface WsClient {
  stats: { connects: number; cuts: number; dropped: number; resent: number };
  /** Sends the prompt now or after the next connect; resolves once the server answered (or refused it). */
  submit(record: PromptRecord): Promise<void>;
  stop(): Promise<void>;
}

interface Outstanding {
  record: PromptRecord;
  done: () => void;
}

/** Answers that mean "not now" rather than "no": keep the prompt and send it again later. */
const RETRY_CODES = new Set(['cli_unavailable', 'queue_full', 'too_many_connections', 'internal']);

export function startWsClient(target: Target, ledger: Ledger, options: WsClientOptions): WsClient {
  const stats = { connects: 0, cuts: 0, dropped: 0, resent: 0 };
  /** Submits without an answer yet, by client request id: re-sent after every reconnect. */
  const outstanding = new Map<string, Outstanding>();
  let socket: WebSocket | undefined;
  let ready = false;
  let frameNo = 0;
  let wake: (() => void) | undefined;
  const cutByUs = new WeakSet<WebSocket>();
  const cut = (ws: WebSocket) => {
    if (ws.readyState !== WebSocket.OPEN) return;
    cutByUs.add(ws);
    stats.cuts++;
    ws.terminate();
  };

  const send = (ws: WebSocket, item: Outstanding) => {
    item.record.sends++;
    if (item.record.sends > 1) stats.resent++;
    ws.send(
      JSON.stringify({
        type: 'submit',
        id: `${item.record.clientRequestId}#${++frameNo}`,
        sessionId: item.record.sessionId,
        prompt: item.record.prompt,
        clientRequestId: item.record.clientRequestId,
      }),
    );
    // A fresh submit is sometimes cut a moment after it left, before its
    // answer: the server may or may not have it. Never a re-send: cutting
    // those too starved a backlog of them (each reconnect cut again while
    // re-sending), a livelock of the soak's own making.
    if (item.record.sends === 1 && options.random.chance(options.cutAfterSubmit)) setTimeout(() => cut(ws), options.random.int(0, 10));
  };

  const onFrame = (ws: WebSocket, frame: ServerFrame) => {
    switch (frame.type) {
      case 'event':
        ledger.seqCheck(options.name, frame.event.sessionId).see(frame.event.seq);
        noteEvent(ledger, frame.event);
        return;
      case 'summary':
        noteEvent(ledger, frame.event);
        return;
      case 'reply': {
        const crid = frame.id.slice(0, frame.id.lastIndexOf('#'));
        const record = ledger.byCrid(crid);
        // Every answer counts, late ones to a re-send too: two different run ids for one id is the bug we look for.
        if (record && frame.ok) {
          const result = frame.data as SubmitResult;
          ledger.accepted(record, result.runId, result.duplicate);
        }
        const item = outstanding.get(crid);
        if (!item) return; // the hello's reply, or a re-send already answered
        if (!frame.ok) {
          if (RETRY_CODES.has(frame.error.code)) {
            // Sent again on the next connect; cut this one to get there.
            setTimeout(() => cut(ws), 200);
            return;
          }
          item.record.refused = `${frame.error.code}: ${frame.error.message}`;
        }
        outstanding.delete(crid);
        item.done();
        return;
      }
      case 'welcome':
      case 'pong':
      case 'error':
        return;
      default: {
        const never: never = frame;
        throw new Error(`unknown frame ${JSON.stringify(never)}`);
      }
    }
  };

  const connectOnce = async (): Promise<void> => {
    // A server that accepts nothing (killed, or out of descriptors) must not hold the client forever.
    const ws = new WebSocket(`${target.url.replace(/^http/, 'ws')}/ws`, { localAddress: options.localAddress, handshakeTimeout: 5000 });
    socket = ws;
    const closed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.on('error', () => undefined); // the close that follows is what counts
    ws.on('message', (data) => onFrame(ws, JSON.parse(data.toString()) as ServerFrame));
    const opened = await new Promise<boolean>((resolve) => {
      ws.once('open', () => resolve(true));
      ws.once('close', () => resolve(false));
    });
    if (!opened) return;
    stats.connects++;
    const resume = Object.fromEntries(options.sessions.map((s) => [s, ledger.seqCheck(options.name, s).last]));
    ws.send(JSON.stringify({ type: 'hello', id: `hello#${++frameNo}`, resume }));
    ready = true;
    // Frames are handled in order: these re-sends come after the hello's replay started.
    for (const item of outstanding.values()) if (ws.readyState === ws.OPEN) send(ws, item);
    const [lo, hi] = options.cutAfterMs;
    const timer = setTimeout(() => cut(ws), options.random.int(lo, hi));
    await closed;
    clearTimeout(timer);
    ready = false;
    ledger.unsureSends += outstanding.size;
    if (!target.stopping && !cutByUs.has(ws)) stats.dropped++;
  };

  const loop = (async () => {
    while (!target.stopping) {
      await connectOnce();
      if (target.stopping) break;
      // Back off while the server is gone; wake early when the soak stops.
      await Promise.race([sleep(options.random.int(20, 300)), new Promise<void>((r) => (wake = r))]);
    }
  })();

  return {
    stats,
    submit(record) {
      return new Promise<void>((done) => {
        const item = { record, done };
        outstanding.set(record.clientRequestId, item);
        if (ready && socket?.readyState === WebSocket.OPEN) send(socket, item);
      });
    },
    async stop() {
      socket?.close();
      wake?.();
      await loop;
      // Whatever is still unanswered stays so: the soak reports it as not accepted.
      for (const item of outstanding.values()) item.done();
    },
  };
}
