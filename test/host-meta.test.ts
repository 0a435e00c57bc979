// XEP-0156 §3: web clients find the WebSocket and BOSH URLs from the domain alone, through
// /.well-known/host-meta (XRD) and /.well-known/host-meta.json (JRD).
import { parse, type Element } from 'ltx';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { client as xmppClient } from '@xmpp/client';
import { startServer, type TestServer } from './helpers/server.ts';
import { requestByName } from './helpers/by-name.ts';
import { startClient } from './helpers/clients.ts';

const WEBSOCKET = 'urn:xmpp:alt-connections:websocket';
const BOSH = 'urn:xmpp:alt-connections:xbosh';

function xrdLinks(body: string): Array<{ rel: string; href: string }> {
  const xrd = parse(body) as Element;
  expect(xrd.is('XRD', 'http://docs.oasis-open.org/ns/xri/xrd-1.0')).toBe(true);
  return xrd.getChildren('Link').map((link) => ({ rel: String(link.attrs.rel), href: String(link.attrs.href) }));
}

describe('host-meta with configured public URLs (http.publicUrls)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { http: { tlsPort: 0, publicUrls: ['http://chat.example.com:8080', 'https://chat.example.com'] } } });
  });
  afterAll(() => server?.stop());

  it('names the WebSocket and BOSH URLs of every public URL, https first, in XRD and JRD', async () => {
    const expected = [
      { rel: WEBSOCKET, href: 'wss://chat.example.com/xmpp-websocket' },
      { rel: BOSH, href: 'https://chat.example.com/http-bind' },
      { rel: WEBSOCKET, href: 'ws://chat.example.com:8080/xmpp-websocket' },
      { rel: BOSH, href: 'http://chat.example.com:8080/http-bind' },
    ];
    for (const base of [`http://example.com:${server.ports.http}`, `https://example.com:${server.ports.https}`]) {
      const xrd = await requestByName(`${base}/.well-known/host-meta`);
      expect(xrd.status).toBe(200);
      expect(xrd.headers['content-type']).toBe('application/xrd+xml; charset=utf-8');
      expect(xrd.headers['access-control-allow-origin']).toBe('*');
      expect(xrdLinks(xrd.body)).toEqual(expected);
      const jrd = await requestByName(`${base}/.well-known/host-meta.json`);
      expect(jrd.headers['content-type']).toBe('application/json');
      expect(jrd.headers['access-control-allow-origin']).toBe('*');
      expect(JSON.parse(jrd.body)).toEqual({ links: expected });
    }
  });
});

describe('host-meta without public URLs', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ users: { 'alice@example.com': 'alice-pw' }, config: { http: { tlsPort: 0 } } });
  });
  afterAll(() => server?.stop());

  it('names the URLs on the scheme and host the request came by, for a served domain', async () => {
    const https = JSON.parse((await requestByName(`https://example.com:${server.ports.https}/.well-known/host-meta.json`)).body);
    expect(https.links).toEqual([
      { rel: WEBSOCKET, href: `wss://example.com:${server.ports.https}/xmpp-websocket` },
      { rel: BOSH, href: `https://example.com:${server.ports.https}/http-bind` },
    ]);
    const plain = await requestByName(`http://example.com:${server.ports.http}/.well-known/host-meta`);
    expect(xrdLinks(plain.body)).toEqual([
      { rel: WEBSOCKET, href: `ws://example.com:${server.ports.http}/xmpp-websocket` },
      { rel: BOSH, href: `http://example.com:${server.ports.http}/http-bind` },
    ]);
  });

  it('answers 404 for a name it does not serve', async () => {
    const reply = await requestByName(`http://elsewhere.example:${server.ports.http}/.well-known/host-meta`);
    expect(reply.status, reply.body).toBe(404);
  });

  it('a client that only knows the server finds the WebSocket URL there and logs in', async () => {
    const response = await fetch(`http://127.0.0.1:${server.ports.http}/.well-known/host-meta.json`);
    const { links } = (await response.json()) as { links: Array<{ rel: string; href: string }> };
    const service = links.find((link) => link.rel === WEBSOCKET)!.href;
    const xmpp = xmppClient({ service, domain: 'example.com', username: 'alice', password: 'alice-pw' });
    xmpp.reconnect.stop();
    xmpp.on('error', () => {});
    const address = await startClient(xmpp);
    expect(address.toString()).toMatch(/^alice@example\.com\//);
    await xmpp.stop();
  });
});
