// Virtual hosts: one server for example.com and example.org; users chat and subscribe across them,
// and a domain that is not served is refused (RFC 6120 §4.9.3.6 host-unknown, §10.4.3 remote-server-not-found).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { login } from './helpers/clients.ts';
import { connectTcp } from './helpers/raw-stream.ts';
import {
  bare, chat, createUsers, errorCondition, expectNothing, iq, iqError, isError, isMessage, isPresenceFrom, itemFor, online,
  passwordOf, stopAll, subscribeAndApprove, xml,
} from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ domains: ['example.com', 'example.org'] });
});
afterAll(() => server.stop());

describe('two domains on one server', () => {
  it('users of example.com and example.org chat with each other', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice@example.com', 'bob@example.org']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    expect(bob.jid.startsWith(`${bobJid}/`)).toBe(true);

    const toBob = bob.next(isMessage('Hello from .com'));
    await alice.xmpp.send(chat(bobJid!, 'Hello from .com'));
    expect((await toBob).attrs.from).toBe(alice.jid);

    const toAlice = alice.next(isMessage('Hello from .org'));
    await bob.xmpp.send(chat(alice.jid, 'Hello from .org'));
    expect((await toAlice).attrs.from).toBe(bob.jid);
    await stopAll(alice, bob);
  });

  it('subscribe to each other across the domains and exchange presence', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice@example.com', 'bob@example.org']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const bob = await online(server, bobJid!, { presence: { status: 'on .org' } });

    const bobsPresence = alice.next((s) => s.is('presence') && s.attrs.from === bob.jid && s.attrs.type === undefined);
    await subscribeAndApprove(alice, bob);
    expect((await bobsPresence).getChildText('status')).toBe('on .org');
    await subscribeAndApprove(bob, alice);
    expect(await itemFor(alice, bobJid!)).toMatchObject({ subscription: 'both' });
    expect(await itemFor(bob, aliceJid!)).toMatchObject({ subscription: 'both' });

    const gone = alice.next(isPresenceFrom(bob.jid, 'unavailable'));
    await bob.stop();
    await gone;
    await alice.stop();
  });

  it('keeps same-named users of the two domains apart', async () => {
    const [comJid, orgJid] = await createUsers(server, ['alice@example.com', 'alice@example.org']);
    const com = await online(server, comJid!);
    const org = await online(server, orgJid!, { transport: 'websocket' });
    expect(bare(com.jid)).not.toBe(bare(org.jid));

    const atOrg = org.next(isMessage('for .org only'));
    await com.xmpp.send(chat(orgJid!, 'for .org only'));
    await atOrg;
    await expectNothing(com, isMessage('for .org only'), { since: 0 });

    // The .com password does not open the .org account (each account has its own credentials).
    const [carolJid] = await createUsers(server, ['carol@example.com']);
    await expect(login(server, carolJid!.replace('example.com', 'example.org'), passwordOf(carolJid!))).rejects.toThrow(/not-authorized/);
    await stopAll(com, org);
  });

  it('answers disco#info for each domain from that domain', async () => {
    const [aliceJid] = await createUsers(server, ['alice@example.com']);
    const alice = await online(server, aliceJid!);
    for (const domain of ['example.com', 'example.org']) {
      const answer = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), domain);
      expect(answer.attrs.from).toBe(domain);
      expect(answer.getChild('query')!.getChild('identity')!.attrs).toMatchObject({ category: 'server', type: 'im' });
    }
    await alice.stop();
  });
});

describe('domains that are not served', () => {
  it('bounces stanzas for elsewhere.test with remote-server-not-found', async () => {
    const [aliceJid] = await createUsers(server, ['alice@example.org']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });

    const bounced = alice.next(isError('message'));
    await alice.xmpp.send(xml('message', { to: 'someone@elsewhere.test', type: 'chat', id: 'far' }, xml('body', {}, 'anyone?')));
    const error = await bounced;
    expect(error.attrs).toMatchObject({ id: 'far', from: 'someone@elsewhere.test', to: alice.jid });
    expect(errorCondition(error)).toBe('remote-server-not-found');

    expect(await iqError(alice, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), 'elsewhere.test'))
      .toEqual({ condition: 'remote-server-not-found', type: 'cancel' });
    await alice.stop();
  });

  it('refuses a stream to elsewhere.test with host-unknown', async () => {
    // A real client gets the stream error as its login failure…
    await expect(login(server, 'carol@elsewhere.test', 'pw')).rejects.toThrow(/host-unknown/);

    // …and on the wire: the stream header is answered from a served domain, then the error, then the close.
    const raw = await connectTcp(server.ports.c2s);
    raw.send("<?xml version='1.0'?><stream:stream to='elsewhere.test' version='1.0' xmlns='jabber:client' "
      + "xmlns:stream='http://etherx.jabber.org/streams'>");
    const text = await raw.waitFor('</stream:stream>');
    expect(text).toMatch(/<host-unknown xmlns=['"]urn:ietf:params:xml:ns:xmpp-streams['"]\s*\/>/);
    expect(text).toMatch(/from=['"]example\.(com|org)['"]/);
    await raw.closed;
  });
});
