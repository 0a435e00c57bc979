// RFC 6121 §8.5 (and RFC 6120 §8.1.2, §10): where the server delivers messages and iqs between local users.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  chat, createUsers, errorCondition, expectNothing, iq, iqError, isError, isMessage, online, sendPresence, stopAll, sync,
  xml, type Element, type LoggedInClient, receivedXml,
} from './helpers/im.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

/** Alice sends a message and waits for the server to have routed it (a ping after it on the same stream). */
async function sendAndSettle(client: LoggedInClient, stanza: Element): Promise<void> {
  await client.xmpp.send(stanza);
  await sync(client);
}

describe('messages to a bare JID (§8.5.2.1.1)', () => {
  it('go to the available resource(s) with the highest non-negative priority only', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const high = await online(server, bobJid!, { resource: 'high', presence: { priority: 5 } });
    const low = await online(server, bobJid!, { resource: 'low', transport: 'websocket', presence: { priority: 1 } });
    const negative = await online(server, bobJid!, { resource: 'negative', presence: { priority: -1 } });

    // Alice sends a chat to Bob's bare JID: only 'high' (priority 5) receives it.
    const atHigh = high.next(isMessage('one'));
    await sendAndSettle(alice, chat(bobJid!, 'one'));
    expect((await atHigh).attrs.to).toBe(bobJid);
    await expectNothing(low, isMessage('one'), { since: 0 });

    // 'low' raises its priority to 5 as well: a chat and a normal message now reach both.
    await sendPresence(low, { priority: 5 });
    const both = [high.next(isMessage('two')), low.next(isMessage('two'))];
    const normal = [high.next(isMessage('three')), low.next(isMessage('three'))];
    await alice.xmpp.send(chat(bobJid!, 'two'));
    await alice.xmpp.send(xml('message', { to: bobJid }, xml('body', {}, 'three')));
    await Promise.all([...both, ...normal]);

    // The negative-priority resource never gets a message addressed to the bare JID.
    await sync(negative);
    expect(receivedXml(negative, isMessage())).toEqual([]);
    await stopAll(alice, high, low, negative);
  });

  it('headline messages go to every resource with a non-negative priority', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const high = await online(server, bobJid!, { resource: 'high', presence: { priority: 5 } });
    const low = await online(server, bobJid!, { resource: 'low', transport: 'websocket', presence: { priority: 0 } });
    const negative = await online(server, bobJid!, { resource: 'negative', presence: { priority: -5 } });

    const delivered = [high.next(isMessage('Breaking news')), low.next(isMessage('Breaking news'))];
    await sendAndSettle(alice, chat(bobJid!, 'Breaking news', 'headline'));
    await Promise.all(delivered);
    await sync(negative);
    expect(receivedXml(negative, isMessage())).toEqual([]);
    await stopAll(alice, high, low, negative);
  });

  it('groupchat to a bare JID is refused with service-unavailable, online or not (§8.5.2.1.1, §8.5.2.2.1)', async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });

    for (const to of [bobJid!, carolJid!]) {
      const bounced = alice.next(isError('message'));
      await alice.xmpp.send(xml('message', { to, type: 'groupchat', id: `gc-${to}` }, xml('body', {}, 'room?')));
      const error = await bounced;
      expect(error.attrs.from).toBe(to);
      expect(error.attrs.id).toBe(`gc-${to}`);
      expect(errorCondition(error)).toBe('service-unavailable');
    }
    await sync(bob);
    expect(receivedXml(bob, (s) => s.is('message'))).toEqual([]);
    await stopAll(alice, bob);
  });

  it('headline to an offline user is dropped silently, and not kept for later', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    await sendAndSettle(alice, chat(bobJid!, 'Nobody reads this', 'headline'));
    expect(receivedXml(alice, isError('message'))).toEqual([]);

    const bob = await online(server, bobJid!, { transport: 'websocket' });
    await sync(bob);
    expect(receivedXml(bob, (s) => s.is('message'))).toEqual([]);
    await stopAll(alice, bob);
  });

  it('a message to a local user that does not exist bounces with service-unavailable (§8.5.1)', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const bounced = alice.next(isError('message'));
    await alice.xmpp.send(xml('message', { to: 'ghost@example.com', type: 'chat', id: 'm-ghost' }, xml('body', {}, 'Boo?')));
    const error = await bounced;
    expect(error.attrs).toMatchObject({ from: 'ghost@example.com', to: alice.jid, id: 'm-ghost' });
    expect(errorCondition(error)).toBe('service-unavailable');
    expect(error.getChildText('body')).toBe('Boo?');
    await alice.stop();
  });
});

