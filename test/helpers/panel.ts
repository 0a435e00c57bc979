// The chat panel's end-to-end set-up: a server serving the built client, rosters and vCards
// written straight into its storage (a 5,000-contact roster in a second), and a WebSocket route
// through which a test cuts the panel's connection as a network would.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Page, WebSocketRoute } from 'playwright-core';
import { openDataStores } from '../../server/src/data-folder.ts';
import { testStorageSettings } from './test-storage.ts';
import { addDomain, addUser } from '../../server/src/cli/accounts.ts';
import { freePortBelowEphemeral } from './ports.ts';
import type { ConfigInput } from '../../server/src/config.ts';
import { startServer, type TestServer } from './server.ts';
import { webClientDir } from './browser.ts';
import { defaultModules } from '../../server/src/modules/index.ts';
import { xml, type LoggedInClient } from './im.ts';

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

export async function startPanelServer(users: Record<string, string>, config: Partial<ConfigInput> = {}): Promise<TestServer> {
  return startServer({ users, config: { ...config, http: { webClientDir, ...config.http } } });
}

export function baseUrl(server: { ports: { http: number } }): string {
  return `http://127.0.0.1:${server.ports.http}/`;
}

export interface SeededContact {
  jid: string;
  name?: string;
  groups?: string[];
}

/** Mutual subscriptions ('both') from `owner` to each contact, and back when `mutual`. */
export async function seedRoster(server: TestServer, owner: string, contacts: SeededContact[], mutual = true): Promise<void> {
  const roster = server.server.storage.roster;
  for (const contact of contacts) {
    await roster.put(owner, { jid: contact.jid, name: contact.name ?? null, subscription: 'both', ask: false, approved: false, groups: contact.groups ?? [] });
    if (mutual) await roster.put(contact.jid, { jid: owner, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
  }
}

export async function seedVcard(server: TestServer, jid: string, fullName: string): Promise<void> {
  await server.server.storage.vcards.set(jid, `<vCard xmlns="vcard-temp"><FN>${fullName}</FN></vCard>`);
}

/** Routes the page's WebSockets through the test; `cut()` closes the newest one like a lost network. */
export async function cuttableWebSockets(page: Page): Promise<{ count(): number; cut(): Promise<void> }> {
  const sockets: { page: WebSocketRoute; server: WebSocketRoute }[] = [];
  await page.routeWebSocket('**/xmpp-websocket', (socket) => {
    sockets.push({ page: socket, server: socket.connectToServer() });
  });
  return {
    count: () => sockets.length,
    async cut() {
      const last = sockets.at(-1);
      if (!last) throw new Error('no WebSocket to cut');
      await last.server.close();
      await last.page.close({ code: 4000, reason: 'network gone' });
    },
  };
}

/** The server loads the XEP-0363 upload service (components/upload/). */
export const uploadsServed = defaultModules.some((module) => module.name === 'upload');

/** The upload options of a panel server whose upload URLs name the loopback address it listens on (`port`: its HTTP port). */
export function uploadConfig(port: number, maxFileSize: number): Partial<ConfigInput> {
  return { upload: { baseUrl: `http://127.0.0.1:${port}`, maxFileSize } };
}

/** A file shared the XEP-0363 way by a test client: a slot from upload.<domain>, then the PUT; the GET URL. */
export async function uploadAs(client: LoggedInClient, name: string, type: string, bytes: Buffer): Promise<string> {
  const domain = client.jid.split('@')[1]!.split('/')[0]!;
  const answer = await client.xmpp.iqCaller.request(xml('iq', { type: 'get', to: `upload.${domain}` },
    xml('request', { xmlns: 'urn:xmpp:http:upload:0', filename: name, size: String(bytes.length), 'content-type': type })));
  const slot = answer.getChild('slot', 'urn:xmpp:http:upload:0')!;
  const put = await fetch(slot.getChild('put')!.attrs.url, { method: 'PUT', body: new Uint8Array(bytes), headers: { 'Content-Type': type } });
  if (!put.ok) throw new Error(`PUT answered ${put.status}`);
  return slot.getChild('get')!.attrs.url as string;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A server in a child process on a fixed HTTP port, stopped and started again with the same data:
 * a real restart (every socket of the old process is gone, as with a deployment).
 */
export async function startRestartableServer(users: Record<string, string>): Promise<{ ports: { http: number }; halt(): Promise<void>; restart(): Promise<void>; stop(): Promise<void> }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'parley-restart-'));
  const storage = await testStorageSettings(dataDir);
  const data = await openDataStores(dataDir, storage);
  await addDomain(data, 'example.com');
  for (const [jid, password] of Object.entries(users)) await addUser(data, jid, password);
  await data.close();
  const http = await freePortBelowEphemeral();
  const configFile = join(dataDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({
    dataDir, storage, domains: ['example.com'], bind: '127.0.0.1',
    c2s: { port: 0, tlsPort: -1 }, s2s: { port: 0 }, http: { port: http, tlsPort: -1, webClientDir }, log: { level: 'warn' },
  }));
  let child: ChildProcess | null = null;
  const launch = async () => {
    const started = spawn(process.execPath, [join(repoRoot, 'server/bin/parley.js'), '--config', configFile, 'start'], { stdio: ['ignore', 'ignore', 'inherit'] });
    child = started;
    // a start takes 1–2 s on a quiet machine and over 11 s at a load of 24 on two cores: wait for
    // the process itself (up to a minute), and give up at once if it exits
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline && started.exitCode === null) {
      if (await fetch(`http://127.0.0.1:${http}/`).then((r) => r.ok, () => false)) return;
      await sleep(100);
    }
    throw new Error(started.exitCode === null ? 'the restarted server did not come up within a minute' : `the restarted server exited (${started.exitCode})`);
  };
  const halt = async () => {
    const running = child;
    child = null;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGTERM');
    await exited;
  };
  await launch();
  return {
    ports: { http },
    halt,
    async restart() {
      await halt();
      await launch();
    },
    async stop() {
      await halt();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
