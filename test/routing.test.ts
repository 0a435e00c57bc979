// RFC 6121 §8.5 (and RFC 6120 §8.1.2, §10): where the server delivers messages and iqs between
// local users, written as the dialogue (helpers/dialogue.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers } from './helpers/im.ts';
import { enter, leaveAll, xml, type Party } from './helpers/dialogue.ts';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const chat = (to: string, body: string, type = 'chat') => `<message to='${to}' type='${type}'><body>${body}</body></message>`;
const stanzaError = (kind: string, condition: string, attributes: string, payload = '', type = '{*}') =>
  `<${kind} type='error' ${attributes}>${payload}<error type='${type}'><${condition} xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></${kind}>`;

/** Sessions of one account see each other come online (RFC 6121 §4.2.2). */
async function seeEachOther(...resources: Party[]): Promise<void> {
  for (const party of resources) {
    await party.receives(...resources.filter((other) => other !== party).map((other) => `<presence from='${other.jid}'/>`));
  }
}

/** Alice's stanza, and a round trip after it on her stream: by then the server has routed it. */
async function sendsAndSettles(party: Party, stanza: string): Promise<void> {
  await party.sends(stanza);
  await party.sync();
}

describe('messages to a bare JID (§8.5.2.1.1)', () => {
  it('go to the available resource(s) with the highest non-negative priority only', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    const high = await enter(server, bobJid!, { resource: 'high', presence: '<presence><priority>5</priority></presence>' });
    const low = await enter(server, bobJid!, { resource: 'low', transport: 'websocket', presence: '<presence><priority>1</priority></presence>' });
    const negative = await enter(server, bobJid!, { resource: 'negative', presence: '<presence><priority>-1</priority></presence>' });
    await seeEachOther(high, low, negative);

    // Alice sends a chat to Bob's bare JID: only 'high' (priority 5) receives it.
    await sendsAndSettles(alice, chat(bobJid!, 'one'));
    await high.receives(`<message to='${bobJid}'><body>one</body></message>`);
    await low.receivesNothing();

    // 'low' raises its priority to 5 as well: a chat and a normal message now reach both.
    await low.sends('<presence><priority>5</priority></presence>');
    const raised = `<presence from='${low.jid}'><priority>5</priority></presence>`;
    await low.receives(raised);
    await high.receives(raised);
    await negative.receives(raised);
    await alice.sends(chat(bobJid!, 'two'));
    await alice.sends(`<message to='${bobJid}'><body>three</body></message>`);
    for (const resource of [high, low]) await resource.receives('<message><body>two</body></message>', '<message><body>three</body></message>');

    // The negative-priority resource never gets a message addressed to the bare JID.
    await negative.receivesNothing();
    await leaveAll(alice, high, low, negative);
  });

  it('headline messages go to every resource with a non-negative priority', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const high = await enter(server, bobJid!, { resource: 'high', presence: '<presence><priority>5</priority></presence>' });
    const low = await enter(server, bobJid!, { resource: 'low', transport: 'websocket', presence: '<presence><priority>0</priority></presence>' });
    const negative = await enter(server, bobJid!, { resource: 'negative', presence: '<presence><priority>-5</priority></presence>' });
    await seeEachOther(high, low, negative);

    await sendsAndSettles(alice, chat(bobJid!, 'Breaking news', 'headline'));
    await high.receives("<message type='headline'><body>Breaking news</body></message>");
    await low.receives("<message type='headline'><body>Breaking news</body></message>");
    await negative.receivesNothing();
    await leaveAll(alice, high, low, negative);
  });

  it('groupchat to a bare JID is refused with service-unavailable, online or not (§8.5.2.1.1, §8.5.2.2.1)', async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });

    for (const to of [bobJid!, carolJid!]) {
      await alice.sends(`<message to='${to}' type='groupchat' id='gc-${to}'><body>room?</body></message>`);
      await alice.receives(stanzaError('message', 'service-unavailable', `from='${to}' id='gc-${to}'`));
    }
    await bob.receivesNothing();
    await leaveAll(alice, bob);
  });

  it('headline to an offline user is dropped silently, and not kept for later', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    await sendsAndSettles(alice, chat(bobJid!, 'Nobody reads this', 'headline'));
    await alice.receivesNothing();

    const bob = await enter(server, bobJid!, { transport: 'websocket' });
    await bob.receivesNothing();
    await leaveAll(alice, bob);
  });

  it('a message to a local user that does not exist bounces with service-unavailable (§8.5.1)', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    await alice.sends("<message to='ghost@example.com' type='chat' id='m-ghost'><body>Boo?</body></message>");
    await alice.receives(stanzaError('message', 'service-unavailable', `from='ghost@example.com' to='${alice.jid}' id='m-ghost'`, '<body>Boo?</body>'));
    await alice.stop();
  });
});

