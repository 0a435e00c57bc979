// The README's five-minute quick start, followed in a clean clone as a newcomer would: `npm start`
// (on free ports instead of 5222/5280), the certificate's fingerprint from the log and from
// `npx parley cert check`, the users added with the README's own commands, a desktop client
// (slixmpp) that trusts only that certificate and compares its fingerprint, a second user over
// WebSocket as the panel signs in, a subscription, a message each way, the panel's page, and the
// clean stop. The clone's dependencies are this checkout's node_modules linked in (`npm ci` on a
// clean clone is what .ci/run itself does); its web client is built by `npm run prepare`, as npm ci would.
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { client as xmppClient, xml } from '@xmpp/client';
import type { Element } from '@xmpp/xml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

(globalThis as { WebSocket?: unknown }).WebSocket ??= WebSocket;

const run = promisify(execFile);
const root = fileURLToPath(new URL('..', import.meta.url));
const SLIXMPP = fileURLToPath(new URL('./helpers/slixmpp_quick_start.py', import.meta.url));

/** The shell lines of the README's first code block after `heading` (a bold step title). */
function readmeCommands(heading: string): string[] {
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const at = readme.indexOf(heading);
  expect(at, `README step "${heading}"`).toBeGreaterThan(-1);
  const block = /```\n([\s\S]*?)```/.exec(readme.slice(at))!;
  return block[1]!.split('\n').filter((line) => line.trim() !== '');
}

/** A clean clone of this checkout; a checkout without its git folder is copied without what builds and runs leave. */
function cleanCopy(clone: string): void {
  try {
    execFileSync('git', ['clone', '--quiet', root, clone], { stdio: 'pipe' });
  } catch {
    rmSync(clone, { recursive: true, force: true });
    const left = new Set(['.git', 'node_modules', 'dist', 'data', 'target']);
    cpSync(root, clone, { recursive: true, verbatimSymlinks: true, filter: (source) => !source.slice(root.length).split('/').some((part) => left.has(part)) });
  }
}

/** node_modules trees hard-linked into the clone (copied when the clone is on another file system). */
function linkDependencies(clone: string): void {
  for (const dir of ['node_modules', 'server/node_modules', 'shared/node_modules', 'webclient/node_modules']) {
    if (!existsSync(join(root, dir))) continue;
    try {
      execFileSync('cp', ['-al', join(root, dir), join(clone, dir)]);
    } catch {
      rmSync(join(clone, dir), { recursive: true, force: true });
      // the workspace links (node_modules/@parley/*) are relative: they point into the clone
      cpSync(join(root, dir), join(clone, dir), { recursive: true, verbatimSymlinks: true });
    }
  }
}

