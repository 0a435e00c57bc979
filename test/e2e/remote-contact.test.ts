// The panel with a contact on another server (issue 12): Alice signs in to a.example in the
// browser, adds bob@b.example — a second Parley server on its own loopback address, found through
// SRV records served by a real DNS server (unbound) — Bob (@xmpp/client on b.example) accepts and
// asks back, the panel approves that second half, they see each other online and chat both ways across s2s.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { login, xml, type LoggedInClient } from '../helpers/clients.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { patient, peerZone } from '../helpers/federation.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { startDns, type TestDns } from '../helpers/unbound.ts';

const A = { domain: 'a.example', address: '127.0.0.10' };
const B = { domain: 'b.example', address: '127.0.0.11' };

describe('a contact on another server, in the panel', () => {
  let dns: TestDns;
  let a: TestServer;
  let b: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: LoggedInClient;

  beforeAll(async () => {
    dns = await startDns({});
    const server = (side: typeof A, users: Record<string, string>) => startServer({
      domains: [side.domain], users,
      config: { bind: side.address, dns: { servers: [dns.server] }, s2s: { port: 0, idleSeconds: 60 }, http: { webClientDir, tlsPort: 0 } },
    });
    [a, b] = await Promise.all([server(A, { 'alice@a.example': 'alice-secret' }), server(B, { 'bob@b.example': 'pw' })]);
    await dns.setZone(A.domain, peerZone(A.domain, A.address, a.ports.c2s, a.ports.s2s!));
    await dns.setZone(B.domain, peerZone(B.domain, B.address, b.ports.c2s, b.ports.s2s!));
    bob = patient(await login(b, 'bob@b.example', 'pw', { host: B.address, resource: 'phone', timeoutMs: 15_000 }));
    // the panel is opened by the domain's name, as a user would (the server's own pages are on its served names)
    browser = await launchBrowser([`--host-resolver-rules=MAP ${A.domain} ${A.address}`]);
    alice = await browser.newPage({ acceptSelfSigned: true });
    // over HTTPS (its self-signed certificate accepted): the panel signs in only over an encrypted link
    await signIn(alice, `https://${A.domain}:${a.ports.https}/`, 'alice@a.example', 'alice-secret');
  }, 90_000);

  afterAll(async () => {
    await bob?.stop();
    await browser?.close();
    await Promise.allSettled([a?.stop(), b?.stop()]);
    await dns?.stop();
  }, 30_000);

  it('adds the remote contact, both accept, both see each other online', async () => {
    const request = bob.next((s) => s.is('presence') && s.attrs.type === 'subscribe' && s.attrs.from === 'alice@a.example', 20_000);
    await alice.getByRole('button', { name: 'Add contact' }).first().click();
    await alice.getByLabel('Address').fill('bob@b.example');
    await alice.getByLabel(/^Name/).fill('Bob');
    await alice.getByRole('button', { name: 'Add contact' }).last().click();
    await alice.locator('[data-jid="bob@b.example"]').waitFor();
    await request;

    // Bob approves and asks back (RFC 6121 §3.1): the panel, which asked first, approves the second half itself
    const approved = bob.next((s) => s.is('presence') && s.attrs.type === 'subscribed' && s.attrs.from === 'alice@a.example', 20_000);
    const alicePresence = bob.next((s) => s.is('presence') && s.attrs.from?.startsWith('alice@a.example/') && s.attrs.type === undefined, 20_000);
    await bob.xmpp.send(xml('presence', { to: 'alice@a.example', type: 'subscribed' }));
    await bob.xmpp.send(xml('presence', { to: 'alice@a.example', type: 'subscribe' }));
    await approved;
    expect(await alice.getByRole('button', { name: 'Accept bob@b.example' }).count()).toBe(0);

    // Bob's presence crossed over (his server answers the probe of Alice's server), and hers reached him
    await alice.locator('[data-jid="bob@b.example"]').getByRole('img', { name: 'Available' }).waitFor({ timeout: 20_000 });
    await alicePresence;
    expect(await alice.locator('[data-jid="bob@b.example"] .name').textContent()).toBe('Bob');
    expect(a.server.federation!.status.outgoing).toEqual([expect.objectContaining({ local: A.domain, remote: B.domain, ready: true })]);
  }, 60_000);

  it('chats both ways across the servers', async () => {
    const arrived = bob.next((s) => s.is('message') && s.getChildText('body') === 'Hello Bob, across servers', 20_000);
    await alice.locator('[data-jid="bob@b.example"] button.main').click();
    const composer = alice.getByLabel('Message Bob');
    await composer.fill('Hello Bob, across servers');
    await composer.press('Enter');
    const message = await arrived;
    expect(message.attrs.from).toMatch(/^alice@a\.example\//);

    await bob.xmpp.send(xml('message', { to: message.attrs.from, type: 'chat', id: 'reply-1' }, xml('body', {}, 'Hello Alice, from b.example')));
    await alice.locator('.bubble[data-direction="in"]', { hasText: 'Hello Alice, from b.example' }).waitFor({ timeout: 20_000 });
  }, 60_000);
});