describe('stanzas to a full JID (§8.5.3)', () => {
  it('a message to a full JID reaches that resource only, even a low or negative priority one', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const high = await enter(server, bobJid!, { resource: 'high', presence: '<presence><priority>5</priority></presence>' });
    const negative = await enter(server, bobJid!, { resource: 'negative', transport: 'websocket', presence: '<presence><priority>-1</priority></presence>' });
    await seeEachOther(high, negative);

    await sendsAndSettles(alice, chat(negative.jid, 'just for you'));
    await negative.receives(`<message to='${negative.jid}'><body>just for you</body></message>`);
    await high.receivesNothing();
    await leaveAll(alice, high, negative);
  });

  it('a chat to an unavailable full JID of an online user follows the bare JID rules (§8.5.3.2.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    const bob = await enter(server, bobJid!, { resource: 'laptop' });

    await alice.sends(chat(`${bobJid}/phone`, 'are you still on your phone?'));
    await bob.receives(`<message from='${alice.jid}'><body>are you still on your phone?</body></message>`);
    await leaveAll(alice, bob);
  });

  it('an iq to an unavailable full JID gets service-unavailable (§8.5.3.2.1)', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { resource: 'laptop', transport: 'websocket' });

    await alice.sends(`<iq type='get' id='v1' to='${bobJid}/phone'><query xmlns='jabber:iq:version'/></iq>`);
    await alice.receives(stanzaError('iq', 'service-unavailable', "id='v1'", '', 'cancel'));
    await leaveAll(alice, bob);
  });

  it('an iq between two full JIDs is routed and answered, errors included', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { transport: 'websocket' });
    const bob = await enter(server, bobJid!);
    // Bob's client answers software version queries (XEP-0092) itself.
    const callee = (bob.client.xmpp as unknown as { iqCallee: { get(ns: string, name: string, handler: () => unknown): void } }).iqCallee;
    callee.get('jabber:iq:version', 'query', () => xml('query', { xmlns: 'jabber:iq:version' }, xml('name', {}, 'Bob Client')));

    await alice.sends(`<iq type='get' id='v1' to='${bob.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    await bob.receives(`<iq type='get' id='v1' from='${alice.jid}'><query xmlns='jabber:iq:version'/></iq>`);
    await alice.receives(`<iq type='result' id='v1' from='${bob.jid}'><query xmlns='jabber:iq:version'><name>Bob Client</name></query></iq>`);

    // A namespace Bob's client does not know: its own service-unavailable comes back through the server.
    await alice.sends(`<iq type='get' id='v2' to='${bob.jid}'><query xmlns='urn:example:unknown'/></iq>`);
    await bob.receives(`<iq type='get' id='v2' from='${alice.jid}'><query xmlns='urn:example:unknown'/></iq>`);
    await alice.receives(stanzaError('iq', 'service-unavailable', `id='v2' from='${bob.jid}'`));
    await leaveAll(alice, bob);
  });
});

describe("the sender's address (RFC 6120 §8.1.2.1)", () => {
  it("stamps 'from' with the sender's full JID, whether the client left it out or gave its bare JID", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!, { resource: 'desk' });
    const bob = await enter(server, bobJid!, { transport: 'websocket' });

    await alice.sends(chat(bobJid!, 'no from'));
    await alice.sends(`<message to='${bobJid}' from='${aliceJid}' type='chat'><body>bare from</body></message>`);
    await bob.receives(`<message from='${aliceJid}/desk'><body>no from</body></message>`);
    await bob.receives(`<message from='${aliceJid}/desk'><body>bare from</body></message>`);
    await leaveAll(alice, bob);
  });

  it("ends the stream with invalid-from when a client claims someone else's address", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);
    const bob = await enter(server, bobJid!, { transport: 'websocket' });

    const streamError = new Promise<{ condition?: string }>((resolve) => alice.client.xmpp.on('error', (error) => resolve(error as { condition?: string })));
    await alice.sends(`<message to='${bobJid}' from='mallory@example.com' type='chat'><body>spoofed</body></message>`);
    expect((await streamError).condition).toBe('invalid-from');
    await bob.receivesNothing({ waitMs: 50 });
    await leaveAll(alice, bob);
  });
});

describe('iq to an account (§8.5.1, §8.5.2)', () => {
  it('is answered by the server for an existing account, and with service-unavailable for one that does not exist', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await enter(server, aliceJid!);

    await alice.sends(`<iq type='get' id='ping-1' to='${bobJid}'><ping xmlns='urn:xmpp:ping'/></iq>`);
    await alice.receives(`<iq type='result' id='ping-1' from='${bobJid}'/>`);
    await alice.sends("<iq type='get' id='ping-2' to='ghost@example.com'><ping xmlns='urn:xmpp:ping'/></iq>");
    await alice.receives(stanzaError('iq', 'service-unavailable', "id='ping-2'", '', 'cancel'));
    await alice.stop();
  });
});
