// XEP-0363 HTTP file upload: the upload.<domain> service in disco, slot requests and their errors
// (size, name, quota, domain policy), the PUT (exact length, content type kept, one use, expiry,
// signed URL) and the GET (type, disposition, nosniff, cache headers, ranges), CORS for the
// webmail, retention, and slixmpp's xep_0363 plugin uploading a file.
import { createHmac } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { freePortBelowEphemeral } from './helpers/ports.ts';
import { login } from './helpers/clients.ts';
import { iq, iqError, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import { slixmpp } from './helpers/slixmpp.ts';
import { openTestDataStores } from './helpers/test-storage.ts';

const NS_UPLOAD = 'urn:xmpp:http:upload:0';
const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_STANZAS = 'urn:ietf:params:xml:ns:xmpp-stanzas';
const WEBMAIL = 'https://mail.example.com';
const MAX = 64 * 1024;

let server: TestServer;
let port: number;
let alice: LoggedInClient;

beforeAll(async () => {
  port = await freePortBelowEphemeral();
  server = await startServer({
    domains: ['example.com', 'closed.example'],
    users: { 'alice@example.com': 'alice password', 'bob@example.com': 'bob password', 'carol@closed.example': 'carol password' },
    config: {
      http: { port, tlsPort: -1 },
      upload: {
        baseUrl: `http://127.0.0.1:${port}`, maxFileSize: MAX, quotaBytes: 1024 * 1024, allowedOrigins: [WEBMAIL],
        domains: { 'closed.example': { enabled: false } },
      },
    },
  });
  alice = await login(server, 'alice@example.com', 'alice password');
});
afterAll(async () => {
  await alice?.stop();
  await server?.stop();
});

function request(filename: string, size: number, contentType?: string): Element {
  return xml('request', { xmlns: NS_UPLOAD, filename, size: String(size), 'content-type': contentType });
}

async function slot(client: LoggedInClient, filename: string, size: number, contentType?: string): Promise<{ put: string; get: string }> {
  const answer = (await iq(client, 'get', request(filename, size, contentType), 'upload.example.com')).getChild('slot', NS_UPLOAD)!;
  return { put: answer.getChild('put')!.attrs.url, get: answer.getChild('get')!.attrs.url };
}

/** The iq error of a slot request: condition, type, text and the application condition's element. */
async function slotError(client: LoggedInClient, payload: Element, to = 'upload.example.com') {
  const id = `e${Math.random().toString(36).slice(2)}`;
  const answer = client.next((stanza) => stanza.is('iq') && stanza.attrs.id === id);
  await client.xmpp.send(xml('iq', { type: 'get', to, id }, payload));
  const error = (await answer).getChild('error')!;
  const condition = error.children.find((child) => typeof child !== 'string' && child.attrs.xmlns === NS_STANZAS && child.name !== 'text') as Element;
  return { type: error.attrs.type, condition: condition.name, text: error.getChildText('text'), application: error.getChild('file-too-large', NS_UPLOAD) };
}

function headersOf(response: Response): Record<string, string> {
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => { headers[name] = value; });
  return headers;
}

function bytes(size: number, seed = 7): Buffer {
  const data = Buffer.alloc(size);
  for (let i = 0; i < size; i++) data[i] = (i * 31 + seed) & 0xff;
  return data;
}

async function put(url: string, body: Uint8Array, contentType = 'application/octet-stream', headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'PUT', body: new Uint8Array(body), headers: { 'Content-Type': contentType, ...headers } });
}

