// The archive in the browser (XEP-0313 MAM, XEP-0431 search): Bob and Alice have a long history
// (written with @xmpp/client) and chat a little more in the panel; Alice reloads the page, the
// conversation comes back from the archive, she searches a word, opens the result and sees the
// message in its conversation, and scrolling up pages back to the very first message.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { chat, createUsers, online, passwordOf, type LoggedInClient } from '../helpers/im.ts';
import { converse } from '../helpers/mam.ts';

/**
 * The text of every bubble from the top of what the conversation shows now down to its newest
 * message, each once: the list is virtual (only the rows near the screen are in the page), so the
 * log is scrolled down a part of a screen at a time and the bubbles seen are collected by id.
 */
async function bubblesDownFromHere(page: Page): Promise<string[]> {
  return page.getByRole('log').evaluate(async (log) => {
    const seen = new Map<string, string>();
    const collect = () => log.querySelectorAll<HTMLElement>('.bubble').forEach((bubble) => seen.set(bubble.dataset.id!, bubble.textContent ?? ''));
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    for (let previous = -1; previous !== log.scrollTop;) {
      collect();
      previous = log.scrollTop;
      log.scrollTop += log.clientHeight / 2;
      await frame();
    }
    collect();
    return [...seen.values()];
  });
}

/** More than two history pages (webclient/src/xmpp/archive.ts HISTORY_PAGE), so paging is needed. */
const HISTORY = 60;
const history = Array.from({ length: HISTORY }, (_, i) =>
  i === 4 ? 'Message 5: the recipe needs Pumpernickel and patience' : `Message ${i + 1} of the old history`);

describe('archive search in the panel', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  let bob: LoggedInClient;
  let alice: string;
  let base: string;

  beforeAll(async () => {
    server = await startServer({ config: { http: { webClientDir } } });
    base = `http://127.0.0.1:${server.ports.http}/`;
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    alice = aliceJid!;
    bob = await online(server, bobJid!);
    const aliceXmpp = await online(server, alice);
    await converse(bob, aliceXmpp, history);
    await aliceXmpp.stop();
    browser = await launchBrowser();
    page = await browser.newPage({ width: 1000, height: 640 });
    await signIn(page, base, alice, passwordOf(alice));
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('opening a conversation shows its newest history from the archive, once', async () => {
    // Bob is not a contact: he writes, and his conversation appears.
    await bob.xmpp.send(chat(alice, 'Are you there? Zanzibar trip tomorrow'));
    await page.locator(`[data-peer="${bareOf(bob.jid)}"]`).click();
    await page.locator('.bubble', { hasText: 'Message 60 of the old history' }).waitFor();
    await page.locator('.bubble', { hasText: 'Zanzibar trip' }).waitFor();
    const composer = page.getByLabel(/^Message /);
    await composer.fill('Yes! Packing the zanzibar maps');
    await composer.press('Enter');
    await page.locator('.bubble[data-direction="out"]', { hasText: 'zanzibar maps' }).waitFor();
    // The live message and its archived copy are one bubble.
    expect(await page.locator('.bubble', { hasText: 'Zanzibar trip' }).count()).toBe(1);
  });

  it('after a reload, a search finds the word and opens the conversation at that message', async () => {
    await signIn(page, base, alice, passwordOf(alice)); // a reload: nothing in memory any more
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('pumpernickel');
    await box.press('Enter');
    const results = page.getByRole('region', { name: 'Search results' });
    const result = results.locator('.result').first();
    await result.waitFor();
    expect(await results.locator('.result').count()).toBe(1);
    expect(await result.locator('mark').allTextContents()).toEqual(['Pumpernickel']);
    expect(await result.textContent()).toContain(bareOf(bob.jid).split('@')[0]);

    await result.click();
    const bubble = page.locator('.bubble', { hasText: 'Pumpernickel and patience' });
    await bubble.waitFor();
    await page.locator('.bubble.flash').waitFor();
    expect(await bubble.isVisible()).toBe(true);
    expect(await isInView(page, bubble)).toBe(true);
    // The conversation goes on from there to the newest messages, without a gap.
    const shown = await bubblesDownFromHere(page);
    expect(shown.filter((text) => text.includes('zanzibar maps'))).toHaveLength(1);
    expect(shown.filter((text) => text.includes('Message 40 of the old history'))).toHaveLength(1);
  });

  it('searches within the open conversation, newest first, with prefixes', async () => {
    await page.getByRole('button', { name: 'Clear search' }).click();
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('zanzi*');
    await page.getByRole('group', { name: 'Search in' }).getByRole('button', { name: 'bob', exact: false }).click();
    const results = page.getByRole('region', { name: 'Search results' }).locator('.result');
    await page.getByRole('region', { name: 'Search results' }).getByText('2 messages').waitFor();
    expect(await results.nth(0).textContent()).toContain('You: Yes! Packing the zanzibar maps');
    expect(await results.nth(1).locator('mark').allTextContents()).toEqual(['Zanzibar']);
  });

  it('scrolling up loads older history through MAM until the beginning', async () => {
    await page.getByRole('button', { name: 'Clear search' }).click();
    await page.getByRole('tab', { name: /Chats/ }).click();
    await page.locator(`[data-peer="${bareOf(bob.jid)}"]`).click();
    const log = page.getByRole('log');
    for (let i = 0; i < 10 && !(await page.getByText(/This is the beginning of your conversation/).isVisible()); i++) {
      await log.evaluate((element) => { element.scrollTop = 0; });
      await page.waitForTimeout(150);
    }
    await page.getByText(/This is the beginning of your conversation/).waitFor();
    const shown = await bubblesDownFromHere(page);
    for (const body of history) expect(shown.filter((text) => new RegExp(`^${body}\\b`).test(text)), body).toHaveLength(1);
    expect(shown).toHaveLength(HISTORY + 2);
  });

  it('keeps what is on screen in place while an older page loads', async () => {
    await signIn(page, base, alice, passwordOf(alice));
    const box = page.getByRole('searchbox', { name: 'Search messages' });
    await box.fill('"message 45"');
    await box.press('Enter');
    await page.getByRole('region', { name: 'Search results' }).locator('.result').first().click();
    await page.locator('.bubble.flash', { hasText: /^Message 45 of/ }).waitFor(); // brought into view
    // The page around the result starts at message 15; scrolling up loads 1–14 above it.
    const first = page.locator('.bubble', { hasText: /^Message 15 of/ });
    await page.getByRole('log').evaluate((element) => { element.scrollTop = 0; });
    await page.locator('.bubble', { hasText: /^Message 14 of/ }).waitFor();
    await page.getByText(/This is the beginning of your conversation/).waitFor();
    expect(await page.getByRole('log').evaluate((element) => element.scrollTop)).toBeGreaterThan(100);
    expect(await isInView(page, first)).toBe(true);
  });
});

function bareOf(jid: string): string {
  return jid.split('/')[0]!;
}

async function isInView(page: Page, locator: ReturnType<Page['locator']>): Promise<boolean> {
  const log = await page.getByRole('log').boundingBox();
  const box = await locator.boundingBox();
  return !!log && !!box && box.y >= log.y && box.y + box.height <= log.y + log.height;
}
