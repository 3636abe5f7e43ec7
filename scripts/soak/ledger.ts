/**
 * What the soak's clients know, kept in one place: every prompt and the run
 * ids the server answered for it, which runs a follower saw end, and each
 * follower's view of each session's seq sequence. The final verdict is made
 * from the server's own log afterwards (verify.ts); this is what the clients
 * saw on the way.
 */
import type { ScenarioKind } from './scenarios.js';

export interface PromptRecord {
  index: number;
  sessionId: string;
  clientRequestId: string;
  kind: ScenarioKind;
  prompt: string;
  via: 'ws' | 'http';
  /** The first run id the server answered with (202 or a WS reply). */
  runId?: string | undefined;
  /** Every distinct run id answered for this client request id: more than one is a duplicate. */
  runIds: Set<string>;
  /** Submissions sent (re-sends after a cut or a kill included). */
  sends: number;
  /** Answers that said `duplicate: true`: the server recognised a re-send. */
  duplicateAnswers: number;
  /** The server refused it for good (a 4xx other than a cut): not accepted. */
  refused?: string | undefined;
}

/** One follower's view of one session: each seq once, none skipped. */
export class SeqCheck {
  last = 0;
  delivered = 0;
  /** Events with a seq at or below one already seen. */
  twice = 0;
  /** Seqs skipped over. */
  missing = 0;

  see(seq: number): void {
    this.delivered++;
    if (seq <= this.last) {
      this.twice++;
      return;
    }
    if (seq > this.last + 1) this.missing += seq - this.last - 1;
    this.last = seq;
  }
}

export class Ledger {
  readonly prompts: PromptRecord[] = [];
  readonly #byCrid = new Map<string, PromptRecord>();
  readonly #finished = new Set<string>();
  readonly #waiters = new Map<string, Array<() => void>>();
  /** follower name -> session id -> its check. */
  readonly seqChecks = new Map<string, Map<string, SeqCheck>>();
  /** Every pid a run.started named (the CLI processes the soak saw). */
  readonly runPids = new Set<number>();
  /** Submissions that were cut (socket closed or server killed) before an answer came. */
  unsureSends = 0;

  add(record: Omit<PromptRecord, 'runIds' | 'sends' | 'duplicateAnswers'>): PromptRecord {
    const full: PromptRecord = { ...record, runIds: new Set(), sends: 0, duplicateAnswers: 0 };
    this.prompts.push(full);
    this.#byCrid.set(full.clientRequestId, full);
    return full;
  }

  byCrid(crid: string): PromptRecord | undefined {
    return this.#byCrid.get(crid);
  }

  /** The server accepted (or recognised) this client request id as run `runId`. */
  accepted(record: PromptRecord, runId: string, duplicate: boolean): void {
    record.runId ??= runId;
    record.runIds.add(runId);
    if (duplicate) record.duplicateAnswers++;
  }

  get acceptedCount(): number {
    return this.prompts.filter((p) => p.runId !== undefined).length;
  }

  /** A follower saw this run's run.finished. */
  finished(runId: string): void {
    if (this.#finished.has(runId)) return;
    this.#finished.add(runId);
    for (const wake of this.#waiters.get(runId) ?? []) wake();
    this.#waiters.delete(runId);
  }

  get finishedCount(): number {
    return this.#finished.size;
  }

  isFinished(runId: string): boolean {
    return this.#finished.has(runId);
  }

  /** Resolves true when a follower sees the run end, false after `timeoutMs`. */
  waitFinished(runId: string, timeoutMs: number): Promise<boolean> {
    if (this.#finished.has(runId)) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      const list = this.#waiters.get(runId) ?? [];
      list.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
      this.#waiters.set(runId, list);
    });
  }

  seqCheck(follower: string, sessionId: string): SeqCheck {
    let bySession = this.seqChecks.get(follower);
    if (!bySession) this.seqChecks.set(follower, (bySession = new Map()));
    let check = bySession.get(sessionId);
    if (!check) bySession.set(sessionId, (check = new SeqCheck()));
    return check;
  }
}
