// Stream errors (RFC 6120 §4.9) over raw TCP: for each bad input, the exact condition, then the end
// of the stream and the connection — and everyone else keeps chatting.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login, xml, type LoggedInClient } from './helpers/clients.ts';
import { connectTcp, DOMAIN, NS, openBoundSession, streamHeader, type TcpPeer } from './helpers/raw-stream.ts';

const users = {
  'alice@example.com': 'alice-pw', 'bob@example.com': 'bob-pw', 'carol@example.com': 'carol-pw', 'dave@example.com': 'dave-pw',
};
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let server: TestServer;
let alice: LoggedInClient;
let bob: LoggedInClient;
let checks = 0;

beforeAll(async () => {
  // Plaintext on loopback: these tests are about the stream, not TLS.
  server = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true }, limits: { maxStanzaSize: 10_000 } } });
  alice = await login(server, 'alice@example.com', 'alice-pw');
  bob = await login(server, 'bob@example.com', 'bob-pw', { transport: 'websocket' });
});
afterAll(async () => {
  await Promise.all([alice?.stop(), bob?.stop()]);
  await server?.stop();
});

// One client's bad input ends only that client's stream.
afterEach(async () => {
  const id = `still-working-${++checks}`;
  const received = alice.next((s) => s.is('message') && s.attrs.id === id);
  await bob.xmpp.send(xml('message', { to: 'alice@example.com', type: 'chat', id }, xml('body', {}, 'still there?')));
  expect((await received).getChildText('body')).toBe('still there?');
});

/** A raw client whose stream is open: the server sent its header and features. */
async function openedStream(): Promise<TcpPeer> {
  const client = await connectTcp(server.ports.c2s);
  client.send(streamHeader());
  await client.receiveHeader();
  await client.receiveFeatures();
  return client;
}

async function boundSession(user: string, resource?: string) {
  return openBoundSession(await connectTcp(server.ports.c2s), user, users[`${user}@example.com` as keyof typeof users], resource);
}

describe('the stream header (RFC 6120 §4.7, §4.8)', () => {
  it.each([
    ['host-unknown', 'a domain not served here', { to: 'nowhere.test' }],
    ['unsupported-version', 'no version', { version: undefined }],
    ['unsupported-version', "version='0.9'", { version: '0.9' }],
    ['unsupported-version', "version='one'", { version: 'one' }],
    ['invalid-namespace', 'the stream element in another namespace', { 'xmlns:stream': 'urn:example:not-streams' }],
    ['invalid-namespace', "a default namespace other than 'jabber:client'", { xmlns: 'jabber:server' }],
    ['invalid-namespace', 'no default namespace', { xmlns: undefined }],
  ])('%s: client opens a stream with %s; server answers with its own header, then the error', async (condition, _what, attrs) => {
    const client = await connectTcp(server.ports.c2s);
    client.send(streamHeader(attrs));
    const header = await client.receiveHeader();
    expect(header.from).toBe(DOMAIN); // §4.9.1.2: the header names a domain we serve, even for host-unknown
    await client.receiveStreamError(condition);
  });

  it("a client offering version='2.0' gets version='1.0' back and the stream goes on (RFC 6120 §4.7.5)", async () => {
    const client = await connectTcp(server.ports.c2s);
    client.send(streamHeader({ version: '2.0' }));
    expect((await client.receiveHeader()).version).toBe('1.0');
    await client.receiveFeatures();
    client.destroy();
  });

  it('invalid-namespace: client opens with <stream> in jabber:client instead of the streams namespace', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.send(`<?xml version='1.0'?><stream xmlns='${NS.client}' to='${DOMAIN}' version='1.0'>`);
    await client.receiveHeader();
    await client.receiveStreamError('invalid-namespace');
  });

  it('a client that connects and says nothing still gets a header before connection-timeout', async () => {
    const quick = await startServer({ config: { c2s: { allowPlaintextOnLoopback: true }, limits: { authTimeoutSeconds: 0.3 } } });
    try {
      const client = await connectTcp(quick.ports.c2s);
      await client.receiveHeader();
      await client.receiveStreamError('connection-timeout');
    } finally {
      await quick.stop();
    }
  });
});

