// External components (XEP-0114 Jabber Component Protocol) on components.port: a bot written with
// slixmpp's ComponentXMPP serves its domain from its handshake until it disconnects, and raw
// sockets get the standard answer for each way a component can be refused.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createInterface } from 'node:readline';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NS } from '@parley/shared';
import { startServer, type TestServer } from './helpers/server.ts';
import { configSchema } from '../server/src/config.ts';
import { createLogger } from '../server/src/logger.ts';
import { ParleyServer } from '../server/src/server.ts';
import { openDataFolder } from '../server/src/data-folder.ts';
import { storageEnv } from './helpers/test-storage.ts';
import { StoredComponents } from '../server/src/stream/component-secrets.ts';
import { connectTcp, type TcpPeer } from './helpers/raw-stream.ts';
import { createUsers, errorCondition, online, received, stopAll, xml } from './helpers/im.ts';

const BOT = 'bot.example.com';
const RAW = 'raw.example.com';
const SECRET = 'a component secret of some length';
const BOT_SCRIPT = fileURLToPath(new URL('./helpers/slixmpp_component.py', import.meta.url));

let server: TestServer;
const hostEvents: string[] = [];

beforeAll(async () => {
  server = await startServer({
    captureLogs: true,
    config: {
      components: {
        port: 0,
        services: { [BOT]: { secret: SECRET }, [RAW]: { secret: SECRET }, 'example.com': { secret: SECRET } },
      },
    },
  });
  server.server.hub.on('host-added', ({ name, kind }) => void hostEvents.push(`added ${name} ${kind}`));
  server.server.hub.on('host-removed', ({ name, kind }) => void hostEvents.push(`removed ${name} ${kind}`));
});
afterAll(() => server.stop());

/** The slixmpp bot (helpers/slixmpp_component.py) as a child process; its events as they arrive. */
function startBot(spec: Record<string, unknown>): { child: ChildProcess; events: Array<Record<string, unknown>>; next(event: string): Promise<Record<string, unknown>> } {
  const child = spawn('/usr/bin/python3', [BOT_SCRIPT, JSON.stringify(spec)], { stdio: ['pipe', 'pipe', 'inherit'] });
  const events: Array<Record<string, unknown>> = [];
  createInterface({ input: child.stdout! }).on('line', (line) => events.push(JSON.parse(line) as Record<string, unknown>));
  return {
    child,
    events,
    next: async (event) => {
      await expect.poll(() => events.some((e) => e.event === event), { timeout: 20_000 }).toBe(true);
      return events.find((e) => e.event === event)!;
    },
  };
}

/** A raw component: opens its stream to `domain` and reads the server's header (XEP-0114 §3). */
async function openComponentStream(domain: string, port = server.ports.component!): Promise<{ peer: TcpPeer; id: string }> {
  const peer = await connectTcp(port);
  peer.send(`<stream:stream xmlns='${NS.component}' xmlns:stream='${NS.stream}' to='${domain}'>`);
  const header = await peer.next();
  if (header.kind !== 'header') throw new Error(`expected the stream header, got ${header.kind}`);
  expect(header.attrs).toMatchObject({ xmlns: NS.component, 'xmlns:stream': NS.stream, id: expect.any(String) });
  // the protocol predates XMPP 1.0 stream features: no version, no features
  expect(header.attrs.version).toBeUndefined();
  return { peer, id: header.attrs.id! };
}

function handshake(id: string, secret = SECRET): string {
  return `<handshake>${createHash('sha1').update(id + secret).digest('hex')}</handshake>`;
}

/** A raw component whose handshake the server accepted. */
async function connectComponent(domain: string): Promise<TcpPeer> {
  const { peer, id } = await openComponentStream(domain);
  peer.send(handshake(id));
  const accepted = await peer.receive('handshake');
  expect(accepted.children).toEqual([]);
  return peer;
}