describe('discovery (§3)', () => {
  it('the domain lists upload.example.com, which is a store/file with the feature and its max-file-size', async () => {
    const items = (await iq(alice, 'get', xml('query', { xmlns: NS_DISCO_ITEMS }), 'example.com')).getChild('query', NS_DISCO_ITEMS)!;
    // beside the domain's MUC and pubsub services (components/muc/, components/pubsub/)
    expect(items.getChildren('item').map((item) => item.attrs.jid)).toEqual(['conference.example.com', 'upload.example.com', 'pubsub.example.com']);
    const info = (await iq(alice, 'get', xml('query', { xmlns: NS_DISCO_INFO }), 'upload.example.com')).getChild('query', NS_DISCO_INFO)!;
    expect(info.getChild('identity')!.attrs).toMatchObject({ category: 'store', type: 'file' });
    expect(info.getChildren('feature').map((feature) => feature.attrs.var)).toContain(NS_UPLOAD);
    const fields = info.getChild('x', 'jabber:x:data')!.getChildren('field');
    expect(Object.fromEntries(fields.map((field) => [field.attrs.var, field.getChildText('value')]))).toEqual({ FORM_TYPE: NS_UPLOAD, 'max-file-size': String(MAX) });
  });

  it('a domain whose policy turns upload off has no service', async () => {
    const carol = await login(server, 'carol@closed.example', 'carol password');
    const items = (await iq(carol, 'get', xml('query', { xmlns: NS_DISCO_ITEMS }), 'closed.example')).getChild('query', NS_DISCO_ITEMS)!;
    // its MUC and pubsub services only
    expect(items.getChildren('item').map((item) => item.attrs.jid)).toEqual(['conference.closed.example', 'pubsub.closed.example']);
    expect(server.server.hosts.has('upload.closed.example')).toBe(false);
    // and its users get no slot from another domain's service
    expect((await slotError(carol, request('a.txt', 10))).condition).toBe('not-allowed');
    await carol.stop();
  });
});

describe('upload and download (§4, §6)', () => {
  it('stores exactly the PUT body and serves it with its type, inline for an image, with cache headers and nosniff', async () => {
    const data = bytes(40_000);
    const urls = await slot(alice, 'holiday photo.png', data.length, 'image/png');
    expect(urls.put.startsWith(`${urls.get}?`)).toBe(true);
    expect(urls.get).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/upload/[A-Za-z0-9_-]+/holiday%20photo\\.png$`));
    const stored = await put(urls.put, data, 'image/png');
    expect(stored.status).toBe(201);
    const got = await fetch(urls.get);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(data)).toBe(true);
    expect(headersOf(got)).toMatchObject({
      'content-type': 'image/png', 'content-length': '40000', 'x-content-type-options': 'nosniff',
      'cache-control': 'public, max-age=31536000, immutable', 'accept-ranges': 'bytes',
      'content-disposition': `inline; filename="holiday photo.png"; filename*=UTF-8''holiday%20photo.png`,
    });
    expect(got.headers.get('etag')).toMatch(/^"[A-Za-z0-9_-]+"$/);
    // conditional GET, HEAD
    expect((await fetch(urls.get, { headers: { 'If-None-Match': got.headers.get('etag')! } })).status).toBe(304);
    const head = await fetch(urls.get, { method: 'HEAD' });
    expect([head.status, head.headers.get('content-length')]).toEqual([200, '40000']);
  });

  it('serves anything a browser could run as an attachment (HTML, SVG, scripts)', async () => {
    for (const [name, type] of [['page.html', 'text/html'], ['logo.svg', 'image/svg+xml'], ['run.js', 'application/javascript'], ['ünïcode "x".pdf', 'application/pdf']] as const) {
      const body = Buffer.from(`<script>alert(${JSON.stringify(name)})</script>`);
      const urls = await slot(alice, name, body.length, type);
      expect((await put(urls.put, body, type)).status).toBe(201);
      const got = await fetch(urls.get);
      expect(got.headers.get('content-type')).toBe(type);
      expect(got.headers.get('content-disposition')).toMatch(/^attachment; /);
      expect(got.headers.get('content-security-policy')).toContain('sandbox');
      expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    }
  });

  it('answers byte ranges (RFC 9110 §14): a range, a suffix, an open end, and 416 outside the file', async () => {
    const data = bytes(5000, 3);
    const urls = await slot(alice, 'video.mp4', data.length, 'video/mp4');
    await put(urls.put, data, 'video/mp4');
    const part = await fetch(urls.get, { headers: { Range: 'bytes=100-199' } });
    expect([part.status, part.headers.get('content-range'), part.headers.get('content-length')]).toEqual([206, 'bytes 100-199/5000', '100']);
    expect(Buffer.from(await part.arrayBuffer()).equals(data.subarray(100, 200))).toBe(true);
    const suffix = await fetch(urls.get, { headers: { Range: 'bytes=-10' } });
    expect(Buffer.from(await suffix.arrayBuffer()).equals(data.subarray(4990))).toBe(true);
    const open = await fetch(urls.get, { headers: { Range: 'bytes=4000-' } });
    expect([open.status, open.headers.get('content-range')]).toEqual([206, 'bytes 4000-4999/5000']);
    const outside = await fetch(urls.get, { headers: { Range: 'bytes=9000-9999' } });
    expect([outside.status, outside.headers.get('content-range')]).toEqual([416, 'bytes */5000']);
  });

  it('GET of an unknown id, or of a known id under another name, is 404', async () => {
    const urls = await slot(alice, 'real.txt', 4, 'text/plain');
    await put(urls.put, Buffer.from('real'), 'text/plain');
    expect((await fetch(urls.get.replace('real.txt', 'other.txt'))).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/upload/AAAAAAAAAAAAAAAAAAAAAAAA/real.txt`)).status).toBe(404);
  });
});

