// The admin console for everyone: axe-core over every screen in light and dark (no serious or
// critical finding, contrast included), every action reachable and usable from the keyboard alone,
// and the console in French for a French browser.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { axeFindings as audit, type AxeFinding as Finding } from '../helpers/axe.ts';
import { login, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { ADMIN_TOKEN, api, startSuiteServer } from '../helpers/suite.ts';
import type { TestServer } from '../helpers/server.ts';

const screenshots = process.env.PARLEY_SCREENSHOTS ?? '/tmp/admin-screens';


/** Presses Tab until the focused element matches (at most `limit` times): the element is reachable by keyboard. */
async function tabTo(page: Page, matches: (element: Element) => boolean, limit = 40): Promise<void> {
  const source = `(${matches.toString()})(document.activeElement)`;
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((code) => Boolean(document.activeElement) && (0, eval)(code) === true, source)) return;
  }
  throw new Error(`not reached with ${limit} Tab presses: ${matches.toString()}`);
}

describe('the admin console, accessible', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let zoe: LoggedInClient;
  let consoleUrl: string;

  beforeAll(async () => {
    server = await startSuiteServer({
      domains: ['example.com', 'corp.example'],
      users: { 'root@example.com': 'root-secret', 'zoe@corp.example': 'zoe-secret' },
      config: { http: { webClientDir }, admin: { accounts: { enabled: true } } },
    });
    await api(server, 'POST', 'roles/grant', { role: 'admin', user: 'root@example.com' });
    await api(server, 'POST', 'domains/corp.example/aliases', { alias: 'chat.corp.example' });
    await api(server, 'PATCH', 'domains/corp.example/im', { access: 'restricted' });
    await api(server, 'POST', 'groups', { name: 'staff', description: 'Everyone at Corp' });
    await api(server, 'POST', 'groups/staff/members', { jid: 'zoe@corp.example' });
    await api(server, 'POST', 'roles/grant', { role: 'im', group: 'staff' });
    await api(server, 'POST', 'domains/corp.example/im/allowed', { group: 'staff' });
    zoe = await login(server, 'zoe@corp.example', 'zoe-secret', { resource: 'laptop' });
    consoleUrl = `http://127.0.0.1:${server.ports.http}/admin/`;
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await zoe?.stop().catch(() => {});
    await browser?.close();
    await server?.stop();
  });

  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [1280, 390]) {
      it(`has no serious finding on any screen, ${colorScheme}, ${width} px`, async () => {
        const page = await browser.newPage({ width, height: 800, colorScheme });
        const findings: Finding[] = [];
        const look = async (view: string) => {
          findings.push(...await audit(page, view));
          mkdirSync(screenshots, { recursive: true });
          await page.screenshot({ path: join(screenshots, `a11y-${colorScheme}-${width}-${view}.png`), fullPage: true });
        };
        await page.goto(consoleUrl);
        await page.getByLabel('Address').waitFor();
        await look('sign-in');
        await page.getByLabel('Admin token', { exact: true }).fill(ADMIN_TOKEN);
        await page.getByRole('button', { name: 'Sign in' }).last().click();
        await page.getByRole('cell', { name: 'corp.example', exact: true }).waitFor();
        await look('domains');
        await page.getByRole('link', { name: 'corp.example' }).click();
        await page.locator('[data-certificate="chat.corp.example"] [data-fingerprint]').waitFor();
        await page.getByRole('button', { name: 'Check DNS' }).click();
        await page.locator('[data-service="_xmpp-client"]').waitFor({ timeout: 15_000 });
        await look('domain');
        await page.locator('[aria-labelledby="dns-title"]').screenshot({ path: join(screenshots, `a11y-${colorScheme}-${width}-dns.png`) });
        await page.getByRole('link', { name: 'Users' }).click();
        await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
        await page.getByLabel('Domain', { exact: true }).selectOption('corp.example');
        await page.getByRole('link', { name: 'zoe@corp.example' }).click();
        await page.locator('tr[data-resource="laptop"]').waitFor();
        await page.getByText('Holds the IM role through: staff').waitFor();
        await look('user');
        await page.getByRole('link', { name: 'Groups' }).click();
        await page.getByRole('link', { name: 'staff' }).waitFor();
        await look('groups');
        await page.getByRole('link', { name: 'staff' }).click();
        await page.getByText('zoe@corp.example').waitFor();
        await look('group');
        await page.getByRole('link', { name: 'Archive' }).click();
        await page.getByText('Embedded (SQLite)').waitFor();
        await look('archive');
        await page.getByRole('link', { name: 'Live figures' }).click();
        await page.locator('[data-figure="sessions"] .value').waitFor();
        await look('figures');
        expect(findings).toEqual([]);
      });
    }
  }

  it('works from the keyboard alone: sign in, move between screens, change a setting, kick a session', async () => {
    const page = await browser.newPage({ width: 1200, height: 800 });
    await page.goto(consoleUrl);
    await page.getByLabel('Address').waitFor();
    await tabTo(page, (element) => element.id === 'admin-jid');
    await page.keyboard.type('root@example.com');
    await page.keyboard.press('Tab');
    await page.keyboard.type('root-secret');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Served domains' }).waitFor();

    // a link in the table, then the IM setting of the domain
    await tabTo(page, (element) => element.textContent === 'corp.example' && element.tagName === 'A');
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'corp.example', exact: true }).waitFor();
    // a radio group is one Tab stop (the checked radio); the arrow keys choose within it
    await tabTo(page, (element) => element instanceof HTMLInputElement && element.name === 'im-access' && element.checked);
    await page.keyboard.press('ArrowUp');
    await page.getByText('Now: Every user of the domain.').waitFor();
    expect((await api(server, 'GET', 'domains/corp.example')).body).toMatchObject({ im: { access: 'everyone' } });
    // the focus is visible where it is
    const ring = await page.evaluate(() => getComputedStyle(document.activeElement!).boxShadow);
    expect(ring).not.toBe('none');

    // the navigation, to the user's sessions, and the kick button
    await tabTo(page, (element) => element.textContent === 'Users' && element.tagName === 'A', 80);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Users', exact: true }).waitFor();
    // the first domain (corp.example) is chosen once the domains are loaded; its users are listed
    await expect.poll(() => page.getByLabel('Domain', { exact: true }).inputValue()).toBe('corp.example');
    await tabTo(page, (element) => element.textContent === 'zoe@corp.example' && element.tagName === 'A');
    await page.keyboard.press('Enter');
    await page.locator('tr[data-resource="laptop"]').waitFor();
    await tabTo(page, (element) => element.getAttribute('aria-label') === 'Kick laptop');
    await page.keyboard.press('Enter');
    await page.getByText('The session laptop was ended.').waitFor();
    expect((await api(server, 'GET', 'users/zoe@corp.example/sessions')).body).toEqual([]);
  });

  it('speaks French to a French browser', async () => {
    const page = await browser.newPage({ width: 1200, height: 800, locale: 'fr-FR' });
    await page.goto(consoleUrl);
    await page.getByRole('heading', { name: 'Connexion à la console d’administration' }).waitFor();
    expect(await page.evaluate(() => document.documentElement.lang)).toBe('fr');
    await page.getByLabel('Jeton d’administration', { exact: true }).fill(ADMIN_TOKEN);
    await page.getByRole('button', { name: 'Se connecter' }).last().click();
    await page.getByRole('heading', { name: 'Domaines servis' }).waitFor();
    await page.getByRole('link', { name: 'corp.example' }).click();
    await page.getByRole('heading', { name: 'Messagerie instantanée' }).waitFor();
    await page.getByText(/jours restants/).first().waitFor();
    await page.screenshot({ path: join(screenshots, 'fr-domain.png'), fullPage: true });
    expect(await audit(page, 'domain (fr)')).toEqual([]);
  });
});