describe('a slixmpp ComponentXMPP bot', () => {
  it('serves its domain: answers a local user’s messages and pings, and pings the server itself', async () => {
    const bot = startBot({ jid: BOT, secret: SECRET, host: '127.0.0.1', port: server.ports.component, ping: 'example.com' });
    try {
      await bot.next('started');
      expect(hostEvents).toContain(`added ${BOT} component`);
      // the server answers an iq from the component's domain (the ping module, XEP-0199)
      expect(await bot.next('pinged')).toMatchObject({ ok: true });

      const [aliceJid] = await createUsers(server, ['alice']);
      const alice = await online(server, aliceJid!);
      await alice.xmpp.send(xml('message', { to: `echo@${BOT}`, type: 'chat', id: 'm1' }, xml('body', {}, 'hello bot')));
      const answer = await received(alice, (s) => s.is('message') && s.attrs.from === `echo@${BOT}`);
      expect(answer.attrs.type).toBe('chat');
      expect(answer.getChildText('body')).toBe('echo: hello bot');
      expect(bot.events).toContainEqual({ event: 'message', from: alice.jid, to: `echo@${BOT}`, body: 'hello bot' });

      // XEP-0199 §4: the client pings the component, which answers itself
      const pong = await alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: BOT }, xml('ping', { xmlns: 'urn:xmpp:ping' })));
      expect(pong.attrs).toMatchObject({ type: 'result', from: BOT });
      const info = await alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: BOT }, xml('query', { xmlns: NS.discoInfo })));
      expect(info.getChild('query', NS.discoInfo)).toBeDefined();

      // the bot goes: its domain is not served any more (RFC 6120 §10.4.3)
      bot.child.stdin!.end();
      await expect.poll(() => hostEvents.includes(`removed ${BOT} component`), { timeout: 10_000 }).toBe(true);
      await alice.xmpp.send(xml('message', { to: `echo@${BOT}`, type: 'chat', id: 'm2' }, xml('body', {}, 'still there?')));
      const bounce = await received(alice, (s) => s.is('message') && s.attrs.type === 'error' && s.attrs.id === 'm2');
      expect(errorCondition(bounce)).toBe('remote-server-not-found');
      await stopAll(alice);

      const logged = server.logs.filter((line) => line.domain === BOT).map((line) => line.msg);
      expect(logged).toEqual(expect.arrayContaining(['component connected', 'component disconnected']));
    } finally {
      bot.child.kill();
    }
  });
});

describe('the handshake (XEP-0114 §3)', () => {
  it('refuses a domain no component is configured for with host-unknown', async () => {
    const { peer } = await openComponentStream('nobody.example.com');
    await peer.receiveStreamError('host-unknown');
    expect(server.logs).toContainEqual(expect.objectContaining({ domain: 'nobody.example.com', msg: 'component refused', reason: 'no component is configured for that domain', level: 40 }));
  });

  it('refuses a wrong secret with not-authorized, and anything before the handshake', async () => {
    const { peer, id } = await openComponentStream(RAW);
    peer.send(handshake(id, 'not the secret at all, no'));
    await peer.receiveStreamError('not-authorized');
    expect(server.logs).toContainEqual(expect.objectContaining({ domain: RAW, reason: 'wrong secret', msg: 'component refused', level: 40 }));

    const early = await openComponentStream(RAW);
    early.peer.send(`<message to='alice@example.com' from='${RAW}'><body>first</body></message>`);
    await early.peer.receiveStreamError('not-authorized');
    expect(server.server.hosts.has(RAW)).toBe(false);
  });

  it('refuses a second connection of a connected component with conflict; the first one keeps its domain', async () => {
    const first = await connectComponent(RAW);
    const second = await openComponentStream(RAW);
    second.peer.send(handshake(second.id));
    await second.peer.receiveStreamError('conflict');

    // the first still serves the domain: a user's message reaches it, in the component namespace
    const [bobJid] = await createUsers(server, ['bob']);
    const bob = await online(server, bobJid!);
    await bob.xmpp.send(xml('message', { to: `desk@${RAW}`, type: 'chat', id: 'c1' }, xml('body', {}, 'to the first')));
    const delivered = await first.receive('message');
    expect(delivered.attrs).toMatchObject({ xmlns: NS.component, from: bob.jid, to: `desk@${RAW}`, id: 'c1' });
    // and the component's answer reaches the user as a jabber:client stanza
    first.send(`<message from='desk@${RAW}' to='${bob.jid}' type='chat' id='c2'><body>from the first</body></message>`);
    const answer = await received(bob, (s) => s.is('message') && s.attrs.id === 'c2');
    expect(answer.attrs).toMatchObject({ from: `desk@${RAW}`, xmlns: NS.client });
    await stopAll(bob);
    first.send('</stream:stream>');
    await first.receiveEnd();
    await expect.poll(() => server.server.hosts.has(RAW)).toBe(false);
  });

  it('refuses a component for a name served otherwise (an account domain) with conflict', async () => {
    const { peer, id } = await openComponentStream('example.com');
    peer.send(handshake(id));
    await peer.receiveStreamError('conflict');
    expect(server.server.hosts.isAccountDomain('example.com')).toBe(true);
  });
});

