/**
 * Test-only page for the transcript view: bundled on the fly by
 * transcript.test.ts (Vite lib build, IIFE) and served with the app's CSP.
 * It lays out the app's frame (top bar, sidebar, transcript, composer), makes
 * a transcript view, and exposes `window.harness` for the test to drive.
 */
import '../../web/style.css';
import { h } from '../../web/dom.js';
import { renderMarkdown, sanitizeHtml } from '../../web/render/markdown.js';
import type { RunItem, RunState, SessionState, TimelineEntry } from '../../web/state/reducer.js';
import { createTranscriptView } from '../../web/views/transcript.js';

const transcriptEl = h('div', { id: 'transcript', class: 'transcript', role: 'region', 'aria-label': 'Transcript', tabindex: '0' });
document.body.classList.add('has-session');
document.body.append(
  h('header', { class: 'topbar' }, [h('h1', { class: 'brand' }, ['Claude Remote']), h('p', { class: 'connection', 'data-state': 'connected' }, [h('span', { class: 'dot' }), 'Connected'])]),
  h('div', { class: 'layout' }, [
    h('aside', { class: 'sidebar' }, [h('h2', { class: 'section-title' }, ['Sessions']), h('p', { class: 'muted' }, ['(harness)'])]),
    h('main', { class: 'main' }, [
      h('div', { class: 'session-header' }, [h('h2', { class: 'session-title' }, ['Harness session'])]),
      transcriptEl,
      h('form', { class: 'composer' }, [h('textarea', { rows: '2', 'aria-label': 'Message' }), h('div', { class: 'composer-actions' }, [h('button', { type: 'button', class: 'primary' }, ['Send'])])]),
    ]),
  ]),
);

const permissions: Array<[string, string]> = [];
const view = createTranscriptView(transcriptEl, {
  onPermission: (id, reply) => {
    permissions.push([id, reply.behavior]);
    return Promise.resolve();
  },
  fileUrl: (path) => `/files/${path}`,
});

// ---- state building ----------------------------------------------------------------

let seed = 42;
function random(): number {
  seed = (seed * 1103515245 + 12345) & 0x7fffffff;
  return seed / 0x7fffffff;
}
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;

const WORDS = 'the a file test run server build type error value change function return state render view session token cost markdown list table code block scroll height window'.split(' ');
function sentence(min: number, max: number): string {
  const n = min + Math.floor(random() * (max - min));
  const words = Array.from({ length: n }, () => pick(WORDS));
  return `${words.join(' ').replace(/^./, (c) => c.toUpperCase())}.`;
}

const ANSWERS = [
  () => `${sentence(8, 20)} ${sentence(5, 15)}`,
  () => `## ${sentence(2, 5)}\n\n${sentence(10, 25)}\n\n- ${sentence(3, 8)}\n- ${sentence(3, 8)}\n- \`inline()\` ${sentence(2, 6)}`,
  () => `${sentence(6, 12)}\n\n\`\`\`ts\nexport function f(n: number): number {\n  return n * ${Math.floor(random() * 100)};\n}\n\`\`\`\n\n${sentence(5, 12)}`,
  () => `| file | lines | status |\n|---|---:|---|\n| web/main.ts | ${Math.floor(random() * 900)} | ok |\n| server/app.ts | ${Math.floor(random() * 900)} | changed |\n\n${sentence(6, 14)}`,
  () => `1. ${sentence(4, 10)}\n2. ${sentence(4, 10)}\n3. ${sentence(4, 10)}\n\n> ${sentence(6, 12)}\n\n**${sentence(2, 4)}** ${sentence(20, 40)}`,
];

