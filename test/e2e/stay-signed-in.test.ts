// "Stay signed in" (XEP-0484 FAST over SASL2, XEP-0388): signing in with the box ticked keeps a
// token in the browser; a reload signs in with it (HT-SHA-256-NONE), never with the password;
// signing out forgets it and ends it on the server, so the next reload asks for the password and
// the server refuses the token to anyone who kept a copy.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { NS } from '@parley/shared';
import { launchBrowser, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { until, watchedWebSockets, type WatchedSockets } from '../helpers/panel-sockets.ts';
import { connectTcp, type Received } from '../helpers/raw-stream.ts';
import { authenticateXml, htInitialResponse, userAgentXml } from '../helpers/sasl2.ts';
import { startServer, type TestServer } from '../helpers/server.ts';

const ALICE = 'alice@example.com';

describe('stay signed in', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let page: Page;
  let sockets: WatchedSockets;
  let origin: string;
  let token = '';
  let clientId = '';

  beforeAll(async () => {
    // FAST needs an encrypted connection (XEP-0484 §6): the panel is loaded over HTTPS
    server = await startServer({ users: { [ALICE]: 'alice-secret' }, config: { http: { webClientDir, tlsPort: 0 } } });
    origin = `https://127.0.0.1:${server.ports.https}/`;
    browser = await launchBrowser();
    page = await browser.newPage({ acceptSelfSigned: true });
    sockets = await watchedWebSockets(page);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  /** A sign-in with the token from outside the browser, as a thief with a copy would try. */
  async function signInWithToken(): Promise<Received> {
    const peer = await connectTcp(server.ports.c2sTls!, { tls: true });
    peer.openStream({ to: 'example.com' });
    await peer.receiveHeader();
    await peer.receiveFeatures();
    peer.send(authenticateXml('HT-SHA-256-NONE', htInitialResponse('alice', token), userAgentXml(clientId), `<fast xmlns='${NS.fast}'/>`));
    const outcome = await peer.next();
    peer.destroy();
    return outcome;
  }

  it('asks for a token when the box is ticked, and keeps it out of reach of scripts', async () => {
    await page.goto(origin);
    await page.getByLabel('Address').fill(ALICE);
    await page.getByLabel('Password').fill('alice-secret');
    await page.getByLabel('Stay signed in on this device').check();
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    expect(sockets.matching('sent', /<request-token xmlns="urn:xmpp:fast:0" mechanism="HT-SHA-256-NONE"/).length).toBe(1);
    const issued = sockets.matching('received', '<token xmlns="urn:xmpp:fast:0"')[0]!.text;
    token = /token="([^"]+)"/.exec(issued)![1]!;
    clientId = await page.evaluate(() => localStorage.getItem('parley.clientId') ?? '');
    expect(clientId).not.toBe('');
    // the token is kept as a non-extractable key: not in localStorage, not readable back
    expect(await page.evaluate(() => JSON.stringify(localStorage))).not.toContain(token);
    expect(await page.evaluate(() => new Promise<boolean>((resolve) => {
      const request = indexedDB.open('parley');
      request.onsuccess = () => {
        const get = request.result.transaction('fast-tokens').objectStore('fast-tokens').get('alice@example.com');
        get.onsuccess = () => resolve(get.result.key instanceof CryptoKey && get.result.key.extractable === false);
      };
    }))).toBe(true);
  });

  it('signs in again after a reload with the token, not the password', async () => {
    const before = sockets.count();
    await page.reload();
    await page.locator('.panel[data-status="online"]').waitFor({ timeout: 15_000 });
    expect(await page.getByLabel('Password').count()).toBe(0);
    const authenticate = sockets.matching('sent', '<authenticate', before);
    expect(authenticate.length).toBe(1);
    expect(authenticate[0]!.text).toContain('mechanism="HT-SHA-256-NONE"');
    expect(authenticate[0]!.text).toContain('<fast xmlns="urn:xmpp:fast:0"/>');
    expect(sockets.matching('sent', /SCRAM|PLAIN/, before)).toEqual([]);
  });

  it('signs out for good: the reload asks for the password and the server refuses the token', async () => {
    const valid = await signInWithToken(); // still valid before the sign-out
    expect(valid.kind === 'element' && valid.element.name).toBe('success');
    const before = sockets.count();
    await page.getByRole('button', { name: 'Menu' }).click();
    await page.getByRole('menuitem', { name: 'Sign out' }).click();
    await page.getByLabel('Password').waitFor();
    // a connection of its own ends the token (XEP-0484 §3.6)
    await until(() => sockets.matching('sent', /<fast xmlns="urn:xmpp:fast:0" invalidate="true"/, before).length === 1, 'the invalidating sign-in');
    await until(() => sockets.matching('received', '<success xmlns="urn:xmpp:sasl:2"', before).length === 1, 'its success');
    await page.reload();
    await page.getByLabel('Password').waitFor();
    await page.waitForTimeout(500);
    expect(await page.locator('.panel').count()).toBe(0);
    const outcome = await signInWithToken();
    expect(outcome.kind).toBe('element');
    const element = (outcome as Extract<Received, { kind: 'element' }>).element;
    expect(element.name).toBe('failure');
    expect(element.getChild('not-authorized') ?? element.getChild('credentials-expired')).toBeDefined();
  });
});
