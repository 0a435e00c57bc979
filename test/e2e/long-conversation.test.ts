// A conversation of 10,000 messages: the page holds a screenful of them (a virtual list), and
// scrolling from the newest to the oldest runs without long tasks. The figures are printed.
import { cpus, loadavg } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { traceMainThread, type MainThreadTasks } from '../helpers/main-thread.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const MESSAGES = 10_000;

describe('a 10,000-message conversation', () => {
  /** The page's main thread while scrolling, measured by the first test. */
  let scrollTasks: MainThreadTasks | undefined;
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    // The 10,000 messages come in one burst, faster than the page acknowledges them: room for all of
    // them in the stream management queue (past its limit the server ends the stream with
    // resource-constraint, XEP-0198 — that case is e2e/resumption.test.ts's)
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw' },
      { modules: { 'stream-management': { maxUnacknowledged: 2 * MESSAGES } } });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('keeps a screenful of messages in the page and scrolls without long tasks', async () => {
    const page = await browser.newPage({ width: 1280, height: 800 });
    await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
    await page.locator('[data-jid="bob@example.com"] button.main').click();
    const started = Date.now();
    for (let i = 1; i <= MESSAGES; i++) {
      void bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: `m${i}` }, xml('body', null, `Message number ${i} of the long conversation${i % 7 === 0 ? ', with a longer line that wraps onto a second line in the bubble when the window is narrow enough' : ''}`)));
      if (i % 500 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    // (a minute or more on a shared machine under load: the wait is for the last one, not a bar)
    await page.locator('.bubble', { hasText: `Message number ${MESSAGES} of` }).waitFor({ timeout: 180_000 });
    const arrival = Date.now() - started;
    const elements = await page.evaluate(() => document.querySelectorAll('*').length);
    const bubbles = await page.locator('.bubble').count();

    const scrollToTheTop = () => page.evaluate(async () => {
      const log = document.querySelector<HTMLElement>('[role="log"]')!;
      const longTasks: number[] = [];
      const observer = new PerformanceObserver((list) => { for (const entry of list.getEntries()) longTasks.push(entry.duration); });
      observer.observe({ type: 'longtask' });
      const frame = () => new Promise((resolve) => requestAnimationFrame(resolve));
      const gaps: number[] = [];
      let last = performance.now();
      // from the bottom to the top, a screen a frame, as a fast flick would
      while (log.scrollTop > 0) {
        log.scrollTop = Math.max(0, log.scrollTop - log.clientHeight);
        await frame();
        const now = performance.now();
        gaps.push(now - last);
        last = now;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
      observer.disconnect();
      const top = document.querySelector('.bubble')?.textContent ?? '';
      return { longTasks, frames: gaps.length, worstFrame: Math.max(...gaps), top };
    });
    let scroll!: Awaited<ReturnType<typeof scrollToTheTop>>;
    scrollTasks = await traceMainThread(browser.browser, page, async () => { scroll = await scrollToTheTop(); });
    console.log(`10,000 messages: arrived in ${arrival} ms; ${bubbles} bubbles and ${elements} elements in the page; `
      + `scrolled to the top in ${scroll.frames} frames, worst frame ${scroll.worstFrame.toFixed(0)} ms, ${scroll.longTasks.length} long tasks (longest ${Math.max(0, ...scroll.longTasks).toFixed(0)} ms); `
      + `main thread: ${scrollTasks.count} tasks, the longest ${scrollTasks.longestCpu.toFixed(1)} ms of its own time (${scrollTasks.longestWall.toFixed(1)} ms wall); `
      + `load ${loadavg()[0]!.toFixed(2)} on ${cpus().length} cores`);
    expect(bubbles).toBeLessThan(200);
    expect(elements).toBeLessThan(3_000);
    expect(scroll.top).toContain('Message number 1 of');
  }, 300_000);

  // Issue 16: 10,000-message conversations scroll smoothly; our bar, the roster's: no task over
  // 50 ms (95–170 ms before the actions were mounted on hover/focus only and plain text became one
  // text node). Asserted on each task's own thread time: a long task is wall time, which on a
  // shared machine counts the waits for a core another process holds (CI: one 51 ms task among 992
  // frames at load 1.6, where the longest task's own time is 20–32 ms here); both are printed.
  it('scrolls from the newest to the oldest without a task over 50 ms of the page\'s own time', () => {
    expect(scrollTasks).toBeDefined();
    expect(scrollTasks!.count).toBeGreaterThan(100);
    expect(scrollTasks!.longestCpu).toBeLessThan(50);
  });
});