describe('stanzas from a component', () => {
  it('end the stream with invalid-from when from is not at the component’s domain, and the domain goes', async () => {
    const peer = await connectComponent(RAW);
    expect(server.server.hosts.has(RAW)).toBe(true);
    peer.send(`<message from='mallory@example.com' to='alice@example.com'><body>spoofed</body></message>`);
    await peer.receiveStreamError('invalid-from');
    await expect.poll(() => server.server.hosts.has(RAW)).toBe(false);
  });

  it('end the stream with improper-addressing without a to or a from', async () => {
    const noTo = await connectComponent(RAW);
    noTo.send(`<message from='x@${RAW}'><body>where to?</body></message>`);
    await noTo.receiveStreamError('improper-addressing');
    await expect.poll(() => server.server.hosts.has(RAW)).toBe(false);
    const noFrom = await connectComponent(RAW);
    noFrom.send(`<iq type='get' id='p1' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await noFrom.receiveStreamError('improper-addressing');
  });

  it('get a stanza error for a malformed to, and an iq to the server is answered to the component', async () => {
    const peer = await connectComponent(RAW);
    peer.send(`<message from='x@${RAW}' to='a@b@c' id='bad1'><body>?</body></message>`);
    const bounce = await peer.receive('message');
    expect(bounce.attrs).toMatchObject({ type: 'error', id: 'bad1', to: `x@${RAW}` });
    expect(bounce.getChild('error')?.getChild('jid-malformed')).toBeDefined();
    peer.send(`<iq type='get' id='p2' from='${RAW}' to='example.com'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const pong = await peer.receive('iq');
    expect(pong.attrs).toMatchObject({ type: 'result', id: 'p2', from: 'example.com', to: RAW, xmlns: NS.component });
    peer.send('<presence/>');
    await peer.receiveStreamError('improper-addressing');
  });

  it('that are not stanzas end the stream with unsupported-stanza-type', async () => {
    const peer = await connectComponent(RAW);
    peer.send(`<handshake>again</handshake>`);
    await peer.receiveStreamError('unsupported-stanza-type');
  });
});

describe('components added with `parley component add`', () => {
  const parley = (dataDir: string, ...args: string[]) =>
    spawnSync(process.execPath, [join(import.meta.dirname, '../server/bin/parley.js'), '--data', dataDir, 'component', ...args],
      { encoding: 'utf8', env: storageEnv(server.storage) });

  // each command is a node process: seconds apiece on a loaded machine
  it('are taken by a running server at their next handshake, and refused once deleted', { timeout: 60_000 }, async () => {
    const added = parley(server.dataDir, 'add', 'stored.example.com', '--secret', SECRET);
    expect(added.stderr).toBe('');
    expect(added.stdout).toContain('component stored.example.com added');
    expect(parley(server.dataDir, 'list').stdout.split('\n')).toContain('stored.example.com');
    const peer = await connectComponent('stored.example.com');
    peer.send('</stream:stream>');
    await peer.receiveEnd();
    expect(parley(server.dataDir, 'del', 'stored.example.com').stdout).toContain('component stored.example.com removed');
    const { peer: refused } = await openComponentStream('stored.example.com');
    await refused.receiveStreamError('host-unknown');
  });

  it('get a random secret unless one is given; a short secret or a served domain is refused', { timeout: 60_000 }, () => {
    const added = parley(server.dataDir, 'add', 'random.example.com');
    expect(added.stdout).toMatch(/component random\.example\.com added; its secret: [A-Za-z0-9_-]{32}\n/);
    expect(parley(server.dataDir, 'add', 'short.example.com', '--secret', 'short')).toMatchObject({ status: 1, stderr: expect.stringContaining('at least 16 characters') });
    expect(parley(server.dataDir, 'add', 'example.com')).toMatchObject({ status: 1, stderr: expect.stringContaining('example.com is a served domain') });
    expect(parley(server.dataDir, 'del', 'never.example.com')).toMatchObject({ status: 1, stderr: expect.stringContaining('no stored component') });
  });

  it('open the component port at start even when the configuration names none', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-components-'));
    const data = openDataFolder(dataDir);
    await new StoredComponents(data.storage).set(RAW, { secret: SECRET });
    await data.close();
    const started = await ParleyServer.start(configSchema.parse({
      dataDir, bind: '127.0.0.1', c2s: { port: 0, tlsPort: -1 }, http: { port: 0, tlsPort: -1 }, components: { port: 0 },
    }), createLogger('silent'));
    try {
      expect(started.ports.component).toEqual(expect.any(Number));
      const { peer, id } = await openComponentStream(RAW, started.ports.component!);
      peer.send(handshake(id));
      expect((await peer.receive('handshake')).children).toEqual([]);
    } finally {
      await started.stop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe('the component port', () => {
  it('is not opened unless a component is configured', async () => {
    const plain = await startServer();
    try {
      expect(plain.ports.component).toBeNull();
    } finally {
      await plain.stop();
    }
  });

  it('drops a component that never sends its handshake (RFC 6120 §4.9.3.4 connection-timeout)', async () => {
    const slow = await startServer({ config: { limits: { authTimeoutSeconds: 0.3 }, components: { port: 0, services: { [RAW]: { secret: SECRET } } } } });
    try {
      const { peer } = await openComponentStream(RAW, slow.ports.component!);
      await peer.receiveStreamError('connection-timeout');
    } finally {
      await slow.stop();
    }
  });
});
