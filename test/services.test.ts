// The server's own services: XEP-0030 disco, XEP-0199 ping, XEP-0092 version, XEP-0054 vCard,
// and the generic iq rules (RFC 6120 §8.2.3) for what no module handles.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  bare, chat, createUsers, iq, iqError, isMessage, online, received, stopAll, subscribeAndApprove, sync, xml,
  type Element, type LoggedInClient,
} from './helpers/im.ts';

const NS_DISCO_INFO = 'http://jabber.org/protocol/disco#info';
const NS_DISCO_ITEMS = 'http://jabber.org/protocol/disco#items';
const NS_PING = 'urn:xmpp:ping';
const NS_VERSION = 'jabber:iq:version';
const NS_VCARD = 'vcard-temp';
const NS_REGISTER = 'jabber:iq:register';
const NS_COMMANDS = 'http://jabber.org/protocol/commands';
const NS_EXTDISCO = 'urn:xmpp:extdisco:2';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

function features(query: Element): string[] {
  return query.getChildren('feature').map((feature) => feature.attrs.var);
}

function vcard(fields: Record<string, string>): Element {
  return xml('vCard', { xmlns: NS_VCARD }, ...Object.entries(fields).map(([name, text]) => xml(name, {}, text)));
}

/** Each server feature a module advertises, with a dialogue showing that it really works. */
const featureChecks: Record<string, (client: LoggedInClient, offline: string) => Promise<void>> = {
  [NS_DISCO_INFO]: async (client) => {
    const info = await iq(client, 'get', xml('query', { xmlns: NS_DISCO_INFO }), 'example.com');
    expect(info.getChild('query', NS_DISCO_INFO)).toBeDefined();
  },
  [NS_DISCO_ITEMS]: async (client) => {
    const items = await iq(client, 'get', xml('query', { xmlns: NS_DISCO_ITEMS }), 'example.com');
    // XEP-0045 §6.1: the domain's MUC service (components/muc/); XEP-0363 §3: its upload service
    // (test/upload.test.ts); XEP-0060 §5.1: its pubsub service (test/pubsub-service.test.ts); nothing else
    expect(items.getChild('query', NS_DISCO_ITEMS)!.getChildren('item').map((item) => item.attrs)).toEqual([
      { jid: 'conference.example.com', name: 'Chatrooms' }, { jid: 'upload.example.com', name: 'HTTP File Upload' },
      { jid: 'pubsub.example.com', name: 'Publish-Subscribe' },
    ]);
  },
  [NS_REGISTER]: async (client) => {
    // XEP-0077 §3.2: a logged-in account is told it is registered (password change and cancellation: test/register.test.ts)
    const query = (await iq(client, 'get', xml('query', { xmlns: NS_REGISTER }), 'example.com')).getChild('query', NS_REGISTER)!;
    expect(query.getChild('registered')).toBeDefined();
  },
  [NS_COMMANDS]: async (client) => {
    // XEP-0050 §2.2: the command list; a user who administers nothing gets none (test/admin-commands.test.ts)
    const query = (await iq(client, 'get', xml('query', { xmlns: NS_DISCO_ITEMS, node: NS_COMMANDS }), 'example.com')).getChild('query', NS_DISCO_ITEMS)!;
    expect(query.attrs.node).toBe(NS_COMMANDS);
    expect(query.getChildren('item')).toEqual([]);
  },
  [NS_EXTDISCO]: async (client) => {
    // XEP-0215 §3.2: none configured here (STUN/TURN with coturn: test/external-services.test.ts)
    const services = (await iq(client, 'get', xml('services', { xmlns: NS_EXTDISCO }), 'example.com')).getChild('services', NS_EXTDISCO)!;
    expect(services.getChildren('service')).toEqual([]);
  },
  [NS_PING]: async (client) => {
    expect((await iq(client, 'get', xml('ping', { xmlns: NS_PING }), 'example.com')).attrs).toMatchObject({ type: 'result', from: 'example.com' });
  },
  [NS_VERSION]: async (client) => {
    const query = (await iq(client, 'get', xml('query', { xmlns: NS_VERSION }), 'example.com')).getChild('query', NS_VERSION)!;
    expect(query.getChildText('name')).toBe('Parley');
    expect(query.getChildText('version')).toMatch(/^\d+\.\d+\.\d+/);
  },
  [NS_VCARD]: async (client) => {
    await iq(client, 'set', vcard({ FN: 'Feature Check' }));
    const stored = await iq(client, 'get', xml('vCard', { xmlns: NS_VCARD }));
    expect(stored.getChild('vCard', NS_VCARD)!.getChildText('FN')).toBe('Feature Check');
  },
  // XEP-0163: the account's own PEP service takes a publish and returns the item
  'http://jabber.org/protocol/pubsub': async (client) => {
    const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
    await iq(client, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: 'urn:example:check' },
      xml('item', { id: 'one' }, xml('check', { xmlns: 'urn:example' })))));
    const items = await iq(client, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: 'urn:example:check' })));
    expect(items.getChild('pubsub', NS_PUBSUB)!.getChild('items')!.getChildren('item').map((item) => item.attrs.id)).toEqual(['one']);
  },
  // XEP-0060 §4.5: a whitelist node is the owner's alone until an affiliation lets someone in
  'http://jabber.org/protocol/pubsub#access-whitelist': async (client, other) => {
    const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
    const options = xml('publish-options', {}, xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, `${NS_PUBSUB}#publish-options`)),
      xml('field', { var: 'pubsub#access_model' }, xml('value', {}, 'whitelist'))));
    await iq(client, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: 'urn:example:secret' },
      xml('item', { id: 'one' }, xml('secret', { xmlns: 'urn:example' }))), options));
    const reader = await online(server, other, { transport: 'websocket' });
    expect((await iqError(reader, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: 'urn:example:secret' })), bare(client.jid))).condition)
      .toBe('not-allowed');
    await reader.stop();
  },
  // XEP-0280: enabled and disabled for the resource (test/carbons.test.ts has the copies themselves)
  'urn:xmpp:carbons:2': async (client) => {
    expect((await iq(client, 'set', xml('enable', { xmlns: 'urn:xmpp:carbons:2' }))).attrs.type).toBe('result');
    expect((await iq(client, 'set', xml('disable', { xmlns: 'urn:xmpp:carbons:2' }))).attrs.type).toBe('result');
  },
  // XEP-0191 (test/blocking.test.ts has what blocking does)
  'urn:xmpp:blocking': async (client, other) => {
    const list = async () => (await iq(client, 'get', xml('blocklist', { xmlns: 'urn:xmpp:blocking' })))
      .getChild('blocklist', 'urn:xmpp:blocking')!.getChildren('item').map((item) => item.attrs.jid);
    await iq(client, 'set', xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: `x${other}` })));
    expect(await list()).toEqual([`x${other}`]);
    await iq(client, 'set', xml('unblock', { xmlns: 'urn:xmpp:blocking' }));
    expect(await list()).toEqual([]);
  },
  // XEP-0377: a report travels inside a block
  'urn:xmpp:reporting:1': async (client, other) => {
    const report = xml('report', { xmlns: 'urn:xmpp:reporting:1', reason: 'urn:xmpp:reporting:spam' });
    expect((await iq(client, 'set', xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: `y${other}` }, report)))).attrs.type).toBe('result');
    await iq(client, 'set', xml('unblock', { xmlns: 'urn:xmpp:blocking' }));
  },
  msgoffline: async (client, offline) => {
    await client.xmpp.send(chat(offline, 'kept for later'));
    await sync(client);
    const recipient = await online(server, offline, { transport: 'websocket' });
    const message = await received(recipient, isMessage('kept for later'));
    expect(message.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
    await recipient.stop();
  },
};

