// The open conversation follows new messages while the user is at its bottom, and stays where the
// user scrolled to otherwise. A scroll event is dispatched a frame after the scroll that caused it:
// the one from the list's own move to the bottom can arrive after more rows were added below (a
// burst, a catch-up from the archive) and must not leave the list behind.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

/** How far the conversation is from its bottom, in pixels. */
const fromBottom = (page: Page) => page.locator('[role="log"]').evaluate((log) => log.scrollHeight - log.scrollTop - log.clientHeight);

describe('an open conversation and new messages', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let page: Page;

  beforeAll(async () => {
    server = await startPanelServer({ [ALICE]: 'alice-secret', [BOB]: 'bob-secret' });
    await seedRoster(server, ALICE, [{ jid: BOB, name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, BOB, 'bob-secret');
    page = await browser.newPage({ width: 1100, height: 600 });
    await signIn(page, baseUrl(server), ALICE, 'alice-secret');
    await page.locator(`[data-jid="${BOB}"] button.main`).click();
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  const burst = async (label: string, count: number) => {
    for (let i = 1; i <= count; i++) await bob.xmpp.send(xml('message', { to: ALICE, type: 'chat' }, xml('body', null, `${label} ${i} of ${count}`)));
  };

  it('stays at the bottom when a late scroll event comes after rows were added below', async () => {
    await burst('first', 5);
    await page.locator('.bubble', { hasText: 'first 5 of 5' }).waitFor();
    // the late event, as the browser delivers it: rows were added, the list has not followed yet
    await page.locator('[role="log"]').evaluate((log) => {
      const observer = new MutationObserver(() => {
        if (log.scrollHeight - log.scrollTop - log.clientHeight < 200) return;
        observer.disconnect();
        log.dispatchEvent(new Event('scroll'));
      });
      observer.observe(log, { childList: true, subtree: true });
    });
    await burst('second', 40);
    await page.locator('.bubble', { hasText: 'second 40 of 40' }).waitFor();
    await burst('third', 1);
    await page.locator('.bubble', { hasText: 'third 1 of 1' }).waitFor();
    await expect.poll(() => fromBottom(page)).toBeLessThan(5);
  });

  it('stays where the user scrolled up to while messages come in', async () => {
    const log = page.locator('[role="log"]');
    await log.hover();
    await page.mouse.wheel(0, -600);
    await expect.poll(() => fromBottom(page)).toBeGreaterThan(400);
    const before = await log.evaluate((element) => ({ top: element.scrollTop, height: element.scrollHeight }));
    await burst('fourth', 3);
    // the new rows are below (the list grew), off screen: the view did not move
    await expect.poll(() => log.evaluate((element) => element.scrollHeight)).toBeGreaterThan(before.height);
    await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
    expect(await log.evaluate((element) => element.scrollTop)).toBe(before.top);
    // back at the bottom, it follows again
    await log.evaluate((element) => element.scrollTo({ top: element.scrollHeight }));
    await burst('fifth', 1);
    await page.locator('.bubble', { hasText: 'fifth 1 of 1' }).waitFor();
    await expect.poll(() => fromBottom(page)).toBeLessThan(5);
  });
});
