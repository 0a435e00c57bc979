// XMPP over WebSocket (RFC 7395): the handshake, <open/>/<close/> framing, one element per frame,
// stream errors, the stanza size limit and a reader that stops reading.
import type net from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import {
  childNames, connectTcp, connectWebSocket, DOMAIN, NS, openBoundSession, openFrame, type TcpPeer, type WebSocketPeer,
} from './helpers/raw-stream.ts';

const users = {
  'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw', 'carol@example.com': 'carol-pw', 'dora@example.com': 'dora-pw',
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: TestServer;
let carol: LoggedInClient;
let bob: LoggedInClient;
let checks = 0;

beforeAll(async () => {
  server = await startServer({
    users,
    config: { c2s: { allowPlaintextOnLoopback: true }, limits: { maxStanzaSize: 10_000, sendBufferBytes: 65_536 } },
  });
  carol = await login(server, 'carol@example.com', 'carol-pw', { transport: 'websocket' });
  bob = await login(server, 'bob@example.com', 'bob-pw', { transport: 'websocket', resource: 'watcher' });
});
afterAll(async () => {
  await Promise.all([carol?.stop(), bob?.stop()]);
  await server?.stop();
});

// Whatever one WebSocket client does, the others keep chatting.
afterEach(async () => {
  const id = `still-working-${++checks}`;
  const received = carol.next((s) => s.is('message') && s.attrs.id === id);
  await bob.xmpp.send(xml('message', { to: 'carol@example.com', type: 'chat', id }, xml('body', {}, 'still there?')));
  expect((await received).getChildText('body')).toBe('still there?');
});

async function openedStream(): Promise<WebSocketPeer> {
  const client = await connectWebSocket(server.ports.http);
  client.send(openFrame());
  await client.receiveHeader();
  await client.receiveFeatures();
  return client;
}

describe('the handshake (RFC 7395 §3.1)', () => {
  it.each([
    ['another subprotocol', 'chat'],
    ['no subprotocol', []],
  ])('an upgrade with %s is refused with HTTP 400', async (_what, protocol) => {
    await expect(connectWebSocket(server.ports.http, protocol)).rejects.toThrow('HTTP 400');
  });

  it("an upgrade offering 'xmpp' among others gets 'xmpp'", async () => {
    const raw = await connectWebSocket(server.ports.http, ['chat', 'xmpp']);
    expect(raw.socket.protocol).toBe('xmpp');
    raw.destroy();
  });
});

describe('framing (RFC 7395 §3.3)', () => {
  it('<open/> is answered with <open/> and <stream:features> declaring xmlns:stream, each in its own frame', async () => {
    const client = await connectWebSocket(server.ports.http);
    client.send(openFrame());
    const open = await client.receiveHeader();
    expect(open).toMatchObject({ xmlns: NS.framing, from: DOMAIN, version: '1.0' });
    expect(client.frames[0]).toMatch(/^<open [^>]*\/>$/);
    const features = await client.receiveFeatures();
    expect(features.getChild('mechanisms', NS.sasl)).toBeDefined();
    expect(features.getChild('starttls')).toBeUndefined(); // TLS belongs to the HTTP layer
    expect(client.frames).toHaveLength(2);
    client.destroy();
  });

  it("stanzas to a WebSocket client carry xmlns='jabber:client' (each frame stands alone)", async () => {
    const { peer: alice, jid } = await openBoundSession(await connectWebSocket(server.ports.http), 'alice', 'alice-pw', 'ws');
    expect(jid).toBe('alice@example.com/ws');
    const bind = alice.frames.at(-1)!;
    expect(bind).toMatch(/^<iq [^>]*xmlns="jabber:client"/);
    // a message from a TCP client, routed to this WebSocket client
    const { peer: tcpBob } = await openBoundSession(await connectTcp(server.ports.c2s), 'bob', 'bob-pw');
    tcpBob.send(`<message to='${jid}' type='chat' id='m1'><body>over the bridge</body></message>`);
    const message = await alice.receive('message', NS.client);
    expect(message.getChildText('body')).toBe('over the bridge');
    expect(message.attrs.from).toMatch(/^bob@example\.com\//);
    alice.destroy();
    tcpBob.destroy();
  });

  it('<close/> is answered with <close/>, then the WebSocket closes (RFC 7395 §3.6)', async () => {
    const client = await openedStream();
    client.send(`<close xmlns='${NS.framing}'/>`);
    await client.receiveEnd();
  });
});

describe('stream errors: <stream:error> then <close/> (RFC 7395 §3.6)', () => {
  it.each([
    ['host-unknown', 'a domain not served here', openFrame({ to: 'nowhere.test' })],
    ['unsupported-version', 'no version', openFrame({ version: undefined })],
    ['invalid-namespace', '<open/> outside the framing namespace', `<open xmlns='jabber:client' to='${DOMAIN}' version='1.0'/>`],
    ['not-well-formed', 'a broken frame', '<open xmlns='],
  ])('%s: client opens with %s; server answers <open/>, the error, <close/>', async (condition, _what, frame) => {
    const client = await connectWebSocket(server.ports.http);
    client.send(frame);
    expect((await client.receiveHeader()).from).toBe(DOMAIN);
    await client.receiveStreamError(condition);
  });

  it.each([
    ['a mismatched end tag', `<message xmlns='jabber:client'><body>hi</message>`],
    ['an unescaped ampersand', `<message xmlns='jabber:client'><body>a & b</body></message>`],
    // §3.3.3: every frame is one whole XML document, one element per frame
    ['two elements in one frame', `<presence xmlns='jabber:client'/><presence xmlns='jabber:client'/>`],
    ['half an element', `<message xmlns='jabber:client' to='alice@example.com'><body>to be continued`],
  ])('not-well-formed: client sends %s', async (_what, frame) => {
    const client = await openedStream();
    client.send(frame);
    await client.receiveStreamError('not-well-formed');
  });

  it('not-well-formed: client sends a binary frame (RFC 7395 §3.2: text frames only); close code 1003', async () => {
    const client = await openedStream();
    const code = closeCode(client);
    client.socket.send(Buffer.from(`<presence xmlns='jabber:client'/>`), { binary: true });
    await client.receiveStreamError('not-well-formed');
    expect(await code).toBe(1003);
  });

  it('restricted-xml: client sends a comment', async () => {
    const client = await openedStream();
    client.send('<!-- hello -->');
    await client.receiveStreamError('restricted-xml');
  });

  it('policy-violation: a stanza over limits.maxStanzaSize', async () => {
    const client = await openedStream();
    client.send(`<message xmlns='jabber:client' to='alice@example.com'><body>${'x'.repeat(20_000)}</body></message>`);
    await client.receiveStreamError('policy-violation');
  });

  it('policy-violation, then close code 1009: a frame ten times over the limit (not parsed, RFC 6455 §7.4.1)', async () => {
    const client = await openedStream();
    const code = closeCode(client);
    client.send(`<message xmlns='jabber:client'><body>${'x'.repeat(100_000)}</body></message>`);
    expect(await client.receiveStreamError('policy-violation')).toContain('larger than the stanza limit');
    expect(await code).toBe(1009);
  });

  it('the limit counts characters: 9,000 three-byte characters (27 KB) under a 10,000 character limit are delivered', async () => {
    const received = carol.next((stanza) => stanza.is('message') && stanza.attrs.id === 'euros');
    const dora = await login(server, 'dora@example.com', 'dora-pw', { transport: 'websocket', resource: 'euros' });
    await dora.xmpp.send(xml('message', { to: 'carol@example.com', type: 'chat', id: 'euros' }, xml('body', {}, '€'.repeat(9000))));
    expect((await received).getChildText('body')).toHaveLength(9000);
    await dora.stop();
  });

  // uWebSockets.js checks these itself and closes the socket without a close frame (its
  // maxPayloadLength, transport/websocket.ts maxFrameBytes, and its UTF-8 check of text frames);
  // it offers no hook to answer first. These fail until it does.
  it.fails('(uWS limit) a frame over maxFrameBytes gets policy-violation, then close code 1009', async () => {
    const client = await openedStream();
    const code = closeCode(client);
    client.send(`<message xmlns='jabber:client'><body>${'x'.repeat(1_100_000)}</body></message>`);
    await client.receiveStreamError('policy-violation', 2000);
    expect(await code).toBe(1009);
  });

  it.fails('(uWS limit) a text frame that is not UTF-8 gets not-well-formed, then close code 1007', async () => {
    const client = await openedStream();
    const code = closeCode(client);
    client.socket.send(Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e]), { binary: false });
    await client.receiveStreamError('not-well-formed', 2000);
    expect(await code).toBe(1007);
  });
});

