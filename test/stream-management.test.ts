// XEP-0198 stream management over raw TCP and WebSocket: enabling, acks (and the bad ones), a
// session that waits after its connection drops and is resumed with the stanzas it missed, in
// order; unknown and expired ids; what happens to unacknowledged stanzas when a session ends.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, passwordOf } from './helpers/im.ts';
import { connectTcp, openBoundSession, NS, type RawPeer } from './helpers/raw-stream.ts';
import { BoshSession } from './helpers/bosh.ts';
import {
  NS_SM, ack, authenticate, bodies, chatXml, connect, handle, resumeOn, smLogin, type RawTransport, type SmClient,
} from './helpers/sm.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({
    config: {
      c2s: { allowPlaintextOnLoopback: true },
      archive: { enabled: false },
      // a short wait, so that expiry can be tested; acks requested after every second stanza
      modules: { 'stream-management': { resumptionTimeoutSeconds: 2, maxResumptionTimeoutSeconds: 5, requestAckEvery: 2, requestAckDelayMs: 50 } },
    },
  });
});
afterAll(() => server.stop());

const local = (jid: string) => jid.split('@')[0]!;

/** A sender on a plain bound stream; sync() waits until the server has handled what it sent. */
async function sender(jid: string): Promise<{ peer: RawPeer; jid: string; send(xml: string): void; sync(): Promise<void> }> {
  const { peer, jid: full } = await openBoundSession(await connectTcp(server.ports.c2s), local(jid), passwordOf(jid));
  let pings = 0;
  return {
    peer,
    jid: full,
    send: (xml) => peer.send(xml),
    async sync() {
      const id = `sync-${++pings}`;
      peer.send(`<iq type='get' id='${id}'><ping xmlns='urn:xmpp:ping'/></iq>`);
      for (;;) {
        const element = await peer.receive('iq').catch(async () => null);
        if (element?.attrs.id === id) return;
      }
    },
  };
}

async function smUser(transport: RawTransport, jid: string, options: Parameters<typeof smLogin>[3] = {}): Promise<SmClient> {
  return smLogin(await connect(transport, server.ports), local(jid), passwordOf(jid), options);
}