describe("the README's quick start, in a clean clone", () => {
  let clone: string;
  let server: ChildProcess | undefined;
  const lines: string[] = [];
  let ports: { c2s: number; http: number };
  const logged: Array<Record<string, unknown>> = [];

  beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'parley-quick-start-'));
    cleanCopy(clone);
    linkDependencies(clone);
    // what npm ci runs after installing (the web client's build)
    await run('npm', ['run', 'prepare'], { cwd: clone, timeout: 180_000 });
  }, 240_000);

  afterAll(async () => {
    if (server && server.exitCode === null) server.kill('SIGKILL');
    if (clone) rmSync(clone, { recursive: true, force: true });
  });

  it('starts with `npm start`, logs the certificate fingerprint, and `parley cert check` prints the same', async () => {
    expect(existsSync(join(clone, 'dist/webclient/index.html'))).toBe(true);
    expect(existsSync(join(clone, 'data'))).toBe(false);
    server = spawn('npm', ['start'], {
      cwd: clone,
      env: { ...process.env, PARLEY_C2S_PORT: '0', PARLEY_C2S_TLS_PORT: '0', PARLEY_S2S_PORT: '0', PARLEY_HTTP_PORT: '0', PARLEY_HTTPS_PORT: '0', PARLEY_WORKERS: '1' },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    ports = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no listening line: ${lines.join('\n')}`)), 30_000);
      createInterface({ input: server!.stdout! }).on('line', (line) => {
        lines.push(line);
        try {
          const record = JSON.parse(line) as Record<string, unknown>;
          logged.push(record);
          if (record.event === 'listening') {
            clearTimeout(timer);
            resolve(record.ports as { c2s: number; http: number });
          }
        } catch {
          // npm's own header lines
        }
      });
      server!.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${lines.join('\n')}`)));
    });
    // step 1: the fingerprint in the log, as the README shows it
    const generated = logged.find((record) => record.msg === 'Generated self-signed TLS certificate' && record.domain === 'localhost');
    expect(generated, lines.join('\n')).toBeDefined();
    expect(generated!.fingerprint).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(statSync(join(clone, 'data/certs/localhost.crt')).isFile()).toBe(true);
    const check = await run('npx', ['parley', 'cert', 'check', 'localhost'], { cwd: clone });
    expect(check.stdout).toContain(`sha256:   ${generated!.fingerprint as string}`);
  }, 60_000);

  it('adds the users with the README\'s commands', async () => {
    const commands = readmeCommands('**2. Add a user.**');
    expect(commands).toHaveLength(2);
    for (const command of commands) {
      expect(command).toMatch(/^npx parley user add /);
      await run('bash', ['-c', command], { cwd: clone, timeout: 30_000 });
    }
  }, 60_000);

  it('a desktop client trusting only that certificate and the panel\'s way of signing in talk to each other', async () => {
    const fingerprint = logged.find((record) => record.msg === 'Generated self-signed TLS certificate')!.fingerprint as string;
    // Alice: slixmpp over 5222's STARTTLS (here the free port), the certificate pinned
    const alice = spawn('/usr/bin/python3', [SLIXMPP, JSON.stringify({
      jid: 'alice@localhost', password: 'alice secret', host: '127.0.0.1', port: ports.c2s,
      certificate: join(clone, 'data/certs/localhost.crt'), reply: 'Hello Bob, from Alice', timeout: 60,
    })], { stdio: ['ignore', 'pipe', 'inherit'] });
    const events: Array<Record<string, unknown>> = [];
    const nextEvent = (key: string) => new Promise<Record<string, unknown>>((resolve, reject) => {
      const found = events.find((event) => key in event || 'error' in event);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error(`slixmpp: no "${key}" (${JSON.stringify(events)})`)), 60_000);
      const check = () => {
        const event = events.find((e) => key in e || 'error' in e);
        if (event) { clearTimeout(timer); resolve(event); }
      };
      alice.stdout!.on('data', () => setImmediate(check));
      alice.once('exit', () => setImmediate(check));
    });
    createInterface({ input: alice.stdout! }).on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>));
    const online = await nextEvent('online');
    expect(online.error).toBeUndefined();
    // the client saw the certificate whose fingerprint the log printed
    expect(online.fingerprint).toBe(fingerprint);

    // Bob: over WebSocket on the HTTP port, as the chat panel at http://localhost:5280/ does
    const bob = xmppClient({ service: `ws://127.0.0.1:${ports.http}/xmpp-websocket`, domain: 'localhost', username: 'bob', password: 'bob secret' });
    bob.reconnect.stop();
    bob.on('error', () => {});
    const stanzas: Element[] = [];
    const waiting: Array<{ match: (s: Element) => boolean; resolve: (s: Element) => void }> = [];
    bob.on('stanza', (stanza: Element) => {
      stanzas.push(stanza);
      for (const waiter of waiting.splice(0)) (waiter.match(stanza) ? waiter.resolve(stanza) : waiting.push(waiter));
    });
    const next = (match: (s: Element) => boolean) => new Promise<Element>((resolve, reject) => {
      const found = stanzas.find(match);
      if (found) return resolve(found);
      const timer = setTimeout(() => reject(new Error('bob: nothing matching within 20 s')), 20_000);
      waiting.push({ match, resolve: (s) => { clearTimeout(timer); resolve(s); } });
    });
    await bob.start();
    await bob.send(xml('presence'));
    // "they see each other's presence once one adds the other as a contact and the other accepts"
    await bob.send(xml('presence', { to: 'alice@localhost', type: 'subscribe' }));
    const alicePresence = await next((s) => s.is('presence') && String(s.attrs.from).startsWith('alice@localhost/') && s.attrs.type === undefined);
    expect(alicePresence.attrs.from).toMatch(/^alice@localhost\//);
    await bob.send(xml('message', { to: 'alice@localhost', type: 'chat' }, xml('body', null, 'Hello Alice, from Bob')));
    const received = await nextEvent('received');
    expect(received).toMatchObject({ received: 'Hello Alice, from Bob' });
    expect(String(received.from)).toMatch(/^bob@localhost\//);
    const reply = await next((s) => s.is('message') && s.getChildText('body') === 'Hello Bob, from Alice');
    expect(String(reply.attrs.from)).toMatch(/^alice@localhost\//);
    await bob.stop().catch(() => {});
    await new Promise((resolve) => (alice.exitCode !== null ? resolve(null) : alice.once('exit', resolve)));
    expect(alice.exitCode).toBe(0);
  }, 120_000);

  it('serves the chat panel at / and stops cleanly, the last line saying so', async () => {
    const page = await fetch(`http://127.0.0.1:${ports.http}/`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<title>Parley chat</title>');
    expect(html).toContain('<div id="app"></div>');
    const exited = new Promise<number | null>((resolve) => server!.once('exit', (code) => resolve(code)));
    // npm start execs the server (package.json `exec node …`): the signal reaches it
    server!.kill('SIGTERM');
    expect(await exited).toBe(0);
    const last = JSON.parse(lines.at(-1)!) as { event?: string };
    expect(last.event).toBe('stopped');
  }, 30_000);
});