describe('service discovery of the server (XEP-0030)', () => {
  it('is a server/im that advertises exactly what its modules register, and each of those works', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });

    const query = (await iq(alice, 'get', xml('query', { xmlns: NS_DISCO_INFO }), 'example.com')).getChild('query', NS_DISCO_INFO)!;
    expect(query.getChildren('identity').map((identity) => identity.attrs)).toContainEqual(expect.objectContaining({ category: 'server', type: 'im' }));
    const advertised = features(query);
    expect(new Set(advertised).size).toBe(advertised.length);
    expect([...advertised].sort()).toEqual([...server.server.disco.serverFeatures()].sort());
    expect(advertised).toEqual(expect.arrayContaining([NS_DISCO_INFO, NS_DISCO_ITEMS, NS_PING, NS_VERSION, NS_VCARD, 'msgoffline']));

    // A feature advertised without a check below is a claim nobody verified: add its dialogue here.
    expect(advertised.filter((feature) => !(feature in featureChecks))).toEqual([]);
    for (const feature of advertised) await featureChecks[feature]!(alice, bobJid!);
    await alice.stop();
  });

  it('answers a node it does not know with item-not-found', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    expect((await iqError(alice, 'get', xml('query', { xmlns: NS_DISCO_INFO, node: 'urn:example:none' }), 'example.com')).condition)
      .toBe('item-not-found');
    await alice.stop();
  });
});

describe('service discovery of an account (XEP-0030 §3.1)', () => {
  it("is answered by the server for the account's own user and for a subscribed contact, not for strangers", async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    const carol = await online(server, carolJid!);
    await subscribeAndApprove(bob, alice); // Bob may see Alice's presence

    for (const asker of [alice, bob]) {
      const answer = await iq(asker, 'get', xml('query', { xmlns: NS_DISCO_INFO }), aliceJid);
      expect(answer.attrs.from).toBe(aliceJid);
      const query = answer.getChild('query', NS_DISCO_INFO)!;
      expect(query.getChild('identity')!.attrs).toMatchObject({ category: 'account', type: 'registered' });
      expect(features(query)).toEqual(expect.arrayContaining([NS_DISCO_INFO, NS_VCARD]));
    }
    expect((await iqError(carol, 'get', xml('query', { xmlns: NS_DISCO_INFO }), aliceJid)).condition).toBe('service-unavailable');
    await stopAll(alice, bob, carol);
  });
});

