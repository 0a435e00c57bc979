// The panel speaks the browser's language (English, French), or the one the host page sets:
// texts, plurals, dates and times by locale.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import type { TestServer } from '../helpers/server.ts';

describe('languages', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw' });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('speaks French to a French browser: texts, plurals, times', async () => {
    const page = await browser.newPage({ locale: 'fr-FR' });
    await page.goto(baseUrl(server));
    await page.getByRole('heading', { name: 'Se connecter à Parley' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('fr');
    await page.getByLabel('Adresse').fill('alice@example.com');
    await page.getByLabel('Mot de passe').fill('alice-secret');
    await page.getByRole('button', { name: 'Se connecter' }).click();
    await page.locator('.panel[data-status="online"]').waitFor();
    await page.getByRole('tab', { name: /Contacts/ }).waitFor();
    await page.getByRole('searchbox', { name: 'Rechercher un contact' }).waitFor();
    await page.getByText('Disponible').first().waitFor();

    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'un')));
    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'deux')));
    await page.getByRole('tab', { name: /Discussions.*2 non lus/ }).waitFor();
    await page.getByRole('tab', { name: /Discussions/ }).click();
    await page.locator('[data-peer="bob@example.com"]').click();
    await page.getByRole('textbox', { name: 'Message à Bob' }).waitFor();
    // 24-hour times, as French has them
    expect(await page.locator('.bubble time').first().textContent()).toMatch(/^\d{1,2}:\d{2}$/);
    await page.locator('.day', { hasText: 'Aujourd’hui' }).waitFor();
  });

  it('speaks English to an English browser, with English plurals and 12-hour times', async () => {
    const page = await browser.newPage({ locale: 'en-US' });
    await page.goto(baseUrl(server));
    await page.getByRole('heading', { name: 'Sign in to Parley' }).waitFor();
    expect(await page.locator('html').getAttribute('lang')).toBe('en');
  });
});