describe('XML that is not well-formed (RFC 6120 §11.3)', () => {
  it.each([
    ['a mismatched end tag', `<message to='alice@example.com'><body>hi</message>`],
    ['an unescaped ampersand', `<message to='alice@example.com'><body>a & b</body></message>`],
    ['text between stanzas', 'hello'],
  ])('client sends %s; server answers not-well-formed', async (_what, data) => {
    const client = await openedStream();
    client.send(data);
    await client.receiveStreamError('not-well-formed');
  });
});

describe('restricted XML (RFC 6120 §11.1)', () => {
  it('client sends a DOCTYPE before its header; server answers with its header, then restricted-xml', async () => {
    const client = await connectTcp(server.ports.c2s);
    client.send(`<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY boom 'boom'>]>`);
    await client.receiveHeader();
    await client.receiveStreamError('restricted-xml');
  });

  it.each([
    ['a processing instruction', `<?xml-stylesheet href='evil.xsl'?>`],
    ['a comment', '<!-- hello -->'],
    ['a comment inside a stanza', `<message to='alice@example.com'><!-- hello --><body>hi</body></message>`],
    ['an entity declaration', `<!ENTITY boom 'boom'>`],
    ['an undeclared entity reference', `<message to='alice@example.com'><body>&boom;</body></message>`],
  ])('client sends %s after its header; server answers restricted-xml', async (_what, data) => {
    const client = await openedStream();
    client.send(data);
    await client.receiveStreamError('restricted-xml');
  });
});

describe('limits', () => {
  it('a stanza over limits.maxStanzaSize is stopped with policy-violation before the client finishes sending it', async () => {
    const { peer: client } = await boundSession('carol');
    client.send(`<message to='alice@example.com' type='chat'><body>`);
    let sent = 0;
    while (sent < 20_000 && !client.received.includes('<stream:error')) {
      client.send('x'.repeat(500));
      sent += 500;
      await sleep(5);
    }
    expect(sent).toBeGreaterThan(9_000);
    expect(sent).toBeLessThan(20_000);
    await client.receiveStreamError('policy-violation');
  });
});

describe('authentication first (RFC 6120 §6, §7)', () => {
  it.each([
    ['a message', `<message to='alice@example.com' type='chat'><body>hi</body></message>`],
    ['a presence', '<presence/>'],
    ['an iq', `<iq type='get' id='r1'><query xmlns='jabber:iq:roster'/></iq>`],
    ['a bind request', `<iq type='set' id='b1'><bind xmlns='${NS.bind}'/></iq>`],
  ])('client sends %s before authenticating; server answers not-authorized', async (_what, stanza) => {
    const client = await openedStream();
    client.send(stanza);
    await client.receiveStreamError('not-authorized');
    expect(alice.received.some((s) => s.getChildText('body') === 'hi')).toBe(false);
  });

  describe('with limits.authTimeoutSeconds: 0.3', () => {
    let quick: TestServer;
    beforeAll(async () => {
      quick = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true }, limits: { authTimeoutSeconds: 0.3 } } });
    });
    afterAll(() => quick.stop());

    it('client opens a stream and never authenticates; server answers connection-timeout', async () => {
      const started = Date.now();
      const client = await connectTcp(quick.ports.c2s);
      client.send(streamHeader());
      await client.receiveHeader();
      await client.receiveFeatures();
      await client.receiveStreamError('connection-timeout');
      expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    });

    it('a client that authenticated in time is not timed out afterwards', async () => {
      const { peer: client } = await openBoundSession(await connectTcp(quick.ports.c2s), 'carol', 'carol-pw');
      await sleep(500);
      client.send(`<iq type='get' id='ping-1'><ping xmlns='${NS.ping}'/></iq>`);
      expect((await client.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'ping-1' });
    });
  });
});

