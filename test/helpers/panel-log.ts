// Reading a conversation as the panel shows it: the chat pane's log is a virtual list that holds
// only the rows on screen, so it is scrolled through and its bubbles collected.
import type { Page } from 'playwright-core';
import { expect } from 'vitest';
import { until } from './panel-sockets.ts';

/**
 * The bodies of every bubble in the conversation, in the order shown: the list is scrolled from the
 * bottom to the top (a virtual list holds the rows on screen only), each bubble kept by message id
 * with its row and place in the row.
 */
export function shownBodies(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const log = document.querySelector<HTMLElement>('[role="log"]')!;
    const frame = () => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
    const bubbles = new Map<string, { row: number; place: number; body: string }>();
    const collect = () => {
      for (const slot of Array.from(log.querySelectorAll<HTMLElement>('[data-index]'))) {
        Array.from(slot.querySelectorAll<HTMLElement>('.bubble[data-id]')).forEach((bubble, place) => {
          bubbles.set(bubble.dataset.id!, { row: Number(slot.dataset.index), place, body: bubble.querySelector('.body')?.textContent ?? '' });
        });
      }
    };
    log.scrollTop = log.scrollHeight;
    await frame();
    collect();
    while (log.scrollTop > 0) {
      log.scrollTop = Math.max(0, log.scrollTop - log.clientHeight / 2);
      await frame();
      collect();
    }
    log.scrollTop = log.scrollHeight;
    return [...bubbles.values()].sort((a, b) => a.row - b.row || a.place - b.place).map((bubble) => bubble.body);
  });
}

/**
 * shownBodies once at least `count` bubbles are shown and two scans in a row agree. A scan takes
 * many frames; one that a change of the list overlaps (a catch-up's page merged while it scrolls)
 * numbers the rows it saw before the change differently from those after, and the order it gives
 * means nothing. (Gives the last scan when that does not happen in time: the test says what differs.)
 */
export async function settledBodies(page: Page, count: number): Promise<string[]> {
  let previous: string[] = [];
  let shown: string[] = [];
  await until(async () => {
    previous = shown;
    shown = await shownBodies(page);
    return shown.length >= count && shown.join('\n') === previous.join('\n');
  }, 'every message shown, the same in two scans', 15_000).catch(() => {});
  return shown;
}

/** The conversation shown is `expected`: nothing missing, each message once, in order. */
export async function expectShownInOrder(page: Page, expected: string[]): Promise<void> {
  const shown = await settledBodies(page, expected.length);
  const missing = expected.filter((body) => !shown.includes(body));
  expect(missing, `${missing.length} missing`).toEqual([]);
  expect(shown.length, 'each message once').toBe(expected.length);
  expect(shown).toEqual(expected); // in order
}
