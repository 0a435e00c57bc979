// The page's own work on its main thread, from a Chromium trace (Tracing, category disabled-by-default-devtools.timeline, which holds the tasks).
// A long task (PerformanceObserver 'longtask') is wall time: on a shared machine it also counts the
// time the page's thread waited for a core held by another process (measured here: a 39 ms task
// with 19 ms of the thread's own time). A task's thread time (`tdur`) is the part the page controls.
import type { Browser, Page } from 'playwright-core';

interface TraceEvent { name: string; ph: string; pid: number; tid: number; dur?: number; tdur?: number; args?: { name?: string } }

export interface MainThreadTasks {
  /** How many tasks ran on the renderer's main thread. */
  count: number;
  /** The longest task's own thread time, ms. */
  longestCpu: number;
  /** The longest task's wall time, ms. */
  longestWall: number;
}

/** Runs `work` while tracing `page`, and returns what the page's main thread did meanwhile. */
export async function traceMainThread(browser: Browser, page: Page, work: () => Promise<void>): Promise<MainThreadTasks> {
  await browser.startTracing(page, { categories: ['disabled-by-default-devtools.timeline'] });
  let trace: Buffer;
  try {
    await work();
  } finally {
    trace = await browser.stopTracing();
  }
  return mainThreadTasks(JSON.parse(trace.toString('utf8')) as { traceEvents: TraceEvent[] });
}

function mainThreadTasks(trace: { traceEvents: TraceEvent[] }): MainThreadTasks {
  const mainThreads = new Set(trace.traceEvents
    .filter((event) => event.ph === 'M' && event.name === 'thread_name' && event.args?.name === 'CrRendererMain')
    .map((event) => `${event.pid}:${event.tid}`));
  const result: MainThreadTasks = { count: 0, longestCpu: 0, longestWall: 0 };
  for (const event of trace.traceEvents) {
    if (event.ph !== 'X' || event.name !== 'RunTask' || !mainThreads.has(`${event.pid}:${event.tid}`)) continue;
    result.count++;
    result.longestCpu = Math.max(result.longestCpu, (event.tdur ?? event.dur ?? 0) / 1000);
    result.longestWall = Math.max(result.longestWall, (event.dur ?? 0) / 1000);
  }
  return result;
}
