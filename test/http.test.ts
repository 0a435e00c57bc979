// The HTTP app serves the built web client next to the XMPP endpoints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { brotliCompressSync } from 'node:zlib';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let webClientDir: string;
const BIG = 'console.log("a line of the panel");\n'.repeat(200);
const PRECOMPRESSED = 'body { color: red }\n'.repeat(40);

beforeAll(async () => {
  webClientDir = mkdtempSync(join(tmpdir(), 'parley-webclient-'));
  mkdirSync(join(webClientDir, 'assets'));
  writeFileSync(join(webClientDir, 'index.html'), '<!doctype html><title>Parley chat</title>');
  writeFileSync(join(webClientDir, 'assets', 'app-abc123.js'), 'console.log("hi")');
  writeFileSync(join(webClientDir, 'assets', 'big-def456.js'), BIG);
  writeFileSync(join(webClientDir, 'assets', 'pre-0a1b2c.css'), 'not what is sent compressed '.repeat(40));
  writeFileSync(join(webClientDir, 'assets', 'pre-0a1b2c.css.br'), brotliCompressSync(PRECOMPRESSED));
  server = await startServer({ config: { http: { webClientDir } } });
});
afterAll(async () => {
  await server.stop();
  rmSync(webClientDir, { recursive: true, force: true });
});

const url = (path: string) => `http://127.0.0.1:${server.ports.http}${path}`;

it('serves the web client at / and revalidates it by ETag', async () => {
  const page = await fetch(url('/'));
  expect(page.status).toBe(200);
  expect(page.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(page.headers.get('cache-control')).toBe('no-cache');
  expect(await page.text()).toContain('<title>Parley chat</title>');
  const again = await fetch(url('/'), { headers: { 'if-none-match': page.headers.get('etag')! } });
  expect(again.status).toBe(304);
});

it('serves hashed assets as immutable with their content type', async () => {
  const asset = await fetch(url('/assets/app-abc123.js'));
  expect(asset.status).toBe(200);
  expect(asset.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
  expect(asset.headers.get('cache-control')).toContain('immutable');
});

it('answers 404 for anything else, and never serves files outside the client folder', async () => {
  expect((await fetch(url('/missing.js'))).status).toBe(404);
  expect((await fetch(url('/../package.json'))).status).toBe(404);
  expect((await fetch(url('/assets/%2e%2e/%2e%2e/package.json'))).status).toBe(404);
});

it('sends text files brotli- or gzip-compressed as Accept-Encoding allows, precompressed copies first', async () => {
  const path = '/assets/app-abc123.js';
  const plain = await fetch(url(path), { headers: { 'accept-encoding': 'identity' } });
  expect(plain.headers.get('content-encoding')).toBeNull();
  // big enough to be worth compressing: the test client's files are tiny
  const big = await fetch(url('/assets/big-def456.js'), { headers: { 'accept-encoding': 'gzip, deflate, br' } });
  expect(big.headers.get('content-encoding')).toBe('br');
  expect(big.headers.get('vary')).toBe('Accept-Encoding');
  expect(await big.text()).toBe(BIG);
  const gzip = await fetch(url('/assets/big-def456.js'), { headers: { 'accept-encoding': 'gzip;q=0.5, br;q=0' } });
  expect(gzip.headers.get('content-encoding')).toBe('gzip');
  expect(await gzip.text()).toBe(BIG);
  expect(gzip.headers.get('etag')).not.toBe(big.headers.get('etag'));
  const none = await fetch(url('/assets/big-def456.js'), { headers: { 'accept-encoding': '*;q=0' } });
  expect(none.headers.get('content-encoding')).toBeNull();
  // the build's own .br copy is the one sent (here it says so), and is not a file of its own
  const precompressed = await fetch(url('/assets/pre-0a1b2c.css'), { headers: { 'accept-encoding': 'br' } });
  expect(precompressed.headers.get('content-encoding')).toBe('br');
  expect(await precompressed.text()).toBe(PRECOMPRESSED);
  expect((await fetch(url('/assets/pre-0a1b2c.css.br'))).status).toBe(404);
});