describe('bad slot requests (§5)', () => {
  it('a file over max-file-size: not-acceptable with file-too-large and the limit', async () => {
    const error = await slotError(alice, request('big.bin', MAX + 1));
    expect(error).toMatchObject({ type: 'modify', condition: 'not-acceptable' });
    expect(error.application!.getChildText('max-file-size')).toBe(String(MAX));
  });

  it.each([
    ['a path', '../../etc/passwd'], ['a folder', 'photos/me.jpg'], ['a Windows path', '..\\boot.ini'], ['dot-dot', '..'],
    ['an empty name', ''], ['a DEL', 'a\u007fb'], ['a C1 control', 'a\u0085b'], ['a right-to-left override', 'invoice\u202Efdp.exe'], ['300 bytes', 'x'.repeat(300)],
  ])('a file name with %s: bad-request', async (_what, filename) => {
    expect(await slotError(alice, request(filename, 10))).toMatchObject({ condition: 'bad-request', type: 'modify' });
  });

  it('a size that is not a positive number: bad-request; no request element: service-unavailable', async () => {
    for (const size of ['0', '-5', 'ten', '1e3', '']) {
      expect((await slotError(alice, xml('request', { xmlns: NS_UPLOAD, filename: 'a.txt', size }))).condition).toBe('bad-request');
    }
    expect((await slotError(alice, xml('query', { xmlns: 'jabber:iq:version' }))).condition).toBe('service-unavailable');
  });

  it('the quota counts stored files and live slots: resource-constraint (wait) past it', async () => {
    const bob = await login(server, 'bob@example.com', 'bob password');
    // 1 MiB quota: 16 slots of 60 KB fit, the 18th does not
    for (let i = 0; i < 17; i++) await slot(bob, `part${i}.bin`, 60_000);
    const error = await slotError(bob, request('one-more.bin', 60_000));
    expect(error).toMatchObject({ condition: 'resource-constraint', type: 'wait' });
    expect(error.text).toMatch(/of your 1048576 bytes/);
    await bob.stop();
  });
});

