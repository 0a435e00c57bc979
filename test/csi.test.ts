// XEP-0352 client state indication: an inactive client gets presence updates and chat states held
// and collapsed (the newest per contact) until a message with a body, <active/>, or a full queue.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  befriend, chat, createUsers, online, passwordOf, received, sendPresence, stopAll, sync, xml, type Element, type LoggedInClient,
} from './helpers/im.ts';
import { connectTcp } from './helpers/raw-stream.ts';
import { authenticate } from './helpers/sm.ts';

const NS_CSI = 'urn:xmpp:csi:0';
const NS_CHAT_STATES = 'http://jabber.org/protocol/chatstates';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ config: { c2s: { allowPlaintextOnLoopback: true }, modules: { csi: { maxHeld: 5 } } } });
});
afterAll(() => server.stop());

/** What `client` received from `from` since `since`, as short names: 'presence:status', 'composing', 'body:text'. */
function seenFrom(client: LoggedInClient, from: string, since: number): string[] {
  return client.received.slice(since).filter((stanza) => stanza.attrs.from?.startsWith(from)).map(shortName);
}

function shortName(stanza: Element): string {
  if (stanza.is('presence')) return `presence:${stanza.getChildText('status') ?? stanza.attrs.type ?? ''}`;
  const body = stanza.getChildText('body');
  if (body !== null && body !== undefined) return `body:${body}`;
  return stanza.getChildElements().map((child) => child.name).join(',');
}

const chatState = (to: string, state: string) => xml('message', { to, type: 'chat' }, xml(state, { xmlns: NS_CHAT_STATES }));

async function pair(): Promise<[LoggedInClient, LoggedInClient]> {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await befriend(alice, bob);
  await sync(alice);
  return [alice, bob];
}

describe('client state indication (XEP-0352)', () => {
  it('is offered, and holds presence updates and chat states until a message with a body, newest first per contact', async () => {
    const [alice, bob] = await pair();
    await alice.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
    await sync(alice);
    const since = alice.received.length;
    for (const status of ['one', 'two', 'three']) await sendPresence(bob, { status });
    await bob.xmpp.send(chatState(alice.jid, 'composing'));
    await bob.xmpp.send(chatState(alice.jid, 'paused'));
    await sync(bob);
    // an iq still gets through at once, and nothing held comes with it
    await sync(alice);
    expect(seenFrom(alice, bob.jid, since)).toEqual([]);
    await bob.xmpp.send(chat(alice.jid, 'wake up'));
    await received(alice, (stanza) => stanza.getChildText('body') === 'wake up');
    expect(seenFrom(alice, bob.jid, since)).toEqual(['presence:three', 'paused', 'body:wake up']);
    await stopAll(alice, bob);
  });

  it('flushes at <active/> and delivers at once from then on', async () => {
    const [alice, bob] = await pair();
    await alice.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
    await sync(alice);
    const since = alice.received.length;
    await sendPresence(bob, { status: 'away for lunch' });
    await sync(bob);
    await sync(alice);
    expect(seenFrom(alice, bob.jid, since)).toEqual([]);
    await alice.xmpp.send(xml('active', { xmlns: NS_CSI }));
    await received(alice, (stanza) => stanza.getChildText('status') === 'away for lunch');
    await sendPresence(bob, { status: 'back' });
    await received(alice, (stanza) => stanza.getChildText('status') === 'back');
    expect(seenFrom(alice, bob.jid, since)).toEqual(['presence:away for lunch', 'presence:back']);
    await stopAll(alice, bob);
  });

  it('lets a subscription request through at once, and flushes when more than the limit is held', async () => {
    const [aliceJid, carolJid] = await createUsers(server, ['alice', 'carol']);
    const alice = await online(server, aliceJid!);
    await alice.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
    await sync(alice);
    const contacts: LoggedInClient[] = [];
    for (let i = 0; i < 3; i++) {
      const [contactJid] = await createUsers(server, [`friend${i}`]);
      const contact = await online(server, contactJid!);
      await befriend(alice, contact);
      contacts.push(contact);
    }
    await alice.xmpp.send(xml('active', { xmlns: NS_CSI }));
    await alice.xmpp.send(xml('inactive', { xmlns: NS_CSI }));
    await sync(alice);
    const since = alice.received.length;
    // six chat states from three contacts collapse to three: no flush yet (limit 5)
    for (const contact of contacts) {
      await contact.xmpp.send(chatState(alice.jid, 'composing'));
      await contact.xmpp.send(chatState(alice.jid, 'paused'));
      await sync(contact);
    }
    await sync(alice);
    expect(alice.received.length).toBe(since + 1); // only the ping's result
    // three presences more: six held, over the limit, everything goes out
    for (const contact of contacts) await sendPresence(contact, { status: 'busy' });
    await received(alice, (stanza) => stanza.getChildText('status') === 'busy' && stanza.attrs.from?.startsWith(contacts[2]!.jid.split('/')[0]!) === true);
    const after = alice.received.slice(since).filter((stanza) => !stanza.is('iq')).map(shortName);
    expect(after).toEqual(['paused', 'paused', 'paused', 'presence:busy', 'presence:busy', 'presence:busy']);
    // a subscription request is not held
    const carol = await online(server, carolJid!);
    await carol.xmpp.send(xml('presence', { to: aliceJid, type: 'subscribe' }));
    await received(alice, (stanza) => stanza.attrs.type === 'subscribe');
    await stopAll(alice, carol, ...contacts);
  });

  it('is announced among the stream features after authentication', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const peer = await connectTcp(server.ports.c2s);
    const features = await authenticate(peer, aliceJid!.split('@')[0]!, passwordOf(aliceJid!));
    expect(features.getChild('csi', NS_CSI)).toBeDefined();
    peer.destroy();
  });
});
