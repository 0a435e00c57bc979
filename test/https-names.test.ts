// HTTPS by host name: every served domain (and alias, also those added while running) gets its own
// certificate by SNI (RFC 6066 §3) and every route — the web client, WSS (RFC 7395), BOSH (XEP-0206)
// and the admin API — through a client that sends SNI and Host as a browser does. A client without
// SNI, or naming a host not served here, gets the default certificate and the same routes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { frameMatching, requestByName, webSocketByName } from './helpers/by-name.ts';
import { bodyXml } from './helpers/bosh.ts';
import { openFrame, plainAuth, NS } from './helpers/raw-stream.ts';
import { parse, type Element } from 'ltx';

const ADMIN_TOKEN = 'an-admin-token-of-at-least-32-characters';
const users = { 'alice@example.com': 'alice-pw', 'nina@example.net': 'nina-pw' };

let server: TestServer;
const base = (name: string) => `https://${name}:${server.ports.https}`;

beforeAll(async () => {
  server = await startServer({
    domains: ['example.com', 'example.net'], users,
    config: { http: { tlsPort: 0 }, admin: { token: ADMIN_TOKEN } },
  });
});
afterAll(() => server?.stop());

/** The web client page (or its placeholder) by name, and the certificate that came with it. */
async function page(name: string) {
  const reply = await requestByName(`${base(name)}/`);
  return { status: reply.status, certificate: reply.certificate };
}

/** Log in over wss:// by name with PLAIN (offered because the stream is encrypted). */
async function wssLogin(name: string, user: string, domain: string): Promise<string> {
  const { socket, frames, certificate } = await webSocketByName(`wss://${name}:${server.ports.https}/xmpp-websocket`);
  try {
    expect(certificate).toBe(name);
    socket.send(openFrame({ to: domain }));
    expect(await frameMatching(frames, /<stream:features/)).toContain('<mechanism>PLAIN</mechanism>');
    socket.send(plainAuth(user, users[`${user}@${domain}` as keyof typeof users]));
    return await frameMatching(frames, /<success|<failure/);
  } finally {
    socket.close();
  }
}

/** A BOSH session request by name: the creation response (with the stream features) and the certificate. */
async function boshSession(name: string, domain: string): Promise<{ body: Element; certificate: string }> {
  const reply = await requestByName(`${base(name)}/http-bind`, {
    method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8' },
    body: bodyXml({ rid: 1000, to: domain, wait: 5, hold: 1, ver: '1.11', 'xmpp:version': '1.0' }),
  });
  return { body: parse(reply.body) as Element, certificate: reply.certificate };
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('every served domain, by name', () => {
  it.each(['example.com', 'example.net'])('%s: the web client with its own certificate', async (name) => {
    expect(await page(name)).toEqual({ status: 200, certificate: name });
  });

  it.each([['example.com', 'alice'], ['example.net', 'nina']])('%s: XMPP over wss:// logs in', async (name, user) => {
    expect(await wssLogin(name, user, name)).toMatch(/^<success/);
  });

  it.each(['example.com', 'example.net'])('%s: a BOSH session over HTTPS, offering PLAIN', async (name) => {
    const { body, certificate } = await boshSession(name, name);
    expect(certificate).toBe(name);
    expect(body.attrs.sid).toBeDefined();
    expect(body.getChild('features', NS.stream)?.toString()).toContain('PLAIN');
  });

  it('the admin API over HTTPS by name', async () => {
    const reply = await requestByName(`${base('example.net')}/admin/api/domains`, { headers: { Authorization: `Bearer ${ADMIN_TOKEN}` } });
    expect(reply.status).toBe(200);
    expect(reply.body).toContain('example.net');
  });

  it('unknown paths are 404 by name too', async () => {
    expect((await requestByName(`${base('example.com')}/no-such-page`)).status).toBe(404);
  });
});

describe('clients that name no served host', () => {
  it('no SNI (an IP address): the default certificate and the routes', async () => {
    const reply = await requestByName(`https://127.0.0.1:${server.ports.https}/`);
    expect(reply).toMatchObject({ status: 200, certificate: 'example.com' });
  });

  it('a host not served here: the default certificate and the routes', async () => {
    expect(await page('unknown.test')).toEqual({ status: 200, certificate: 'example.com' });
    const { body, certificate } = await boshSession('unknown.test', 'example.net');
    expect(certificate).toBe('example.com');
    expect(body.attrs.sid).toBeDefined();
  });
});

describe('names served while running', () => {
  it('a domain added at run time is served by name with its own certificate, and falls back to the default once removed', async () => {
    await server.server.admin.addDomain('added.example');
    await waitFor(async () => (await page('added.example')).certificate === 'added.example', 'the certificate of added.example');
    expect(await page('added.example')).toEqual({ status: 200, certificate: 'added.example' });
    expect((await boshSession('added.example', 'added.example')).body.attrs.sid).toBeDefined();

    await server.server.admin.removeDomain('added.example');
    await waitFor(async () => (await page('added.example')).certificate === 'example.com', 'added.example to be forgotten');
    expect(await page('added.example')).toEqual({ status: 200, certificate: 'example.com' });
    // and added again
    await server.server.admin.addDomain('added.example');
    await waitFor(async () => (await page('added.example')).certificate === 'added.example', 'added.example to come back');
  });

  it('an alias added at run time: wss:// by the alias logs in to the domain', async () => {
    await server.server.admin.addAlias('example.net', 'chat.example.net');
    await waitFor(async () => (await page('chat.example.net')).certificate === 'chat.example.net', 'the alias certificate');
    expect(await wssLogin('chat.example.net', 'nina', 'example.net')).toMatch(/^<success/);
  });
});
