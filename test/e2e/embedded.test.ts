// Embedded mode: the host page passes a token in the URL fragment or by postMessage; the panel
// removes it from the address bar and signs in with SASL OAUTHBEARER (RFC 7628), or says why not.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, webClientDir, type TestBrowser } from '../helpers/browser.ts';

const SECRET = 'a-shared-secret-of-at-least-32-characters';

function token(email: string): Promise<string> {
  return new SignJWT({ email }).setProtectedHeader({ alg: 'HS256' }).setAudience('parley')
    .setIssuedAt().setExpirationTime('5m').sign(new TextEncoder().encode(SECRET));
}

describe('embedded mode', () => {
  let server: TestServer;
  let browser: TestBrowser;

  beforeAll(async () => {
    server = await startServer({
      users: { 'alice@example.com': 'alice-secret' },
      config: { http: { webClientDir, tlsPort: 0 }, sso: { secret: SECRET, audience: 'parley' } },
    });
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('signs in over HTTPS with the token from the fragment, and clears it from the address bar', async () => {
    const page = await browser.newPage({ width: 320, acceptSelfSigned: true });
    await page.goto(`https://127.0.0.1:${server.ports.https}/#token=${await token('alice@example.com')}&jid=alice@example.com`);
    await page.locator('.panel[data-status="online"]').waitFor();
    expect(new URL(page.url()).hash).toBe('');
  });

  it('signs in with a token the host page posts to the panel in an iframe', async () => {
    const page = await browser.newPage({ acceptSelfSigned: true });
    const origin = `https://127.0.0.1:${server.ports.https}`;
    await page.goto(`${origin}/nonexistent-host-page`);
    const jwt = await token('alice@example.com');
    // The "webmail": answers the panel's parley:ready with the token, then embeds the panel.
    await page.setContent(`<script>
      window.addEventListener('message', (event) => {
        if (event.data && event.data.type === 'parley:ready') {
          event.source.postMessage({ type: 'parley:login', jid: 'alice@example.com', token: ${JSON.stringify(jwt)} }, '*');
        }
      });
    </script><iframe id="chat" src="${origin}/" style="width:320px;height:600px"></iframe>`);
    await page.frameLocator('#chat').locator('.panel[data-status="online"]').waitFor();
  });

  it('refuses a bad token with a clear message', async () => {
    const page = await browser.newPage({ acceptSelfSigned: true });
    await page.goto(`https://127.0.0.1:${server.ports.https}/#token=not-a-valid-token&jid=alice@example.com`);
    await page.getByRole('alert').waitFor();
    expect(new URL(page.url()).hash).toBe('');
  });

  it('over plain HTTP, says that token sign-in needs HTTPS', async () => {
    const page = await browser.newPage();
    await page.goto(`http://127.0.0.1:${server.ports.http}/#token=${await token('alice@example.com')}&jid=alice@example.com`);
    await page.getByText('Signing in with a token needs an encrypted (HTTPS) connection to the server.').waitFor();
  });
});