/** The close code the server's close frame carries (1006: none came). */
function closeCode(client: WebSocketPeer): Promise<number> {
  return new Promise((resolve) => client.socket.once('close', (code: number) => resolve(code)));
}

// On WebSocket, and the same rule on TCP for comparison.
describe.each(['websocket', 'tcp'] as const)('back-pressure over %s (limits.sendBufferBytes: 65536)', (transport) => {
  /** A bound raw session, and the client's own socket (to stop reading). */
  async function connectAs(user: string, resource?: string) {
    const peer = transport === 'websocket' ? await connectWebSocket(server.ports.http) : await connectTcp(server.ports.c2s);
    const session = await openBoundSession(peer, user, users[`${user}@example.com` as keyof typeof users], resource);
    const socket = transport === 'websocket'
      ? ((peer as WebSocketPeer).socket as unknown as { _socket: net.Socket })._socket // under ws
      : (peer as TcpPeer).socket;
    return { ...session, socket };
  }

  it('a reader that stops reading is closed instead of buffered without bound; memory stays bounded; the sender keeps working', async () => {
    const { peer: alice, jid: aliceJid, socket: aliceSocket } = await connectAs('alice', 'slow');
    alice.send(`<presence xmlns='jabber:client'/>`);
    await alice.receive('presence');
    aliceSocket.pause(); // Alice's client stops reading: the kernel buffers fill, then the server's

    // Bob floods her with 32 MB of headline messages (never stored offline nor bounced), in paced
    // batches well under the limit, so that only a backlog for Alice could trip it.
    const { peer: bob } = await openBoundSession(await connectTcp(server.ports.c2s), 'bob', 'bob-pw');
    const batch = `<message to='${aliceJid}' type='headline'><body>${'flood '.repeat(170)}</body></message>`.repeat(40);
    const floodBytes = 32 * 1024 * 1024;
    const rssBefore = process.memoryUsage.rss();
    let rssPeak = rssBefore;
    for (let sent = 0; sent < floodBytes; sent += batch.length) {
      bob.send(batch);
      await sleep(1);
      rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    }
    // Had the server kept the flood for Alice, it would hold at least floodBytes.
    expect(rssPeak - rssBefore).toBeLessThan(floodBytes * 0.75);

    // Bob is still served, and Alice's session is gone (RFC 6121 §8.5.3.2.1: no such resource).
    bob.send(`<iq type='get' id='ping-server'><ping xmlns='${NS.ping}'/></iq>`);
    expect((await bob.receive('iq', undefined, 10_000)).attrs).toMatchObject({ id: 'ping-server', type: 'result' });
    bob.send(`<iq type='get' id='ping-alice' to='${aliceJid}'><ping xmlns='${NS.ping}'/></iq>`);
    const noSession = await bob.receive('iq');
    expect(noSession.attrs).toMatchObject({ id: 'ping-alice', type: 'error' });
    expect(childNames(noSession.getChild('error')!)).toEqual(['service-unavailable']);
    bob.destroy();

    // When Alice reads again, she finds what had been queued, then policy-violation and the end of the stream.
    aliceSocket.resume();
    let delivered = 0;
    let item = await alice.next();
    for (; item.kind === 'element' && item.element.name === 'message'; item = await alice.next()) delivered += item.xml.length;
    expect(delivered).toBeGreaterThan(0);
    expect(delivered).toBeLessThan(floodBytes / 4); // kernel buffers and 64 KB, not the flood
    expect(item.kind === 'element' && item.element.name).toBe('stream:error');
    expect(item.kind === 'element' && childNames(item.element)[0]).toBe('policy-violation');
    await alice.receiveEnd();
  });

  // A burst (an offline queue of twice the limit, written in one go at login) is not a slow reader.
  it('a reader that does read gets an offline queue larger than the limit in full', async () => {
    const { peer: bob } = await openBoundSession(await connectTcp(server.ports.c2s), 'bob', 'bob-pw');
    const body = 'offline '.repeat(120); // ~1 KB: 150 of them are over twice the limit
    for (let i = 0; i < 150; i++) bob.send(`<message to='dora@example.com' type='chat' id='o${i}'><body>${body}</body></message>`);
    bob.send(`<iq type='get' id='stored'><ping xmlns='${NS.ping}'/></iq>`); // answered after the messages were handled
    await bob.receive('iq');
    bob.destroy();

    const { peer: dora } = await connectAs('dora');
    dora.send(`<presence xmlns='jabber:client'/>`);
    const ids = new Set<string>();
    while (ids.size < 150) {
      const item = await dora.next();
      if (item.kind === 'element' && item.element.name === 'message') ids.add(item.element.attrs.id!);
      else if (item.kind === 'element' && item.element.name === 'stream:error') throw new Error(`stream error after ${ids.size} messages: ${item.xml}`);
    }
    dora.destroy();
  });
});
