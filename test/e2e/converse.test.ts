// Converse.js 14 (the npm package), a third-party web client, signs in on Parley over WebSocket in
// Chromium, served from a local page: it asks for its OMEMO device list and the contacts' (XEP-0384
// on PEP), publishes its own, and logs no console error. A contact's PEP publish reaches it.
import { createServer, type Server } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startServer, type TestServer } from '../helpers/server.ts';
import { launchBrowser, type TestBrowser } from '../helpers/browser.ts';
import { befriend, online, passwordOf, xml } from '../helpers/im.ts';
import { itemsOf, publish } from '../helpers/pep.ts';

const DEVICELIST = 'eu.siacs.conversations.axolotl.devicelist';

const DIST = fileURLToPath(new URL('../../node_modules/converse.js/dist/', import.meta.url));
const TYPES: Record<string, string> = { '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.wasm': 'application/wasm', '.svg': 'image/svg+xml', '.woff2': 'font/woff2', '.png': 'image/png', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg' };

/** A transparent 1×1 GIF. */
const PIXEL = Buffer.from('R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7', 'base64');

let server: TestServer;
let browser: TestBrowser;
let page: Server;
let pageUrl: string;

/** The page Converse runs on: its dist files, and an index that signs in with the JID and password in the URL. */
function servePage(websocketUrl: string): Promise<string> {
  page = createServer((request, response) => {
    const url = new URL(request.url ?? '/', 'http://page');
    if (url.pathname === '/') {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end(`<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/dist/converse.min.css">
        <link rel="icon" href="data:,"></head><body><script type="module">
        import converse from '/dist/converse.min.js';
        const params = new URLSearchParams(location.search);
        converse.plugins.add('parley-test', { initialize() { window.parleyConverse = this._converse; } });
        converse.initialize({
          assets_path: '/dist/', websocket_url: ${JSON.stringify(websocketUrl)}, discover_connection_methods: false,
          jid: params.get('jid'), password: params.get('password'), auto_login: true, view_mode: 'fullscreen',
          whitelisted_plugins: ['parley-test'], loglevel: 'error', play_sounds: false, show_desktop_notifications: false,
        });
        </script></body></html>`);
      return;
    }
    // the dist files, also at the root (libomemo fetches its curve25519 wasm from the page's folder)
    const path = normalize(url.pathname.replace(/^\/(dist\/)?/, ''));
    if (path.startsWith('..')) {
      response.writeHead(404).end();
      return;
    }
    readFile(join(DIST, path)).then((body) => {
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    }, () => response.writeHead(404).end());
  });
  return new Promise((resolve) => page.listen(0, '127.0.0.1', () => {
    const address = page.address() as { port: number };
    resolve(`http://127.0.0.1:${address.port}/`);
  }));
}

beforeAll(async () => {
  // accounts made the CLI's way: Converse's SCRAM (strophe.js) wants a real iteration count
  server = await startServer({
    users: { 'alice@example.com': passwordOf('alice@example.com'), 'bob@example.com': passwordOf('bob@example.com') },
    config: { websocket: { allowedOrigins: ['*'] } },
  });
  pageUrl = await servePage(`ws://127.0.0.1:${server.ports.http}/xmpp-websocket`);
  browser = await launchBrowser();
});

afterAll(async () => {
  await browser?.close();
  page?.close();
  await server?.stop();
});

/** Signs in; returns the console errors and the stanzas it sent, once it is connected and settled. */
async function signIn(tab: Page, jid: string): Promise<{ errors: string[] }> {
  const errors: string[] = [];
  tab.on('console', (message) => { if (process.env.CONVERSE_DEBUG) console.log(message.type(), message.text().slice(0, 400)); if (message.type() === 'error') errors.push(message.text()); });
  tab.on('pageerror', (error) => errors.push(String(error)));
  // Converse's login page shows its sponsors' logos from conversejs.org; this machine has no internet
  await tab.route('https://conversejs.org/**', (route) => route.fulfill({ status: 200, contentType: 'image/gif', body: PIXEL }));
  tab.on('requestfailed', (request) => { if (process.env.CONVERSE_DEBUG) console.log('FAILED', request.url()); });
  tab.on('response', (response) => { if (process.env.CONVERSE_DEBUG && response.status() >= 400) console.log('HTTP', response.status(), response.url()); });
  await tab.goto(`${pageUrl}?jid=${encodeURIComponent(jid)}&password=${encodeURIComponent(passwordOf(jid))}`);
  if (process.env.CONVERSE_DEBUG) {
    await tab.waitForTimeout(5000);
    console.log(await tab.evaluate(() => `${(window as any).parleyConverse?.api?.connection?.connected?.()} ${document.querySelector('converse-root')?.textContent?.replace(/\\s+/g, ' ').slice(0, 600)}`));
  }
  await tab.waitForFunction(() => (window as unknown as { parleyConverse?: { api: { connection: { connected(): boolean } } } })
    .parleyConverse?.api.connection.connected() === true, undefined, { timeout: 20_000 });
  return { errors };
}

it('signs in with no console errors; its OMEMO device list goes to PEP; a contact\'s PEP event reaches it', async () => {
  const [aliceJid, bobJid] = ['alice@example.com', 'bob@example.com'];
  const bob = await online(server, bobJid!);
  const alice = await online(server, aliceJid!);
  await befriend(alice, bob);
  await alice.stop();
  const tab = await browser.newPage();
  const { errors } = await signIn(tab, aliceJid!);
  // its caps (XEP-0115, asked and verified by the server) say it wants device lists
  const interested = () => server.server.sessionTable.resources(aliceJid).some((entry) => entry.interests.has(`${DEVICELIST}+notify`));
  for (let i = 0; i < 100 && !interested(); i++) await tab.waitForTimeout(100);
  expect(interested()).toBe(true);
  // it published its device list (XEP-0384 §4.3: open to anyone)
  let devices: Array<[string, string]> = [];
  for (let i = 0; i < 100 && devices.length === 0; i++) {
    devices = await itemsOf(bob, aliceJid, DEVICELIST).catch(() => []) as Array<[string, string]>;
    if (devices.length === 0) await tab.waitForTimeout(100);
  }
  expect(devices[0]![1]).toContain('<device id=');
  // Bob publishes his device list: Converse learns of it through the notification
  await publish(bob, DEVICELIST, xml('list', { xmlns: 'eu.siacs.conversations.axolotl' }, xml('device', { id: '4223' })),
    { id: 'current', publishOptions: { 'pubsub#access_model': 'open' } });
  await tab.waitForFunction(() => {
    const converse = (window as unknown as { parleyConverse: any }).parleyConverse;
    const lists = converse.state?.devicelists ?? converse.devicelists;
    return lists?.get('bob@example.com')?.devices?.get('4223') !== undefined;
  }, undefined, { timeout: 10_000 });
  // the rest of its sign-in (roster, disco, MAM, carbons) settles
  await tab.waitForTimeout(2000);
  expect(errors).toEqual([]);
  await bob.stop();
});