/** Waits until the server noticed the dropped connection and keeps the session waiting. */
async function untilHibernated(jid: string): Promise<void> {
  const deadline = Date.now() + 5000;
  while (server.server.sessionTable.get(jid)?.hibernatedUntil == null) {
    if (Date.now() > deadline) throw new Error(`${jid} is not waiting for resumption`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

async function untilGone(jid: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (server.server.sessionTable.get(jid)) {
    if (Date.now() > deadline) throw new Error(`${jid} is still bound`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('stream management (XEP-0198)', () => {
  for (const transport of ['tcp', 'websocket'] as const) {
    it(`is offered after authentication and enabled with resumption over ${transport}`, async () => {
      const [aliceJid] = await createUsers(server, ['alice']);
      const peer = await connect(transport, server.ports);
      const features = await authenticate(peer, local(aliceJid!), passwordOf(aliceJid!));
      expect(features.getChild('sm', NS_SM)).toBeDefined();
      peer.destroy();
      const alice = await smUser(transport, aliceJid!, { max: 4 });
      expect(alice.enabled!.attrs).toMatchObject({ resume: 'true', max: '4', id: expect.any(String) });
      // §4: the server's 'h' counts the stanzas it handled since <enabled/> (presence, then a ping)
      alice.peer.send("<iq type='get' id='p1'><ping xmlns='urn:xmpp:ping'/></iq>");
      await handle(alice, (got) => got.some((stanza) => stanza.attrs.id === 'p1'));
      alice.peer.send(`<r xmlns='${NS_SM}'/>`);
      const answer = await alice.peer.receive('a', NS_SM);
      expect(answer.attrs.h).toBe('2');
      alice.peer.destroy();
    });
  }

  it('is not offered over BOSH (XEP-0124 has its own acks), and <enable/> there fails', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const bosh = await BoshSession.open(server);
    await bosh.login(aliceJid!, passwordOf(aliceJid!));
    expect(bosh.features!.getChild('sm', NS_SM)).toBeUndefined();
    const reply = await bosh.send(`<enable xmlns='${NS_SM}' resume='true'/>`);
    const failed = reply.payloads.find((payload) => payload.name === 'failed');
    expect(failed?.attrs.xmlns).toBe(NS_SM);
    expect(failed?.getChild('feature-not-implemented', NS.stanzas)).toBeDefined();
    await bosh.send('', { type: 'terminate' });
  });

  it('caps the resumption time a client asks for at the configured maximum', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await smUser('tcp', aliceJid!, { max: 3600 });
    expect(alice.enabled!.attrs.max).toBe('5');
    const plain = await smUser('tcp', aliceJid!, { resume: false, resource: 'plain' });
    expect(plain.enabled!.attrs.id).toBeUndefined();
    expect(plain.enabled!.attrs.resume).toBeUndefined();
    alice.peer.destroy();
    plain.peer.destroy();
  });

  for (const transport of ['tcp', 'websocket'] as const) {
    it(`resumes a session after its ${transport} connection dropped, with the missed stanzas in order`, async () => {
      const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
      const alice = await smUser(transport, aliceJid!, { resource: 'phone' });
      const bob = await sender(bobJid!);
      for (const body of ['one', 'two', 'three']) bob.send(chatXml(alice.jid, body));
      await handle(alice, (got) => bodies(got).length === 3, { answer: false });
      // Alice's client acknowledges up to 'two' before the connection drops
      alice.peer.send(ack(alice.handled - 1));
      await bob.sync();
      // the connection drops without a closing tag; more messages arrive meanwhile
      alice.peer.destroy();
      await untilHibernated(alice.jid);
      for (const body of ['four', 'five']) bob.send(chatXml(alice.jid, body));
      await bob.sync();
      const previd = alice.enabled!.attrs.id!;
      const resumedPeer = await connect(transport, server.ports);
      const resumed = await resumeOn(resumedPeer, local(aliceJid!), passwordOf(aliceJid!), previd, alice.handled - 1);
      expect(resumed.name).toBe('resumed');
      expect(resumed.attrs).toMatchObject({ xmlns: NS_SM, previd, h: '1' }); // the server handled her presence
      const again: SmClient = { ...alice, peer: resumedPeer, handled: alice.handled - 1, stanzas: [] };
      const missed = await handle(again, (got) => bodies(got).length === 3);
      expect(bodies(missed)).toEqual(['three', 'four', 'five']);
      // the session is the same: still bound with the same full JID, and it works both ways
      expect(server.server.sessionTable.get(alice.jid)?.hibernatedUntil).toBeNull();
      resumedPeer.send(chatXml(bob.jid, 'back'));
      const reply = await bob.peer.receive('message');
      expect(reply.attrs.from).toBe(alice.jid);
      resumedPeer.destroy();
      bob.peer.destroy();
    });
  }

  it('ends the old stream with conflict when a session is resumed while its old connection still looks open', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await smUser('tcp', aliceJid!);
    const second = await connectTcp(server.ports.c2s);
    const resumed = await resumeOn(second, local(aliceJid!), passwordOf(aliceJid!), alice.enabled!.attrs.id!, 0);
    expect(resumed.name).toBe('resumed');
    await handle(alice, () => false, { timeoutMs: 5000 }).catch(() => {}); // reads up to the end
    expect(alice.peer.received).toMatch(/<stream:error[^]*<conflict xmlns="urn:ietf:params:xml:ns:xmpp-streams"/);
    await alice.peer.expectClosed();
    second.destroy();
  });

  it('answers an unknown or another account\'s previd with item-not-found, and the stream can still bind', async () => {
    const [aliceJid, eveJid] = await createUsers(server, ['alice', 'eve']);
    const alice = await smUser('tcp', aliceJid!);
    for (const previd of ['no-such-session', alice.enabled!.attrs.id!]) {
      const eve = await connectTcp(server.ports.c2s);
      const failed = await resumeOn(eve, local(eveJid!), passwordOf(eveJid!), previd, 0);
      expect(failed.name).toBe('failed');
      expect(failed.attrs.xmlns).toBe(NS_SM);
      expect(failed.getChild('item-not-found', NS.stanzas)).toBeDefined();
      eve.send(`<iq type='set' id='b'><bind xmlns='${NS.bind}'/></iq>`);
      expect((await eve.receive('iq')).attrs.type).toBe('result');
      eve.destroy();
    }
    alice.peer.destroy();
  });

  it('refuses <enable/> before binding and a second <enable/>, with unexpected-request', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const peer = await connectTcp(server.ports.c2s);
    await authenticate(peer, local(aliceJid!), passwordOf(aliceJid!));
    peer.send(`<enable xmlns='${NS_SM}'/>`);
    expect((await peer.receive('failed', NS_SM)).getChild('unexpected-request', NS.stanzas)).toBeDefined();
    peer.destroy();
    const alice = await smUser('tcp', aliceJid!, { presence: false });
    alice.peer.send(`<enable xmlns='${NS_SM}'/>`);
    expect((await alice.peer.receive('failed', NS_SM)).getChild('unexpected-request', NS.stanzas)).toBeDefined();
    alice.peer.destroy();
  });

  it('ends the stream with undefined-condition and <handled-count-too-high/> when the client acks more than was sent', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await smUser('tcp', aliceJid!, { presence: false });
    alice.peer.send(ack(5));
    const error = await alice.peer.receive('stream:error');
    expect(error.getChild('undefined-condition', NS.streams)).toBeDefined();
    expect(error.getChild('handled-count-too-high', NS_SM)?.attrs).toMatchObject({ h: '5', 'send-count': '0' });
    await alice.peer.expectClosed();
  });

  it('ends the stream with bad-format for an h that is not an unsigned 32-bit number', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    for (const h of ['-1', 'abc', '4294967296']) {
      const alice = await smUser('tcp', aliceJid!, { presence: false });
      alice.peer.send(`<a xmlns='${NS_SM}' h='${h}'/>`);
      await alice.peer.receiveStreamError('bad-format');
    }
  });

  it('ignores an ack that does not move forward (client-quirks.md) and keeps the session', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await smUser('tcp', aliceJid!);
    const bob = await sender(bobJid!);
    for (const body of ['one', 'two']) bob.send(chatXml(alice.jid, body));
    await handle(alice, (got) => bodies(got).length === 2);
    alice.peer.send(ack(2));
    alice.peer.send(ack(1));
    alice.peer.send(ack(2));
    alice.peer.send("<iq type='get' id='still'><ping xmlns='urn:xmpp:ping'/></iq>");
    await handle(alice, (got) => got.some((stanza) => stanza.attrs.id === 'still'));
    alice.peer.destroy();
    bob.peer.destroy();
  });

  it('after the resumption time, the previd is unknown and unacknowledged messages wait in offline storage, once', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await smUser('tcp', aliceJid!, { max: 1 });
    const bob = await sender(bobJid!);
    for (const body of ['one', 'two', 'three']) bob.send(chatXml(alice.jid, body));
    await handle(alice, (got) => bodies(got).length === 3, { answer: false });
    alice.peer.send(ack(alice.handled - 1)); // everything but 'three'
    await bob.sync();
    alice.peer.destroy();
    await untilHibernated(alice.jid);
    bob.send(chatXml(alice.jid, 'four'));
    // an iq request that reaches the waiting session is answered with an error once it expires
    bob.send(`<iq type='get' id='v1' to='${alice.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    await untilGone(alice.jid);
    const error = await bob.peer.receive('iq');
    expect(error.attrs).toMatchObject({ type: 'error', id: 'v1' });
    expect(error.getChild('error')?.getChild('service-unavailable', NS.stanzas)).toBeDefined();
    const late = await connectTcp(server.ports.c2s);
    const failed = await resumeOn(late, local(aliceJid!), passwordOf(aliceJid!), alice.enabled!.attrs.id!, 3);
    expect(failed.getChild('item-not-found', NS.stanzas)).toBeDefined();
    late.destroy();
    // what she had not acknowledged ('three', 'four') is delivered at her next login, once
    const fresh = await smUser('tcp', aliceJid!, { resource: 'laptop' });
    const delivered = await handle(fresh, (got) => bodies(got).length === 2);
    expect(bodies(delivered)).toEqual(['three', 'four']);
    fresh.peer.send(ack(fresh.handled));
    fresh.peer.send(`<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await handle(fresh, (got) => got.some((stanza) => stanza.attrs.id === 'p'));
    fresh.peer.destroy();
    await untilHibernated(fresh.jid);
    const third = await smUser('tcp', aliceJid!, { resource: 'desk' });
    third.peer.send(`<iq type='get' id='p2'><ping xmlns='urn:xmpp:ping'/></iq>`);
    const after = await handle(third, (got) => got.some((stanza) => stanza.attrs.id === 'p2'));
    expect(bodies(after)).toEqual([]);
    third.peer.destroy();
    bob.peer.destroy();
  });

  it('a new login with the same resource replaces a waiting session; what it had not acknowledged reaches the new one', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await smUser('tcp', aliceJid!, { resource: 'phone' });
    const bob = await sender(bobJid!);
    bob.send(chatXml(alice.jid, 'one'));
    await handle(alice, (got) => bodies(got).length === 1);
    alice.peer.destroy();
    await untilHibernated(alice.jid);
    bob.send(chatXml(alice.jid, 'two'));
    await bob.sync();
    const again = await smUser('tcp', aliceJid!, { resource: 'phone' });
    const delivered = await handle(again, (got) => bodies(got).length === 2);
    expect(bodies(delivered)).toEqual(['one', 'two']);
    again.peer.destroy();
    bob.peer.destroy();
  });
});