function makeRun(i: number): RunState {
  const items: RunItem[] = [];
  if (i % 7 === 0) items.push({ kind: 'thinking', text: sentence(20, 60) });
  const tools = i % 3 === 0 ? 1 + (i % 4) : 0;
  for (let t = 0; t < tools; t++) {
    items.push({
      kind: 'tool',
      tool: {
        toolUseId: `tu-${i}-${t}`,
        name: pick(['Bash', 'Read', 'Edit', 'Grep']),
        summary: pick(['ls -la', 'web/views/transcript.ts', 'npm test', 'grep -rn render web/']),
        status: i % 31 === 0 && t === 0 ? 'error' : 'ok',
        output: Array.from({ length: 1 + (i % 5) }, () => sentence(3, 9)).join('\n'),
        truncated: false,
      },
    });
  }
  if (i % 97 === 0) items.push({ kind: 'notice', level: 'warn', text: `Rate limited; retried (${i}).` });
  items.push({ kind: 'text', text: `**Run ${i}.**\n\n${pick(ANSWERS)()}`, streaming: false });
  const usage = { inputTokens: 1000 + i, outputTokens: 200 + (i % 300), cacheReadTokens: i % 2 ? 5000 : 0, cacheWriteTokens: i % 5 ? 0 : 700 };
  return {
    runId: `r${i}`,
    prompt: `Prompt ${i}: ${sentence(3, i % 11 === 0 ? 60 : 14)}`,
    status: 'success',
    started: true,
    items,
    usage,
    outcome: { status: 'success', costUsd: 0.001 * (i % 50), usage, durationMs: 800 + (i % 40) * 250, numTurns: 1 + tools },
  };
}

let state: SessionState | undefined;

function bigState(count: number): SessionState {
  seed = 42;
  const runs: Record<string, RunState> = {};
  const timeline: TimelineEntry[] = [];
  for (let i = 0; i < count; i++) {
    const run = makeRun(i);
    runs[run.runId] = run;
    timeline.push({ kind: 'run', runId: run.runId });
    if (i % 500 === 499) timeline.push({ kind: 'cleared', seq: i });
    if (i % 333 === 0) timeline.push({ kind: 'notice', seq: 100000 + i, level: 'info', text: `Model switched (${i}).` });
  }
  return { sessionId: `big-${count}`, lastSeq: count, timeline, runs, pending: [], deleted: false };
}

function setRun(run: RunState, active: boolean): void {
  if (!state) throw new Error('no state');
  const known = Boolean(state.runs[run.runId]);
  state = {
    ...state,
    runs: { ...state.runs, [run.runId]: run },
    timeline: known ? state.timeline : [...state.timeline, { kind: 'run', runId: run.runId }],
    activeRunId: active ? run.runId : state.activeRunId === run.runId ? undefined : state.activeRunId,
  };
}

const frame = () => new Promise<number>((resolve) => requestAnimationFrame(resolve));

function countNodes(root: Node): number {
  let n = 0;
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_ALL);
  while (walker.nextNode()) n++;
  return n;
}

