// axe-core over every view of the panel, light and dark, at 320 and 1280 px: no serious or
// critical finding (contrast included). Right-to-left text is laid out right to left.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, seedVcard, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Finding { view: string; id: string; impact: string; targets: string[]; summary: string }

async function audit(page: Page, view: string): Promise<Finding[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource });
  const violations = await page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(context: Document, options: object): Promise<{ violations: { id: string; impact: string; nodes: { target: string[]; failureSummary: string }[] }[] }> } })
      .axe.run(document, { resultTypes: ['violations'] });
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, targets: v.nodes.slice(0, 3).map((n) => n.target.join(' ')), summary: v.nodes[0]?.failureSummary ?? '' }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => ({ view, ...v }));
}

describe('accessibility', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;
  let mallory: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw', 'mallory@example.com': 'pw' });
    await seedRoster(server, 'alice@example.com', [
      { jid: 'bob@example.com', name: 'Bob', groups: ['Team'] }, { jid: 'dana@example.com', name: 'דנה כהן' }, { jid: 'erin@example.com' },
    ]);
    await seedVcard(server, 'erin@example.com', 'Erin Walsh');
    bob = await login(server, 'bob@example.com', 'pw');
    mallory = await login(server, 'mallory@example.com', 'pw');
    await bob.xmpp.send(xml('presence', null, xml('show', null, 'away'), xml('status', null, 'Lunch')));
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await bob?.stop();
    await mallory?.stop();
    await browser?.close();
    await server?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [320, 1280]) {
      it(`has no serious finding in any view, ${colorScheme}, ${width} px`, async () => {
        const page = await browser.newPage({ width, height: 720, colorScheme });
        const findings: Finding[] = [];
        await page.goto(baseUrl(server));
        await page.getByLabel('Address').waitFor();
        findings.push(...await audit(page, 'login'));
        await signIn(page, baseUrl(server), 'alice@example.com', 'alice-secret');
        // (from the second run on, the inbox has Bob's unread message and the panel opens on Chats)
        await page.getByRole('tab', { name: /Contacts/ }).click();
        await page.locator('[data-jid="bob@example.com"]').getByText('Lunch').waitFor();
        findings.push(...await audit(page, 'contacts'));

        await page.getByRole('button', { name: 'Menu' }).click();
        findings.push(...await audit(page, 'menu'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: /^Your status/ }).click();
        findings.push(...await audit(page, 'presence'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Add contact' }).first().click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'add contact'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Edit your profile' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'profile'));
        await page.keyboard.press('Escape');
        await page.getByRole('button', { name: 'Menu' }).click();
        await page.getByRole('menuitem', { name: 'Blocked contacts' }).click();
        await page.getByRole('dialog').waitFor();
        findings.push(...await audit(page, 'blocked contacts'));
        await page.keyboard.press('Escape');

        const arrived = page.locator('.bubble[data-direction="in"]').first();
        await page.locator('[data-jid="bob@example.com"] button.main').click();
        await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'שלום! *see* https://example.org')));
        await arrived.waitFor();
        await page.getByLabel('Message Bob').fill('a reply in progress');
        findings.push(...await audit(page, 'chat'));
        expect(await arrived.locator('.body').evaluate((el) => getComputedStyle(el).direction)).toBe('rtl');

        if (width < 640) await page.getByRole('button', { name: 'Back to list' }).click();
        await page.getByRole('tab', { name: /Chats/ }).click();
        await page.locator('[data-peer="bob@example.com"]').waitFor();
        findings.push(...await audit(page, 'chats'));
        await page.getByRole('searchbox', { name: /Search messages/ }).fill('שלום');
        await page.keyboard.press('Enter');
        await page.locator('.results, [data-result]').first().waitFor().catch(() => {});
        findings.push(...await audit(page, 'search'));

        // a stranger writes: the chat offers to block them (XEP-0191), then says they are blocked
        await page.getByRole('button', { name: 'Clear search' }).click().catch(() => {});
        await mallory.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, `buy now ${colorScheme} ${width}`)));
        await page.locator('button[data-peer="mallory@example.com"]').click();
        await page.getByRole('button', { name: 'Report spam and block' }).waitFor();
        findings.push(...await audit(page, 'stranger'));
        await page.getByRole('button', { name: 'Block', exact: true }).click();
        await page.getByRole('button', { name: 'Unblock', exact: true }).waitFor();
        findings.push(...await audit(page, 'blocked chat'));
        await page.getByRole('button', { name: 'Unblock', exact: true }).click();
        await page.getByRole('button', { name: 'Unblock', exact: true }).waitFor({ state: 'detached' });

        expect(findings, JSON.stringify(findings, null, 1)).toEqual([]);
      });
    }
  }
});
