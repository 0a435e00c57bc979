// Which web pages may open a WebSocket (RFC 6455 §10.2) or use BOSH (CORS): the server's own pages,
// known from its public base URLs (http.publicUrls or the defaults), and the configured webmail
// origins; clients without an Origin header (not browsers) always. Never decided from the Host
// header: a page on a name pointed at the server (DNS rebinding) carries that name in both.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { requestByName, webSocketByName } from './helpers/by-name.ts';
import { bodyXml } from './helpers/bosh.ts';

const WEBMAIL = 'https://mail.example.com';

/** Whether a WebSocket upgrade from a page at `origin` (none: '') to `url` is accepted. */
async function upgrade(url: string, origin: string): Promise<'open' | string> {
  try {
    const { socket } = await webSocketByName(url, origin ? { Origin: origin } : {});
    socket.close();
    return 'open';
  } catch (error) {
    return (error as Error).message;
  }
}

/** A BOSH session request from a page at `origin` (none: ''): the HTTP status and the CORS header. */
async function boshFrom(url: string, origin: string) {
  const reply = await requestByName(url, {
    method: 'POST', headers: { 'Content-Type': 'text/xml; charset=utf-8', ...(origin ? { Origin: origin } : {}) },
    body: bodyXml({ rid: 1, to: 'example.com', wait: 5, hold: 1, ver: '1.11' }),
  });
  return { status: reply.status, allowOrigin: reply.headers['access-control-allow-origin'] };
}

describe('default public URLs (npm start: localhost, loopback addresses and the served domains)', () => {
  let server: TestServer;
  const ws = (host: string) => `ws://${host}:${server.ports.http}/xmpp-websocket`;
  const bosh = (host: string) => `http://${host}:${server.ports.http}/http-bind`;

  beforeAll(async () => {
    server = await startServer({ config: { websocket: { allowedOrigins: [WEBMAIL] }, bosh: { allowedOrigins: [WEBMAIL] } } });
  });
  afterAll(() => server?.stop());

  it.each(['127.0.0.1', 'localhost', '[::1]', 'example.com'])('the server\'s own page on http://%s: WebSocket and BOSH allowed', async (host) => {
    const origin = `http://${host}:${server.ports.http}`;
    expect(await upgrade(ws('127.0.0.1'), origin)).toBe('open');
    expect(await boshFrom(bosh('127.0.0.1'), origin)).toEqual({ status: 200, allowOrigin: origin });
  });

  it('no Origin header (not a browser): allowed, no CORS header', async () => {
    expect(await upgrade(ws('127.0.0.1'), '')).toBe('open');
    expect(await boshFrom(bosh('127.0.0.1'), '')).toEqual({ status: 200, allowOrigin: undefined });
  });

  it('a configured webmail origin: allowed', async () => {
    expect(await upgrade(ws('127.0.0.1'), WEBMAIL)).toBe('open');
    expect(await boshFrom(bosh('127.0.0.1'), WEBMAIL)).toEqual({ status: 200, allowOrigin: WEBMAIL });
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['the right host on another port', 'http://127.0.0.1:1'],
    ['the right host over another scheme', 'https://localhost'],
    ['a sandboxed page', 'null'],
  ])('%s: WebSocket upgrade 403, BOSH 403', async (_what, origin) => {
    expect(await upgrade(ws('127.0.0.1'), origin)).toBe('HTTP 403');
    expect(await boshFrom(bosh('127.0.0.1'), origin)).toEqual({ status: 403, allowOrigin: undefined });
  });

  it('DNS rebinding: a page on rebind.example, resolved to the server, names itself in Origin and Host; refused', async () => {
    const origin = `http://rebind.example:${server.ports.http}`;
    expect(await upgrade(ws('rebind.example'), origin)).toBe('HTTP 403');
    expect(await boshFrom(bosh('rebind.example'), origin)).toEqual({ status: 403, allowOrigin: undefined });
  });

  it('the BOSH preflight follows the same rule', async () => {
    const preflight = (origin: string) => requestByName(bosh('rebind.example'), {
      method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    });
    expect((await preflight(`http://rebind.example:${server.ports.http}`)).status).toBe(403);
    expect((await preflight(`http://localhost:${server.ports.http}`)).status).toBe(204);
  });
});

describe('configured public URLs (http.publicUrls, e.g. behind a reverse proxy)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer({ config: { http: { publicUrls: ['https://chat.example.com/'] } } });
  });
  afterAll(() => server?.stop());

  it('pages there are the server\'s own; the defaults no longer apply', async () => {
    const ws = `ws://127.0.0.1:${server.ports.http}/xmpp-websocket`;
    const bosh = `http://127.0.0.1:${server.ports.http}/http-bind`;
    expect(await upgrade(ws, 'https://chat.example.com')).toBe('open');
    expect((await boshFrom(bosh, 'https://chat.example.com')).status).toBe(200);
    expect(await upgrade(ws, `http://127.0.0.1:${server.ports.http}`)).toBe('HTTP 403');
    expect((await boshFrom(bosh, `http://localhost:${server.ports.http}`)).status).toBe(403);
  });
});