const harness = {
  root: transcriptEl,
  permissions,
  renderMarkdown,
  sanitizeHtml,
  /** Renders one session holding the given runs (raw states). */
  show(runs: RunState[], sessionId = 'custom'): void {
    state = {
      sessionId,
      lastSeq: runs.length,
      timeline: runs.map((r) => ({ kind: 'run', runId: r.runId })),
      runs: Object.fromEntries(runs.map((r) => [r.runId, r])),
      pending: [],
      deleted: false,
    };
    view.render(state);
  },
  /**
   * Builds `count` runs once, then opens them as a fresh session `opens`
   * times (the view starts over on a new session id); returns timings (ms):
   * render() alone (layout forced) and until two frames later (painted).
   */
  async loadBig(count: number, opens = 1): Promise<{ build: number; render: number[]; painted: number[] }> {
    const t0 = performance.now();
    const big = bigState(count);
    const build = performance.now() - t0;
    const render: number[] = [];
    const painted: number[] = [];
    for (let i = 0; i < opens; i++) {
      state = { ...big, sessionId: `${big.sessionId}-${i}` };
      const t1 = performance.now();
      view.render(state);
      void transcriptEl.scrollHeight;
      const t2 = performance.now();
      await frame();
      await frame();
      render.push(t2 - t1);
      painted.push(performance.now() - t1);
    }
    return { build, render, painted };
  },
  /** Streams an answer into a new running run, `steps` frames of `chunk` each, rendering once a frame. */
  async stream(runId: string, text: string, steps: number, finish = true): Promise<{ avg: number; max: number }> {
    let run: RunState = { runId, prompt: `Stream ${runId}`, status: 'running', started: true, items: [] };
    setRun(run, true);
    view.render(state);
    await frame();
    const costs: number[] = [];
    for (let s = 1; s <= steps; s++) {
      const part = text.slice(0, Math.round((text.length * s) / steps));
      run = { ...run, items: [{ kind: 'text', text: part, streaming: true }] };
      setRun(run, true);
      const t0 = performance.now();
      view.render(state);
      void transcriptEl.scrollHeight;
      costs.push(performance.now() - t0);
      await frame();
    }
    if (finish) {
      const usage = { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0 };
      run = {
        ...run,
        status: 'success',
        items: [{ kind: 'text', text, streaming: false }],
        outcome: { status: 'success', costUsd: 0.001, usage, durationMs: 1234, numTurns: 1 },
      };
      setRun(run, false);
      view.render(state);
      await frame();
    }
    return { avg: costs.reduce((a, b) => a + b, 0) / costs.length, max: Math.max(...costs) };
  },
  /** Appends a running run with one of everything: thinking, a failed and a running tool, a notice, a permission request, streaming text. */
  showcase(): void {
    const usage = { inputTokens: 5321, outputTokens: 812, cacheReadTokens: 20480, cacheWriteTokens: 1024 };
    setRun(
      {
        runId: 'showcase',
        prompt: 'The reducer test fails on a replayed event. Find out why, fix it and run the tests again.',
        status: 'running',
        started: true,
        usage,
        items: [
          { kind: 'thinking', text: 'The replay overlaps what we already have; the seq check should drop it.' },
          {
            kind: 'tool',
            tool: {
              toolUseId: 'sc1',
              name: 'Bash',
              summary: 'npx vitest run web/state/reducer.test.ts --reporter=dot --no-color --silent',
              status: 'error',
              output: 'FAIL web/state/reducer.test.ts > ignores stale events\nExpected 3, received 4',
              truncated: false,
            },
          },
          { kind: 'notice', level: 'warn', text: 'Context window 80% full.' },
          { kind: 'permission', requestId: 'perm-1', toolName: 'Edit', input: { file_path: 'web/state/reducer.ts', old_string: 'event.seq < state.lastSeq', new_string: 'event.seq <= state.lastSeq' } },
          { kind: 'tool', tool: { toolUseId: 'sc2', name: 'Edit', summary: 'web/state/reducer.ts', status: 'running', output: '', truncated: false } },
          { kind: 'text', text: 'Found it: the stale-event check used `<` where it needs `<=`, so the last event', streaming: true },
        ],
      },
      true,
    );
    view.render(state);
  },
  nodeCount(): { elements: number; nodes: number; runs: number } {
    return {
      elements: transcriptEl.getElementsByTagName('*').length,
      nodes: countNodes(transcriptEl),
      runs: transcriptEl.querySelectorAll('article.run').length,
    };
  },
  /** Scrolls by `step` px per frame for `frames` frames; returns frame intervals (ms). */
  async scrollFrames(step: number, frames: number): Promise<{ avg: number; max: number; p95: number; longTasks: number }> {
    const intervals: number[] = [];
    let longTasks = 0;
    const observer = new PerformanceObserver((list) => (longTasks += list.getEntries().length));
    try {
      observer.observe({ type: 'longtask', buffered: false });
    } catch {
      // longtask not supported
    }
    let last = await frame();
    for (let i = 0; i < frames; i++) {
      transcriptEl.scrollTop += step;
      const now = await frame();
      intervals.push(now - last);
      last = now;
    }
    observer.disconnect();
    intervals.sort((a, b) => a - b);
    const avg = intervals.reduce((a, b) => a + b, 0) / intervals.length;
    return { avg, max: intervals[intervals.length - 1]!, p95: intervals[Math.floor(intervals.length * 0.95)]!, longTasks };
  },
  /** The run ids in the DOM whose boxes intersect the viewport. */
  visibleRuns(): string[] {
    const box = transcriptEl.getBoundingClientRect();
    return Array.from(transcriptEl.querySelectorAll<HTMLElement>('article.run'))
      .filter((el) => {
        const r = el.getBoundingClientRect();
        return r.bottom > box.top && r.top < box.bottom && r.height > 0;
      })
      .map((el) => el.dataset.runId ?? '');
  },
  frame,
};

declare global {
  interface Window {
    harness: typeof harness;
  }
}
window.harness = harness;
document.documentElement.dataset.ready = 'true';
