// The HTTP app serves the built web client next to the XMPP endpoints.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';

let server: TestServer;
let webClientDir: string;

beforeAll(async () => {
  webClientDir = mkdtempSync(join(tmpdir(), 'parley-webclient-'));
  mkdirSync(join(webClientDir, 'assets'));
  writeFileSync(join(webClientDir, 'index.html'), '<!doctype html><title>Parley chat</title>');
  writeFileSync(join(webClientDir, 'assets', 'app-abc123.js'), 'console.log("hi")');
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
