// A server outage as a person sees it: the panel says it is offline (own presence too), always
// offers "Retry now", and after the restart it is back on WebSocket even if it had to fall back
// to BOSH on the way.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, signIn, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, sleep, startRestartableServer } from '../helpers/panel.ts';

describe('outages', () => {
  let server: Awaited<ReturnType<typeof startRestartableServer>>;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startRestartableServer({ 'alice@example.com': 'alice-secret' });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows offline with Retry now throughout, and returns to WebSocket after a restart', async () => {
    const alice = await browser.newPage();
    await alice.addInitScript(() => { (window as { parleyConfig?: object }).parleyConfig = { preferredProbeSeconds: 1 }; });
    let websocketDown = false;
    await alice.routeWebSocket('**/xmpp-websocket', (socket) => {
      if (websocketDown) void socket.close();
      else socket.connectToServer();
    });
    await signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret');
    expect(await alice.locator('.panel').getAttribute('data-transport')).toBe('websocket');

    await server.halt();
    await alice.locator('[data-connection]').waitFor();
    await alice.getByRole('button', { name: /^Your status: Offline/ }).waitFor();
    // Through backoff waits and attempts alike, the banner offers to retry.
    for (let i = 0; i < 30; i++) {
      const banner = alice.locator('[data-connection]');
      if (await banner.count()) expect(await banner.getByRole('button', { name: 'Retry now' }).count(), await banner.innerText()).toBe(1);
      await sleep(100);
    }

    // The server is back, but its WebSocket endpoint is not reachable yet: BOSH it is, for now.
    websocketDown = true;
    await server.restart();
    // Retry now skips the backoff wait; a backoff attempt may have found the restarted server first
    // (a slow restart), and then the banner, and its button, are gone before the click lands.
    const backOnBosh = alice.locator('.panel[data-status="online"][data-transport="bosh"]');
    await alice.locator('[data-connection]').getByRole('button', { name: 'Retry now' }).click({ timeout: 3_000 })
      .catch(async (error: unknown) => { if (!(await backOnBosh.count())) throw error; });
    await backOnBosh.waitFor({ timeout: 15_000 });
    await alice.getByRole('button', { name: /^Your status: Available/ }).waitFor();
    websocketDown = false;
    await alice.locator('.panel[data-status="online"][data-transport="websocket"]').waitFor({ timeout: 15_000 });
  }, 120_000); // two server starts in a child process (over 11 s each at a load of 24)
});