describe('XEP-0199 ping and XEP-0092 version', () => {
  it('answers a ping to the server, and routes a ping to a client that answers it', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    // Bob's client supports ping (XEP-0199 §4.2) and answers it itself.
    const callee = (bob.xmpp as unknown as { iqCallee: { get(ns: string, name: string, handler: () => boolean): void } }).iqCallee;
    callee.get(NS_PING, 'ping', () => true);

    const fromServer = await iq(alice, 'get', xml('ping', { xmlns: NS_PING }), 'example.com');
    expect(fromServer.attrs).toMatchObject({ type: 'result', from: 'example.com', to: alice.jid });
    expect(fromServer.children).toEqual([]);

    const fromBob = await iq(alice, 'get', xml('ping', { xmlns: NS_PING }), bob.jid);
    expect(fromBob.attrs).toMatchObject({ type: 'result', from: bob.jid });
    await stopAll(alice, bob);
  });

  it("tells the server's software name and version", async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    const query = (await iq(alice, 'get', xml('query', { xmlns: NS_VERSION }), 'example.com')).getChild('query', NS_VERSION)!;
    expect(query.getChildText('name')).toBe('Parley');
    expect(query.getChildText('version')).toBeTruthy();
    await alice.stop();
  });
});

describe('vCards (XEP-0054)', () => {
  it('lets a user store and read back their own vCard, and others read it', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });

    // Alice has no vCard yet: an empty one.
    const empty = (await iq(alice, 'get', xml('vCard', { xmlns: NS_VCARD }))).getChild('vCard', NS_VCARD)!;
    expect(empty.children).toEqual([]);

    const result = await iq(alice, 'set', vcard({ FN: 'Alice Liddell', NICKNAME: 'alice', EMAIL: aliceJid! }));
    expect(result.attrs.type).toBe('result');

    const own = (await iq(alice, 'get', xml('vCard', { xmlns: NS_VCARD }))).getChild('vCard', NS_VCARD)!;
    expect(own.getChildText('FN')).toBe('Alice Liddell');
    expect(own.getChildText('NICKNAME')).toBe('alice');

    const seenByBob = await iq(bob, 'get', xml('vCard', { xmlns: NS_VCARD }), aliceJid);
    expect(seenByBob.attrs.from).toBe(aliceJid);
    expect(seenByBob.getChild('vCard', NS_VCARD)!.getChildText('EMAIL')).toBe(aliceJid);
    await stopAll(alice, bob);
  });

  it("refuses to change someone else's vCard with forbidden", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    const bob = await online(server, bobJid!, { transport: 'websocket' });
    await iq(alice, 'set', vcard({ FN: 'Alice' }));

    expect((await iqError(bob, 'set', vcard({ FN: 'Mallory' }), aliceJid))).toEqual({ condition: 'forbidden', type: 'auth' });
    const still = await iq(bob, 'get', xml('vCard', { xmlns: NS_VCARD }), aliceJid);
    expect(still.getChild('vCard', NS_VCARD)!.getChildText('FN')).toBe('Alice');
    expect((await iqError(bob, 'get', xml('vCard', { xmlns: NS_VCARD }), 'ghost@example.com')).condition).toBe('service-unavailable');
    await stopAll(alice, bob);
  });
});

describe('iq rules (RFC 6120 §8.2.3, §8.3.3.19)', () => {
  it('answers an iq with two payloads, or none, with bad-request', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    const two = alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'example.com' },
      xml('ping', { xmlns: NS_PING }), xml('query', { xmlns: NS_VERSION })));
    await expect(two).rejects.toMatchObject({ condition: 'bad-request' });
    const none = alice.xmpp.iqCaller.request(xml('iq', { type: 'get', to: 'example.com' }));
    await expect(none).rejects.toMatchObject({ condition: 'bad-request' });
    await alice.stop();
  });

  it('answers a namespace nobody handles with service-unavailable, for the server and for an account', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { transport: 'websocket' });
    for (const to of ['example.com', aliceJid, bobJid, undefined]) {
      expect(await iqError(alice, 'get', xml('query', { xmlns: 'urn:example:unknown' }), to))
        .toEqual({ condition: 'service-unavailable', type: 'cancel' });
    }
    // A known namespace with the wrong iq type is not handled either.
    expect((await iqError(alice, 'set', xml('query', { xmlns: NS_VERSION }), 'example.com')).condition).toBe('service-unavailable');
    await alice.stop();
  });
});
