/**
 * Prometheus metrics (prom-client), for an operator who runs the server for
 * weeks: what ran and how it ended, how long runs take, what waits, which
 * CLI processes are alive, who is connected, how big the store grows, and
 * the Node process itself.
 *
 * Counters follow the engine's events (`onAnyEvent`: every event once, as it
 * is published); gauges ask the engine and the doors at scrape time, so they
 * cost nothing between scrapes. The core knows nothing of this module.
 *
 * Every label takes values from a closed set (statuses, error kinds, event
 * types, doors, states), except tool names, which the CLI and its MCP servers
 * choose: the first MAX_TOOL_LABELS distinct names get a series each, later
 * ones count as `other`, so no client can grow the series without bound.
 *
 * The Node process's own metrics (CPU, memory, event loop lag, GC) keep the
 * standard names prom-client gives them (`process_cpu_seconds_total`,
 * `process_resident_memory_bytes`, `nodejs_*`), which ready-made dashboards
 * and alerts expect; everything of ours starts with `claude_remote_`.
 */
import { stat } from 'node:fs/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Engine } from '../core/engine.js';
import type { Unsubscribe } from '../core/event-log.js';
import type { ServerEvent } from '../protocol/events.js';

export const MAX_TOOL_LABELS = 100;
const PREFIX = 'claude_remote_';
/** From a quick answer to an hour-long refactoring. */
const RUN_DURATION_BUCKETS_S = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

export interface MetricsSources {
  engine: Pick<Engine, 'onAnyEvent' | 'queueDepths' | 'processCounts'>;
  /** Event streams and WebSockets open now, by door. */
  openStreams(): Record<'sse' | 'ws', number>;
  /** The SQLite database file: its size and its write-ahead log's are reported (none on Redis). */
  storeFile?: string | undefined;
}

export interface Metrics {
  readonly contentType: string;
  /** The text exposition format, measured now. */
  render(): Promise<string>;
  /** Stops following the engine. */
  close(): void;
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const counters = {
    started: new Counter({ name: `${PREFIX}runs_started_total`, help: 'Runs that started (took a CLI process).', registers }),
    finished: new Counter({
      name: `${PREFIX}runs_finished_total`,
      help: 'Runs that ended, by status and the run\'s error kind ("none" when it has none); cancelled queued runs included.',
      labelNames: ['status', 'error_kind'],
      registers,
    }),
    duration: new Histogram({
      name: `${PREFIX}run_duration_seconds`,
      help: 'Time from a run taking its CLI process to its end, by status (runs that never started are not observed).',
      labelNames: ['status'],
      buckets: RUN_DURATION_BUCKETS_S,
      registers,
    }),
    tools: new Counter({ name: `${PREFIX}tool_calls_total`, help: `Tool calls the CLI started, by tool (past ${MAX_TOOL_LABELS} names: "other").`, labelNames: ['tool'], registers }),
    events: new Counter({ name: `${PREFIX}events_published_total`, help: 'Events stored and published, by type.', labelNames: ['type'], registers }),
  };
  addGauges(registry, sources);
  const unsubscribe = followEvents(sources.engine, counters);
  return {
    contentType: registry.contentType,
    render: () => registry.metrics(),
    close: unsubscribe,
  };
}

interface RunCounters {
  started: Counter<string>;
  finished: Counter<'status' | 'error_kind'>;
  duration: Histogram<'status'>;
  tools: Counter<'tool'>;
  events: Counter<'type'>;
}

function followEvents(engine: MetricsSources['engine'], c: RunCounters): Unsubscribe {
  /** Runs seen starting and not yet ended: only those have a duration worth observing. */
  const going = new Set<string>();
  const toolLabel = boundedLabel(MAX_TOOL_LABELS);
  return engine.onAnyEvent((event: ServerEvent) => {
    c.events.inc({ type: event.type });
    switch (event.type) {
      case 'run.started':
        going.add(event.runId);
        c.started.inc();
        return;
      case 'run.finished':
        c.finished.inc({ status: event.status, error_kind: event.errorKind ?? 'none' });
        if (going.delete(event.runId)) c.duration.observe({ status: event.status }, event.durationMs / 1000);
        return;
      case 'tool.started':
        c.tools.inc({ tool: toolLabel(event.name) });
        return;
      default:
        return;
    }
  });
}

/** The first `max` distinct values keep their name (cut to 100 characters); later ones are `other`. */
export function boundedLabel(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    const name = value.slice(0, 100);
    if (seen.has(name)) return name;
    if (seen.size >= max) return 'other';
    seen.add(name);
    return name;
  };
}

function addGauges(registry: Registry, sources: MetricsSources): void {
  const registers = [registry];
  new Gauge({
    name: `${PREFIX}queue_depth`,
    help: 'Runs by state now: queued (waiting, over all sessions) and running.',
    labelNames: ['state'],
    registers,
    collect() {
      const { queued, running } = sources.engine.queueDepths();
      this.set({ state: 'queued' }, queued);
      this.set({ state: 'running' }, running);
    },
  });
  new Gauge({
    name: `${PREFIX}cli_processes`,
    help: 'CLI processes alive now, by state: running a turn, idle (warm), exiting.',
    labelNames: ['state'],
    registers,
    collect() {
      for (const [state, count] of Object.entries(sources.engine.processCounts())) this.set({ state }, count);
    },
  });
  new Gauge({
    name: `${PREFIX}clients`,
    help: 'Clients connected now, by door: ws (WebSockets) and sse (open event streams, /chat included).',
    labelNames: ['door'],
    registers,
    collect() {
      for (const [door, count] of Object.entries(sources.openStreams())) this.set({ door }, count);
    },
  });
  const storeFile = sources.storeFile;
  if (storeFile === undefined) return;
  new Gauge({
    name: `${PREFIX}store_bytes`,
    help: 'Size of the SQLite store (events, raw CLI lines, sessions, runs): its main file and its write-ahead log.',
    labelNames: ['file'],
    registers,
    async collect() {
      const size = (path: string) => stat(path).then((s) => s.size, () => 0);
      const [main, wal] = await Promise.all([size(storeFile), size(`${storeFile}-wal`)]);
      this.set({ file: 'main' }, main);
      this.set({ file: 'wal' }, wal);
    },
  });
}
