// XEP-0363 downloads of files larger than the server's read block (components/upload/file-response.ts
// streams a file block by block through one reused buffer): whole files and ranges across block
// edges come back byte for byte, also to a reader that stops reading for a while (the socket fills
// and the server waits to be writable), to several readers at once, and after a reader that went
// away midway.
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { freePortBelowEphemeral } from './helpers/ports.ts';
import { login } from './helpers/clients.ts';
import { iq, xml, type LoggedInClient } from './helpers/im.ts';
import { READ_BLOCK } from '../server/src/components/upload/file-response.ts';

const NS_UPLOAD = 'urn:xmpp:http:upload:0';
/** Five and a half blocks: every block boundary, and a short last block. */
const SIZE = Math.floor(READ_BLOCK * 5.5) + 17;
const file = randomBytes(SIZE);

let server: TestServer;
let alice: LoggedInClient;
let url: URL;

beforeAll(async () => {
  const port = await freePortBelowEphemeral();
  server = await startServer({
    users: { 'alice@example.com': 'alice password' },
    config: { http: { port, tlsPort: -1 }, upload: { baseUrl: `http://127.0.0.1:${port}`, maxFileSize: 4 * SIZE, quotaBytes: 16 * SIZE } },
  });
  alice = await login(server, 'alice@example.com', 'alice password');
  const slot = (await iq(alice, 'get', xml('request', { xmlns: NS_UPLOAD, filename: 'big.bin', size: String(SIZE), 'content-type': 'application/octet-stream' }),
    'upload.example.com')).getChild('slot', NS_UPLOAD)!;
  const stored = await fetch(slot.getChild('put')!.attrs.url, { method: 'PUT', body: file, headers: { 'Content-Type': 'application/octet-stream' } });
  expect(stored.status).toBe(201);
  url = new URL(slot.getChild('get')!.attrs.url);
});
afterAll(async () => {
  await alice?.stop();
  await server?.stop();
});

/** A GET that pauses reading for `pauseMs` after the first chunk (the socket fills meanwhile); `abortAfter` bytes ends it early. */
function download(headers: Record<string, string> = {}, options: { pauseMs?: number; abortAfter?: number } = {}): Promise<{ status: number; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const request = http.get({ host: url.hostname, port: url.port, path: url.pathname, headers }, (response) => {
      const chunks: Buffer[] = [];
      let length = 0;
      let paused = false;
      response.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        length += chunk.length;
        if (options.abortAfter !== undefined && length >= options.abortAfter) {
          request.destroy();
          resolve({ status: response.statusCode!, body: Buffer.concat(chunks) });
          return;
        }
        if (options.pauseMs && !paused) {
          paused = true;
          response.pause();
          setTimeout(() => response.resume(), options.pauseMs);
        }
      });
      response.on('end', () => resolve({ status: response.statusCode!, body: Buffer.concat(chunks) }));
      response.on('error', reject);
    });
    request.on('error', (error) => (options.abortAfter === undefined ? reject(error) : undefined));
  });
}

it('a file of several blocks comes back whole, also to a reader that stops reading for a while', async () => {
  const whole = await download();
  expect(whole.status).toBe(200);
  expect(whole.body.equals(file)).toBe(true);
  const slow = await download({}, { pauseMs: 400 });
  expect(slow.body.equals(file)).toBe(true);
});

it('ranges across block edges, and to the end of the file (RFC 9110 §14)', async () => {
  const ranges: Array<[number, number]> = [[READ_BLOCK - 5, 2 * READ_BLOCK + 5], [0, READ_BLOCK - 1], [3 * READ_BLOCK, SIZE - 1], [SIZE - 10, SIZE - 1]];
  for (const [start, end] of ranges) {
    const part = await download({ Range: `bytes=${start}-${end}` });
    expect(part.status).toBe(206);
    expect(part.body.equals(file.subarray(start, end + 1))).toBe(true);
  }
});

it('several readers at once each get the whole file; one that goes away midway leaves the others and the server well', async () => {
  const gone = download({}, { abortAfter: READ_BLOCK + 1 });
  const [a, b, c] = await Promise.all([download(), download({}, { pauseMs: 200 }), download({ Range: `bytes=${READ_BLOCK}-` })]);
  await gone;
  expect(a.body.equals(file)).toBe(true);
  expect(b.body.equals(file)).toBe(true);
  expect(c.body.equals(file.subarray(READ_BLOCK))).toBe(true);
  const after = await download();
  expect(after.body.equals(file)).toBe(true);
});