describe('bad PUTs (§6)', () => {
  it('a wrong length (400), a wrong content type (415) and no length (411) are refused; the slot stays usable', async () => {
    const data = bytes(1000);
    const urls = await slot(alice, 'exact.bin', data.length, 'application/octet-stream');
    const short = await put(urls.put, data.subarray(0, 999));
    expect(short.status).toBe(400);
    expect(await short.text()).toMatch(/the slot is for 1000 bytes, the request has 999/);
    expect((await put(urls.put, data, 'text/plain')).status).toBe(415);
    expect((await put(urls.put, data)).status).toBe(201);
  });

  it('a used slot is 409; an altered or made-up signature, id or name is 403', async () => {
    const data = bytes(100);
    const urls = await slot(alice, 'once.bin', data.length);
    expect((await put(urls.put, data)).status).toBe(201);
    const again = await put(urls.put, data);
    expect(again.status).toBe(409);
    expect(await again.text()).toMatch(/used already/);

    const fresh = await slot(alice, 'fresh.bin', data.length);
    const signature = new URL(fresh.put).searchParams.get('signature')!;
    const flipped = `${signature.slice(0, -2)}${signature.endsWith('AA') ? 'BB' : 'AA'}`;
    expect((await put(fresh.put.replace(signature, flipped), data)).status).toBe(403);
    expect((await put(fresh.put.replace('fresh.bin', 'other.bin'), data)).status).toBe(403);
    const expires = new URL(fresh.put).searchParams.get('expires')!;
    expect((await put(fresh.put.replace(`expires=${expires}`, `expires=${Number(expires) + 60_000}`), data)).status).toBe(403);
    expect((await put(`http://127.0.0.1:${port}/upload/BBBBBBBBBBBBBBBBBBBBBBBB/x.bin?expires=1&signature=x`, data)).status).toBe(403);
    // the real one still works
    expect((await put(fresh.put, data)).status).toBe(201);
  });

  it('an expired slot is 403 even with a valid signature (signed with the server secret)', async () => {
    const storage = server.server.storage;
    const secret = Buffer.from((await storage.keyValue.open<string>('upload.secret').get('', 'slot-hmac'))!, 'base64');
    const now = Date.now();
    const id = 'expiredslot0123456789ab';
    await storage.uploads.reserve({ id, owner: 'alice@example.com', filename: 'late.bin', size: 10, contentType: 'application/octet-stream', createdAt: now - 60_000, slotExpiresAt: now - 1000 }, 1 << 30, now - 60_000);
    const signature = createHmac('sha256', secret).update(`${id}\n10\napplication/octet-stream\n${now - 1000}`).digest('base64url');
    const answer = await put(`http://127.0.0.1:${port}/upload/${id}/late.bin?expires=${now - 1000}&signature=${signature}`, bytes(10));
    expect(answer.status).toBe(403);
    expect(await answer.text()).toMatch(/expired/);
  });

  it('a PUT cut off midway leaves no file and no slot behind', async () => {
    const urls = await slot(alice, 'cut.bin', 50_000);
    const url = new URL(urls.put);
    const id = url.pathname.split('/')[2]!;
    const socket = net.connect(port, '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    socket.write(`PUT ${url.pathname}${url.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 50000\r\n\r\n`);
    socket.write(bytes(10_000));
    for (let i = 0; i < 100 && (await server.server.storage.uploads.get(id))?.state !== 'uploading'; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect((await server.server.storage.uploads.get(id))?.state).toBe('uploading');
    socket.destroy();
    for (let i = 0; i < 100 && (await server.server.storage.uploads.get(id)); i++) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await server.server.storage.uploads.get(id)).toBeUndefined();
    expect(existsSync(join(server.dataDir, 'uploads', id.slice(0, 2), id))).toBe(false);
  });
});

describe('CORS for the webmail (transport/origins.ts)', () => {
  it('answers the preflight and the PUT/GET for an allowed origin; refuses another page', async () => {
    const preflight = await fetch(`http://127.0.0.1:${port}/upload/x/y`, {
      method: 'OPTIONS', headers: { Origin: WEBMAIL, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(preflight.status).toBe(204);
    expect(headersOf(preflight)).toMatchObject({
      'access-control-allow-origin': WEBMAIL, 'access-control-allow-methods': 'GET, HEAD, PUT, OPTIONS', 'access-control-allow-headers': 'Content-Type',
    });
    const data = bytes(300);
    const urls = await slot(alice, 'from-webmail.bin', data.length);
    const stored = await put(urls.put, data, 'application/octet-stream', { Origin: WEBMAIL });
    expect([stored.status, stored.headers.get('access-control-allow-origin')]).toEqual([201, WEBMAIL]);
    const got = await fetch(urls.get, { headers: { Origin: WEBMAIL } });
    expect(got.headers.get('access-control-allow-origin')).toBe(WEBMAIL);
    expect(got.headers.get('access-control-expose-headers')).toContain('Content-Range');

    const evil = 'https://evil.example';
    expect((await fetch(`http://127.0.0.1:${port}/upload/x/y`, { method: 'OPTIONS', headers: { Origin: evil } })).status).toBe(403);
    const other = await slot(alice, 'from-evil.bin', data.length);
    expect((await put(other.put, data, 'application/octet-stream', { Origin: evil })).status).toBe(403);
    // the file is not shared with that page
    expect((await fetch(urls.get, { headers: { Origin: evil } })).headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('slixmpp (xep_0363)', () => {
  it('finds the service, gets a slot and uploads; the GET URL serves the same bytes', { timeout: 60_000 }, async () => {
    const outcome = await slixmpp({ scenario: 'upload', jid: 'bob@example.com', password: 'bob password', host: '127.0.0.1', port: server.ports.c2s, size: 20_000 });
    expect(outcome).toMatchObject({ service: 'upload.example.com', maxFileSize: MAX, url: expect.stringContaining('/upload/') });
    const got = await fetch(outcome.url as string);
    expect(got.status).toBe(200);
    expect(Buffer.from(await got.arrayBuffer()).equals(bytes(20_000, 11))).toBe(true);
    const refused = await slixmpp({ scenario: 'upload', jid: 'bob@example.com', password: 'bob password', host: '127.0.0.1', port: server.ports.c2s, size: MAX + 1 });
    expect(refused).toMatchObject({ error: 'FileTooBig' });
  });
});

/**
 * Moves a stored file's slot and upload `days` back in time, through the upload store of the data
 * folder's state storage (SQLite or PostgreSQL): the record made again as the slot, the PUT and its
 * end would have made it then.
 */
async function storedDaysEarlier(dataDir: string, id: string, days: number): Promise<void> {
  const shift = days * 86_400_000;
  const data = await openTestDataStores(dataDir);
  try {
    const uploads = data.storage.uploads;
    const upload = (await uploads.get(id))!;
    expect(upload.state).toBe('stored');
    await uploads.remove(id);
    const createdAt = upload.createdAt - shift;
    const { owner, filename, size, contentType } = upload;
    const slot = { id, owner, filename, size, contentType, createdAt, slotExpiresAt: upload.slotExpiresAt - shift };
    expect(await uploads.reserve(slot, Number.MAX_SAFE_INTEGER, createdAt)).toBe(true);
    expect(await uploads.claim(id, createdAt)).toBe(true);
    await uploads.complete(id, upload.storedAt! - shift);
    expect(await uploads.get(id)).toEqual({ ...upload, createdAt, slotExpiresAt: slot.slotExpiresAt, storedAt: upload.storedAt! - shift });
  } finally {
    await data.close();
  }
}

describe('retention (upload.retentionDays)', () => {
  it('files older than retentionDays are removed at start, with their metadata', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-upload-retention-'));
    const httpPort = await freePortBelowEphemeral();
    const options = {
      dataDir, users: { 'alice@example.com': 'alice password' },
      config: { http: { port: httpPort, tlsPort: -1 }, upload: { baseUrl: `http://127.0.0.1:${httpPort}`, retentionDays: 2 } },
    };
    let running = await startServer(options);
    try {
      const client = await login(running, 'alice@example.com', 'alice password');
      const old = await slot(client, 'old.txt', 3, 'text/plain');
      const recent = await slot(client, 'recent.txt', 3, 'text/plain');
      await put(old.put, Buffer.from('old'), 'text/plain');
      await put(recent.put, Buffer.from('new'), 'text/plain');
      await client.stop();
      await running.stop();
      // the old one was stored three days ago
      const oldId = new URL(old.get).pathname.split('/')[2]!;
      await storedDaysEarlier(dataDir, oldId, 3);
      // on another port: fetch's kept-alive connections to the stopped server are not reused
      const nextPort = await freePortBelowEphemeral();
      running = await startServer({ ...options, users: {}, config: { ...options.config, http: { port: nextPort, tlsPort: -1 } } });
      const moved = (url: string) => url.replace(`:${httpPort}/`, `:${nextPort}/`);
      for (let i = 0; i < 100 && (await fetch(moved(old.get))).status !== 404; i++) await new Promise((resolve) => setTimeout(resolve, 20));
      expect((await fetch(moved(old.get))).status).toBe(404);
      expect(existsSync(join(dataDir, 'uploads', oldId.slice(0, 2), oldId))).toBe(false);
      expect(await (await fetch(moved(recent.get))).text()).toBe('new');
    } finally {
      await running.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
