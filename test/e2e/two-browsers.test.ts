// Two people in two browsers: Alice adds Bob through the panel, Bob accepts, both see each other
// online (Bob with the photo he set), they chat both ways with typing notifications and receipts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';

// An 8×8 PNG gradient: enough for the panel to scale into an avatar.
const PHOTO = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAgElEQVR4nA3JIQFFMQhA0R/n1VgNGqAxa4BB04AG0zOY24A6f8ee3ycsQQQTQijhCiP8PmUpopgSSilXGX2xWRvZ2CY2tbmb2S+c5YhjTjjlXGf8RbISSSyJpJKbTL4oViGFFVFUcYupF4d1kIMd4lCHe5jzolmNNNZEU81tpvkDiI11ga+0y6EAAAAASUVORK5CYII=', 'base64');

describe('two browser users', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: Page;
  let base: string;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret' },
      config: { http: { webClientDir } },
    });
    base = `http://127.0.0.1:${server.ports.http}/`;
    browser = await launchBrowser();
    alice = await browser.newPage();
    bob = await browser.newPage({ width: 360, height: 700 });
    await Promise.all([
      signIn(alice, base, 'alice@example.com', 'alice-secret'),
      signIn(bob, base, 'bob@example.com', 'bob-secret'),
    ]);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in over WebSocket with SCRAM', async () => {
    expect(await alice.locator('.panel').getAttribute('data-transport')).toBe('websocket');
    await expect(alice.getByRole('button', { name: 'Edit your profile' })).toBeDefined();
  });

  it('Bob sets a photo in his profile (an XEP-0084 avatar, in his vCard too)', async () => {
    await bob.getByRole('button', { name: 'Edit your profile' }).click();
    await bob.getByLabel('Display name').fill('Bob Builder');
    await bob.locator('input[type=file]').setInputFiles({ name: 'bob.png', mimeType: 'image/png', buffer: PHOTO });
    await bob.getByRole('button', { name: 'Save' }).click();
    await bob.locator('.header .me img').waitFor();
    await bob.locator('.header .name', { hasText: 'Bob Builder' }).waitFor();
  });

  it('Alice adds Bob, Bob accepts, and they see each other online with avatars', async () => {
    await alice.getByRole('button', { name: 'Add contact' }).first().click();
    await alice.getByLabel('Address').fill('bob@example.com');
    await alice.getByLabel(/^Name/).fill('Bob');
    await alice.getByLabel(/^Group/).fill('Team');
    await alice.getByRole('button', { name: 'Add contact' }).last().click();
    await alice.locator('[data-jid="bob@example.com"]').waitFor();

    await bob.getByRole('button', { name: 'Accept alice@example.com' }).click();

    const bobRow = alice.locator('[data-jid="bob@example.com"]');
    await bobRow.getByRole('img', { name: 'Available' }).waitFor();
    await bobRow.locator('img').waitFor(); // Bob's photo, fetched by its XEP-0153 hash
    expect(await bobRow.locator('.name').textContent()).toBe('Bob');
    expect(await alice.locator('[data-row="group:Team"]').count()).toBe(1);

    const aliceRow = bob.locator('[data-jid="alice@example.com"]');
    await aliceRow.getByRole('img', { name: 'Available' }).waitFor();
    await aliceRow.locator('.initials').waitFor(); // no photo: initials
  });

  it('shows a status change', async () => {
    await bob.getByRole('button', { name: /^Your status/ }).click();
    await bob.getByText('Do not disturb').click();
    await bob.getByLabel('Status message').fill('In a meeting');
    await bob.getByRole('button', { name: 'Set' }).click();
    const bobRow = alice.locator('[data-jid="bob@example.com"]');
    await bobRow.getByRole('img', { name: 'Do not disturb' }).waitFor();
    await bobRow.getByText('In a meeting').waitFor();
  });

  it('chats both ways with typing, receipts, links kept safe', async () => {
    await alice.locator('[data-jid="bob@example.com"] button.main').click();
    const composer = alice.getByLabel('Message Bob');
    await composer.fill('Hello Bob 👋 see https://example.org/a?b=1');

    // Bob has not opened the chat yet: the typing shows in his chat list once the conversation exists,
    // so first let the message arrive, then check typing on the reply path below.
    await composer.press('Enter');
    await bob.getByRole('tab', { name: /Chats/ }).locator('.badge', { hasText: '1' }).waitFor();
    await alice.locator('.bubble[data-direction="out"][data-delivery="delivered"]').waitFor();

    await bob.locator('[data-peer="alice@example.com"]').click();
    const incoming = bob.locator('.bubble[data-direction="in"]').first();
    await expect(incoming.textContent()).resolves.toContain('Hello Bob 👋');
    expect(await incoming.locator('a').getAttribute('href')).toBe('https://example.org/a?b=1');
    expect(await incoming.locator('a').getAttribute('rel')).toContain('noopener');

    // Bob types: Alice sees it; Bob sends: the indicator goes away and the message arrives.
    await bob.getByLabel('Message alice').fill('<img src=x onerror="window.pwned=1">');
    await alice.getByText('Bob is typing…').waitFor();
    await bob.getByLabel('Message alice').press('Enter');
    const reply = alice.locator('.bubble[data-direction="in"]').first();
    await reply.waitFor();
    expect(await reply.textContent()).toContain('<img src=x onerror="window.pwned=1">');
    expect(await reply.locator('img').count()).toBe(0);
    expect(await alice.evaluate(() => (window as { pwned?: number }).pwned)).toBeUndefined();
    await alice.getByText('Bob is typing…').waitFor({ state: 'detached' });
    // delivered (XEP-0184), then read: Alice has the chat open (XEP-0333)
    await bob.locator('.bubble[data-direction="out"][data-delivery="read"]').waitFor();
  });

  it('Alice removes Bob from her contacts', async () => {
    await alice.getByRole('tab', { name: /Contacts/ }).click();
    await alice.getByRole('button', { name: 'Remove Bob' }).click();
    await alice.getByRole('button', { name: 'Remove', exact: true }).click();
    await alice.locator('[data-jid="bob@example.com"]').waitFor({ state: 'detached' });
    // RFC 6121 §2.5.2: removing cancels both subscriptions, so Bob no longer sees Alice online.
    await bob.getByRole('button', { name: 'Back to list' }).click();
    await bob.getByRole('tab', { name: /Contacts/ }).click();
    await bob.locator('[data-jid="alice@example.com"]').getByRole('img', { name: 'Offline' }).waitFor();
  });
});
