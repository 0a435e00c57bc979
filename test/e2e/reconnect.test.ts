// The connection drops under the panel: it says so, reconnects by itself with backoff, and
// messages sent meanwhile arrive once (offline storage), without duplicates.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WebSocketRoute } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';

describe('reconnection', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let erin: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret', 'erin@example.com': 'erin-secret' },
      config: { http: { webClientDir } },
    });
    browser = await launchBrowser();
    erin = await login(server, 'erin@example.com', 'erin-secret');
  });

  afterAll(async () => {
    await erin?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('shows the lost connection, comes back, and shows each message once', async () => {
    const alice = await browser.newPage();
    // Every WebSocket goes through this route, so the test can cut the current one like a network would.
    const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
    await alice.routeWebSocket('**/xmpp-websocket', (socket) => {
      sockets.push({ page: socket, server: socket.connectToServer() });
    });
    await signIn(alice, `http://127.0.0.1:${server.ports.http}/`, 'alice@example.com', 'alice-secret');

    await erin.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'before' }, xml('body', null, 'before the drop')));
    await alice.locator('[data-peer="erin@example.com"]').click();
    await alice.locator('.bubble', { hasText: 'before the drop' }).waitFor();

    const cut = sockets.at(-1)!;
    await cut.server.close();
    await cut.page.close({ code: 4000, reason: 'network gone' });
    await alice.locator('[data-connection="reconnecting"], [data-connection="connecting"]').first().waitFor();
    // While Alice is away, Erin writes: offline storage keeps it for her.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await erin.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id: 'during' }, xml('body', null, 'during the drop')));

    await alice.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    await alice.locator('.bubble', { hasText: 'during the drop' }).waitFor();
    expect(sockets.length).toBeGreaterThanOrEqual(2);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await alice.locator('.bubble', { hasText: 'before the drop' }).count()).toBe(1);
    expect(await alice.locator('.bubble', { hasText: 'during the drop' }).count()).toBe(1);
  });
});
