// Bytes that are not UTF-8 (RFC 6120 §11.6): the stream ends with <not-well-formed/> on TCP, direct
// TLS, BOSH and WebSocket, and nothing of the bad stanza is routed.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { connectTcp, connectWebSocket, NS, openBoundSession, streamHeader, type TcpPeer } from './helpers/raw-stream.ts';
import { BoshSession, boshUrl } from './helpers/bosh.ts';
import { parse, type Element } from 'ltx';

const users = { 'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw' };

let server: TestServer;
let bob: LoggedInClient;

beforeAll(async () => {
  server = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true } } });
  bob = await login(server, 'bob@example.com', 'bob-pw');
});
afterAll(async () => {
  await bob?.stop();
  await server?.stop();
});

const bytes = (...parts: Array<string | number[] | Buffer>) => Buffer.concat(parts.map((part) => typeof part === 'string' ? Buffer.from(part) : Buffer.from(part)));
const toBob = (id: string, body: Array<string | number[]>) =>
  bytes(`<message to='bob@example.com' type='chat' id='${id}'><body>`, ...body, '</body></message>');

/** The ids of the messages Bob received. */
const bobsMessages = () => bob.received.filter((stanza) => stanza.is('message')).map((stanza) => stanza.attrs.id as string);

async function aliceOnTcp(options: { tls?: boolean } = {}): Promise<TcpPeer> {
  const port = options.tls ? server.ports.c2sTls! : server.ports.c2s;
  return (await openBoundSession(await connectTcp(port, options), 'alice', 'alice-pw')).peer;
}

/** Bob got `id`: sent after the bad stanza by someone else, so everything before it has arrived. */
async function bobReceives(id: string): Promise<void> {
  const received = bob.next((stanza) => stanza.is('message') && stanza.attrs.id === id);
  const carol = await login(server, 'alice@example.com', 'alice-pw', { resource: `check-${id}` });
  await carol.xmpp.send(xml('message', { to: 'bob@example.com', type: 'chat', id }, xml('body', {}, 'check')));
  await received;
  await carol.stop();
}

describe('raw TCP and direct TLS', () => {
  it.each([
    ['a 0xFF byte', [0xff]],
    ['an encoded surrogate (ED A0 80)', [0xed, 0xa0, 0x80]],
    ['an overlong "<" (C0 BC)', [0xc0, 0xbc]],
    ['a lead byte without its continuation', [0xe2, 0x41]],
  ])('Alice sends %s in a message: not-well-formed, and Bob gets nothing of it', async (_what, bad) => {
    const alice = await aliceOnTcp();
    alice.socket.write(toBob('bad', ['a', bad, 'b']));
    await alice.receiveStreamError('not-well-formed');
    await bobReceives(`after-${bad.join('-')}`);
    expect(bobsMessages()).not.toContain('bad');
  });

  it('stanzas complete before the bad bytes are still delivered', async () => {
    const alice = await aliceOnTcp();
    alice.socket.write(Buffer.concat([toBob('good', ['fine']), toBob('bad', [[0xff]])]));
    await alice.receiveStreamError('not-well-formed');
    await bobReceives('after-prefix');
    expect(bobsMessages()).toContain('good');
    expect(bobsMessages()).not.toContain('bad');
  });

  it('a character cut between two writes arrives whole', async () => {
    const alice = await aliceOnTcp();
    const message = toBob('split', ['café 😀']);
    const received = bob.next((stanza) => stanza.is('message') && stanza.attrs.id === 'split');
    const cut = message.indexOf(0xf0) + 2; // inside the four bytes of 😀
    alice.socket.write(message.subarray(0, cut));
    await new Promise((resolve) => setTimeout(resolve, 50));
    alice.socket.write(message.subarray(cut));
    expect((await received).getChildText('body')).toBe('café 😀');
    alice.destroy();
  });

  it('bad bytes in the stream header itself: the server opens its stream, then not-well-formed', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.socket.write(bytes(streamHeader().slice(0, -1), " xml:lang='", [0xff], "'>"));
    await client.receiveHeader();
    await client.receiveStreamError('not-well-formed');
  });

  it('direct TLS (XEP-0368): not-well-formed', async () => {
    const alice = await aliceOnTcp({ tls: true });
    alice.socket.write(toBob('bad-tls', [[0xed, 0xbf, 0xbf]]));
    await alice.receiveStreamError('not-well-formed');
  });
});

describe('BOSH (XEP-0206)', () => {
  const post = (body: Buffer) => fetch(boshUrl(server), { method: 'POST', body: new Uint8Array(body), headers: { 'Content-Type': 'text/xml; charset=utf-8' } })
    .then(async (response) => parse(await response.text()) as Element);

  it("a body that is not UTF-8 ends the session's stream with not-well-formed (remote-stream-error)", async () => {
    const session = await BoshSession.open(server);
    await session.login('alice@example.com', 'alice-pw');
    const reply = await post(bytes(`<body xmlns='http://jabber.org/protocol/httpbind' rid='${session.rid + 1}' sid='${session.sid}'>`,
      toBob('bad-bosh', [[0xff, 0xfe]]), '</body>'));
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'remote-stream-error' });
    const error = reply.getChild('error', NS.stream);
    expect(error?.getChildElements()[0]?.name).toBe('not-well-formed');
    // the session is over: the next request hears the same
    expect((await session.send('')).attrs).toMatchObject({ type: 'terminate', condition: 'remote-stream-error' });
    await bobReceives('after-bosh');
    expect(bobsMessages()).not.toContain('bad-bosh');
  });

  it('a session request that is not UTF-8 is a bad request (no stream yet)', async () => {
    const reply = await post(bytes(`<body xmlns='http://jabber.org/protocol/httpbind' rid='1' to='example.com' ver='1.11' wait='5' hold='1' xml:lang='`, [0xc0, 0x80], `'/>`));
    expect(reply.attrs).toMatchObject({ type: 'terminate', condition: 'bad-request' });
  });
});

describe('WebSocket (RFC 7395)', () => {
  it('a binary frame (here not even UTF-8): not-well-formed, then close code 1003 (RFC 6455 §7.4.1: text only)', async () => {
    const client = await connectWebSocket(server.ports.http);
    client.openStream();
    await client.receiveHeader();
    await client.receiveFeatures();
    const closed = new Promise<number>((resolve) => client.socket.once('close', (code) => resolve(code)));
    client.socket.send(Buffer.from([0x3c, 0x61, 0xff, 0x2f, 0x3e]), { binary: true });
    await client.receiveStreamError('not-well-formed');
    expect(await closed).toBe(1003);
  });
});
