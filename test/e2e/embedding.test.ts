// The webmail embeds the panel through parley-embed.js (the example host page in the
// repository): sign-in with the suite's token, unread count events, "Chat" on a contact card
// opens that chat, presence for the cards, theme and language from the host.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { seedRoster, startPanelServer } from '../helpers/panel.ts';
import { createRoom, groupchat } from '../helpers/muc.ts';
import type { TestServer } from '../helpers/server.ts';

const SECRET = 'a-shared-secret-of-at-least-32-characters';

describe('embedding API', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let bob: LoggedInClient;

  beforeAll(async () => {
    server = await startPanelServer({ 'alice@example.com': 'alice-secret', 'bob@example.com': 'pw' },
      { http: { tlsPort: 0 }, sso: { secret: SECRET, audience: 'parley' } });
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    browser = await launchBrowser();
    bob = await login(server, 'bob@example.com', 'pw');
    await bob.xmpp.send(xml('presence', null, xml('show', null, 'dnd')));
  });

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('drives the panel from the example webmail page', async () => {
    const token = await new SignJWT({ email: 'alice@example.com' }).setProtectedHeader({ alg: 'HS256' }).setAudience('parley')
      .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    const page = await browser.newPage({ width: 1280, acceptSelfSigned: true });
    await page.goto(`https://127.0.0.1:${server.ports.https}/embed-example.html#jid=alice@example.com&token=${token}`);
    const panel = page.frameLocator('#chat');
    await panel.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });

    // presence of the webmail's contact cards
    await page.locator('[data-jid="bob@example.com"] .dot[data-availability="dnd"]').waitFor();
    await page.locator('[data-jid="carol@example.com"] .dot[data-availability="offline"]').waitFor();

    // unread count events
    await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat' }, xml('body', null, 'lunch?')));
    await page.locator('#unread', { hasText: '1' }).waitFor();

    // open a chat with an address
    await page.locator('[data-jid="bob@example.com"] button').click();
    await panel.locator('.bubble', { hasText: 'lunch?' }).waitFor();
    await page.locator('#unread:empty').waitFor({ state: 'attached' });

    // a room's messages count too, and the host opens one of the user's rooms as it opens a chat
    const room = 'lunch@conference.example.com';
    await createRoom(bob, room, 'bob');
    await bob.xmpp.send(xml('message', { to: 'alice@example.com' }, xml('x', { xmlns: 'jabber:x:conference', jid: room })));
    await panel.getByRole('button', { name: 'Back to list' }).click(); // (the panel is a narrow sidebar here)
    await panel.getByRole('tab', { name: /Rooms/ }).click();
    await panel.getByRole('button', { name: `Accept the invitation to ${room}` }).click();
    await panel.locator(`[data-room-view="${room}"]`).waitFor();
    await page.locator('[data-jid="bob@example.com"] button').click();
    await panel.locator('.bubble', { hasText: 'lunch?' }).waitFor();
    await bob.xmpp.send(groupchat(room, 'table for two'));
    await page.locator('#unread', { hasText: '1' }).waitFor();
    await page.evaluate((jid) => (document.getElementById('chat') as HTMLIFrameElement).contentWindow!.postMessage({ type: 'parley:open', jid }, '*'), room);
    await panel.locator(`[data-room-view="${room}"] .bubble`, { hasText: 'table for two' }).waitFor();
    await page.locator('#unread:empty').waitFor({ state: 'attached' });

    // theme and language
    await page.selectOption('#theme', 'dark');
    await panel.locator('html[data-theme="dark"]').waitFor({ state: 'attached' });
    const background = await panel.locator('body').evaluate((body) => getComputedStyle(body).backgroundColor);
    expect(background).toBe('rgb(22, 23, 27)');
    await page.selectOption('#language', 'fr');
    await panel.locator('html[lang="fr"]').waitFor({ state: 'attached' });
  });

  it('takes commands only from the host origin it was pinned to', async () => {
    const token = await new SignJWT({ email: 'alice@example.com' }).setProtectedHeader({ alg: 'HS256' }).setAudience('parley')
      .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
    const page = await browser.newPage({ acceptSelfSigned: true });
    const host = `http://127.0.0.1:${server.ports.http}`;
    const panel = `https://127.0.0.1:${server.ports.https}/`;
    await page.goto(`${host}/nonexistent-host-page`);
    // Two panels: one pinned to another origin, one to this page's. The page posts the token to both.
    await page.setContent(`<script>
      window.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'parley:ready') {
          event.source.postMessage({ type: 'parley:login', jid: 'alice@example.com', token: ${JSON.stringify(token)} }, '*');
        }
      });
    </script>
    <iframe id="elsewhere" src="${panel}?host=https://webmail.invalid"></iframe>
    <iframe id="here" src="${panel}?host=${host}"></iframe>`);
    await page.frameLocator('#here').locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    expect(await page.frameLocator('#elsewhere').locator('.panel').count()).toBe(0);
    await page.frameLocator('#elsewhere').getByText('Signing in…').waitFor();
  });
});