describe('a bound session', () => {
  it('conflict: the same full JID logs in again; the first session gets <conflict/>, the second one works', async () => {
    const first = await boundSession('dave', 'desk');
    const second = await login(server, 'dave@example.com', 'dave-pw', { resource: 'desk' });
    try {
      await first.peer.receiveStreamError('conflict');
      expect(second.jid).toBe('dave@example.com/desk');
      const received = second.next((s) => s.is('message'));
      await alice.xmpp.send(xml('message', { to: 'dave@example.com/desk', type: 'chat' }, xml('body', {}, 'for the new desk')));
      expect((await received).getChildText('body')).toBe('for the new desk');
    } finally {
      await second.stop();
    }
  });

  it('conflict between two @xmpp/client sessions: the first one is told <conflict/>', async () => {
    const first = await login(server, 'dave@example.com', 'dave-pw', { resource: 'laptop' });
    const told = new Promise<string | undefined>((resolve) => {
      first.xmpp.on('error', (error) => resolve((error as { condition?: string }).condition));
    });
    const second = await login(server, 'dave@example.com', 'dave-pw', { resource: 'laptop' });
    expect(await told).toBe('conflict');
    await Promise.all([first.stop(), second.stop()]);
  });

  it("invalid-from: client sends a message from='mallory@example.com'", async () => {
    const { peer: client } = await boundSession('carol');
    client.send(`<message from='mallory@example.com' to='alice@example.com' type='chat'><body>I am Mallory</body></message>`);
    await client.receiveStreamError('invalid-from');
    await sleep(50);
    expect(alice.received.some((s) => s.getChildText('body') === 'I am Mallory')).toBe(false);
  });

  it.each([
    ['its full JID', (jid: string) => jid],
    ['its bare JID', (jid: string) => jid.split('/')[0]!],
    ['no from at all', () => undefined],
  ])("a message with %s as 'from' is delivered, stamped with the full JID (RFC 6120 §8.1.2.1)", async (_what, from) => {
    const { peer: client, jid } = await boundSession('carol', 'phone');
    const body = `from ${_what}`;
    const received = alice.next((s) => s.is('message') && s.getChildText('body') === body);
    const fromAttribute = from(jid) === undefined ? '' : ` from='${from(jid)}'`;
    client.send(`<message${fromAttribute} to='alice@example.com' type='chat'><body>${body}</body></message>`);
    expect((await received).attrs.from).toBe('carol@example.com/phone');
    client.destroy();
  });

  it('unsupported-stanza-type: client sends an unknown top-level element after binding', async () => {
    const { peer: client } = await boundSession('carol');
    client.send(`<fancy xmlns='urn:example:unknown'/>`);
    await client.receiveStreamError('unsupported-stanza-type');
  });

  it('a whitespace keepalive (RFC 6120 §4.6.1) is accepted and the stream goes on', async () => {
    const { peer: client } = await boundSession('carol');
    client.send(' ');
    client.send('\n\t \r\n');
    client.send(`<iq type='get' id='ping-2'><ping xmlns='${NS.ping}'/></iq>`);
    expect((await client.receive('iq')).attrs).toMatchObject({ type: 'result', id: 'ping-2' });
    client.destroy();
  });
});

describe('server shutdown', () => {
  it('every stream gets system-shutdown, then the end of the stream and the close (RFC 6120 §4.9.3.17)', async () => {
    const stopping = await startServer({ users, config: { c2s: { allowPlaintextOnLoopback: true } } });
    const silent = await connectTcp(stopping.ports.c2s);
    const negotiating = await connectTcp(stopping.ports.c2s);
    negotiating.send(streamHeader());
    await negotiating.receiveHeader();
    await negotiating.receiveFeatures();
    const { peer: bound } = await openBoundSession(await connectTcp(stopping.ports.c2s), 'carol', 'carol-pw');

    await stopping.stop();
    await silent.receiveHeader();
    await Promise.all([silent, negotiating, bound].map((client) => client.receiveStreamError('system-shutdown')));
  });
});