describe('stanzas to a full JID (§8.5.3)', () => {
  it('a message to a full JID reaches that resource only, even a low or negative priority one', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const high = await online(server, bobJid!, { resource: 'high', presence: { priority: 5 } });
    const negative = await online(server, bobJid!, { resource: 'negative', transport: 'websocket', presence: { priority: -1 } });

    const direct = negative.next(isMessage('just for you'));
    await sendAndSettle(alice, chat(negative.jid, 'just for you'));
    expect((await direct).attrs.to).toBe(negative.jid);
    await sync(high);
    expect(receivedXml(high, isMessage())).toEqual([]);
    await stopAll(alice, high, negative);
  });

  it('a chat to an unavailable full JID of an online user follows the bare JID rules (§8.5.3.2.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const bob = await online(server, bobJid!, { resource: 'laptop' });

    const fallback = bob.next(isMessage('are you still on your phone?'));
    await alice.xmpp.send(chat(`${bobJid}/phone`, 'are you still on your phone?'));
    expect((await fallback).attrs.from).toBe(alice.jid);
    await stopAll(alice, bob);
  });

  it('an iq to an unavailable full JID gets service-unavailable (§8.5.3.2.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { resource: 'laptop', transport: 'websocket' });

    expect(await iqError(alice, 'get', xml('query', { xmlns: 'jabber:iq:version' }), `${bobJid}/phone`))
      .toEqual({ condition: 'service-unavailable', type: 'cancel' });
    await stopAll(alice, bob);
  });

  it('an iq between two full JIDs is routed and answered, errors included', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const bob = await online(server, bobJid!);
    // Bob's client answers software version queries (XEP-0092) itself.
    const callee = (bob.xmpp as unknown as { iqCallee: { get(ns: string, name: string, handler: () => Element): void } }).iqCallee;
    callee.get('jabber:iq:version', 'query', () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'Bob Client')));

    const answer = await iq(alice, 'get', xml('query', { xmlns: 'jabber:iq:version' }), bob.jid);
    expect(answer.attrs.from).toBe(bob.jid);
    expect(answer.getChild('query', 'jabber:iq:version')!.getChildText('name')).toBe('Bob Client');

    // A namespace Bob's client does not know: its own service-unavailable comes back through the server.
    expect((await iqError(alice, 'get', xml('query', { xmlns: 'urn:example:unknown' }), bob.jid)).condition).toBe('service-unavailable');
    await stopAll(alice, bob);
  });
});

describe("the sender's address (RFC 6120 §8.1.2.1)", () => {
  it("stamps 'from' with the sender's full JID, whether the client left it out or gave its bare JID", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { resource: 'desk' });
    const bob = await online(server, bobJid!, { transport: 'websocket' });

    const first = bob.next(isMessage('no from'));
    const second = bob.next(isMessage('bare from'));
    await alice.xmpp.send(chat(bobJid!, 'no from'));
    await alice.xmpp.send(xml('message', { to: bobJid, from: aliceJid, type: 'chat' }, xml('body', {}, 'bare from')));
    expect((await first).attrs.from).toBe(`${aliceJid}/desk`);
    expect((await second).attrs.from).toBe(`${aliceJid}/desk`);
    await stopAll(alice, bob);
  });

  it("ends the stream with invalid-from when a client claims someone else's address", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });

    const streamError = new Promise<{ condition?: string }>((resolve) => alice.xmpp.on('error', (error) => resolve(error as { condition?: string })));
    await alice.xmpp.send(xml('message', { to: bobJid, from: 'mallory@example.com', type: 'chat' }, xml('body', {}, 'spoofed')));
    expect((await streamError).condition).toBe('invalid-from');
    await expectNothing(bob, isMessage('spoofed'), { since: 0, waitMs: 50 });
    await stopAll(alice, bob);
  });
});

describe('iq to an account (§8.5.1, §8.5.2)', () => {
  it('is answered by the server for an existing account, and with service-unavailable for one that does not exist', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);

    const pong = await iq(alice, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), bobJid);
    expect(pong.attrs).toMatchObject({ type: 'result', from: bobJid });
    expect(await iqError(alice, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), 'ghost@example.com'))
      .toEqual({ condition: 'service-unavailable', type: 'cancel' });
    await alice.stop();
  });
});
