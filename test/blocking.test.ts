// XEP-0191 blocking command (and XEP-0377 reports): the list is kept and pushed, a blocked contact's
// stanzas go nowhere and are answered as for an account that does not exist, the account's own
// stanzas to it are refused with <blocked/>, presence to it is cut; slixmpp blocks and unblocks.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  befriend, chat, createUsers, errorCondition, expectNothing, iq, iqError, isError, isPresenceFrom, online, received,
  sendPresence, stopAll, sync, xml, type Element, type LoggedInClient,
} from './helpers/im.ts';
import { runSlixmpp } from './helpers/slixmpp.ts';

const NS_BLOCKING = 'urn:xmpp:blocking';
const NS_REPORTING = 'urn:xmpp:reporting:1';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ domains: ['example.com', 'other.example'], captureLogs: true });
});
afterAll(() => server.stop());

const block = (...jids: string[]) => xml('block', { xmlns: NS_BLOCKING }, ...jids.map((jid) => xml('item', { jid })));
const unblock = (...jids: string[]) => xml('unblock', { xmlns: NS_BLOCKING }, ...jids.map((jid) => xml('item', { jid })));
const isPush = (name: 'block' | 'unblock') => (stanza: Element) => stanza.is('iq') && stanza.attrs.type === 'set' && !!stanza.getChild(name, NS_BLOCKING);

async function blocklist(client: LoggedInClient): Promise<string[]> {
  const result = await iq(client, 'get', xml('blocklist', { xmlns: NS_BLOCKING }));
  return result.getChild('blocklist', NS_BLOCKING)!.getChildren('item').map((item) => item.attrs.jid);
}

describe('blocking command (XEP-0191)', () => {
  it('blocks a contact: the list is kept and pushed, the contact sees unavailable and gets the answers of a missing account', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!, { resource: 'desk' });
    const phone = await online(server, aliceJid!, { resource: 'phone' });
    const tablet = await online(server, aliceJid!, { resource: 'tablet' }); // never asks for the list
    const bob = await online(server, bobJid!);
    await befriend(alice, bob);
    const info = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'example.com');
    expect(info.getChild('query')!.getChildren('feature').map((feature) => feature.attrs.var)).toEqual(expect.arrayContaining([NS_BLOCKING, NS_REPORTING]));
    expect(await blocklist(alice)).toEqual([]);
    expect(await blocklist(phone)).toEqual([]);

    const gone = bob.next(isPresenceFrom(alice.jid, 'unavailable'));
    const result = await iq(alice, 'set', block(bobJid!));
    expect(result.attrs.type).toBe('result');
    await gone; // §3.3: Bob sees Alice's resources go unavailable
    const pushed = await received(phone, isPush('block'));
    expect(pushed.getChild('block', NS_BLOCKING)!.getChildren('item').map((item) => item.attrs.jid)).toEqual([bobJid]);
    await expectNothing(tablet, isPush('block'));
    expect(await blocklist(alice)).toEqual([bobJid]);

    // Bob's stanzas go nowhere; his message and iq are answered as for an account that does not exist
    const since = alice.received.length;
    await bob.xmpp.send(xml('message', { to: aliceJid, type: 'chat', id: 'm1' }, xml('body', {}, 'hello?')));
    const bounced = await received(bob, isError('message'));
    expect(bounced.attrs).toMatchObject({ id: 'm1', from: aliceJid });
    expect(errorCondition(bounced)).toBe('service-unavailable');
    expect(bounced.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeUndefined();
    expect(await iqError(bob, 'get', xml('vCard', { xmlns: 'vcard-temp' }), aliceJid)).toMatchObject({ condition: 'service-unavailable' });
    expect(await iqError(bob, 'get', xml('ping', { xmlns: 'urn:xmpp:ping' }), alice.jid)).toMatchObject({ condition: 'service-unavailable' });
    await sendPresence(bob, { status: 'look at me' });
    await sync(bob);
    await expectNothing(alice, (stanza) => stanza.attrs.from?.startsWith(bobJid!) === true, { since });
    // nothing of it was kept: not in Alice's archive
    await iq(alice, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'blocked' }));
    expect(alice.received.filter((stanza) => stanza.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'blocked')).toEqual([]);

    // Alice's own message to Bob is refused with <blocked/> (§3.6), and her presence does not reach him
    const bobSince = bob.received.length;
    await alice.xmpp.send(xml('message', { to: bobJid, type: 'chat', id: 'm2' }, xml('body', {}, 'oops')));
    const refused = await received(alice, isError('message'));
    expect(refused.attrs.id).toBe('m2');
    expect(errorCondition(refused)).toBe('not-acceptable');
    expect(refused.getChild('error')!.getChild('blocked', 'urn:xmpp:blocking:errors')).toBeDefined();
    await sendPresence(alice, { status: 'busy' });
    await expectNothing(bob, (stanza) => stanza.attrs.from?.startsWith(aliceJid!) === true, { since: bobSince });

    // kept in storage: a new login reads the same list
    const later = await online(server, aliceJid!, { resource: 'later' });
    expect(await blocklist(later)).toEqual([bobJid]);

    // unblocking: pushed, Bob gets Alice's presence again and his messages arrive
    const back = bob.next(isPresenceFrom(alice.jid));
    await iq(alice, 'set', unblock(bobJid!));
    await received(phone, isPush('unblock'));
    await back;
    await bob.xmpp.send(chat(aliceJid!, 'hello again'));
    await received(alice, (stanza) => stanza.getChildText('body') === 'hello again');
    expect(await blocklist(alice)).toEqual([]);
    await stopAll(alice, phone, tablet, bob, later);
  });

  it('blocks a whole domain, and an empty <unblock/> unblocks everything', async () => {
    const [aliceJid, carolJid, daveJid] = await createUsers(server, ['alice', 'carol@other.example', 'dave']);
    const alice = await online(server, aliceJid!);
    const carol = await online(server, carolJid!);
    const dave = await online(server, daveJid!);
    await iq(alice, 'set', block('other.example', `${daveJid}/phone`));
    expect(await blocklist(alice)).toEqual(['other.example', `${daveJid}/phone`]);
    await carol.xmpp.send(chat(aliceJid!, 'from the other domain'));
    expect(errorCondition(await received(carol, isError('message')))).toBe('service-unavailable');
    // only Dave's 'phone' resource is blocked
    await dave.xmpp.send(chat(aliceJid!, 'from dave'));
    await received(alice, (stanza) => stanza.getChildText('body') === 'from dave');
    await iq(alice, 'set', unblock());
    expect(await blocklist(alice)).toEqual([]);
    await carol.xmpp.send(chat(aliceJid!, 'let me in'));
    await received(alice, (stanza) => stanza.getChildText('body') === 'let me in');
    await stopAll(alice, carol, dave);
  });

  it('takes a XEP-0377 spam report with the block and logs it for the admin', async () => {
    const [aliceJid, spammerJid] = await createUsers(server, ['alice', 'spammer']);
    const alice = await online(server, aliceJid!);
    await iq(alice, 'set', xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: spammerJid },
      xml('report', { xmlns: NS_REPORTING, reason: 'urn:xmpp:reporting:spam' }, xml('text', {}, 'buy now')))));
    expect(await blocklist(alice)).toEqual([spammerJid]);
    expect(server.logs.find((line) => line.event === 'abuse-report' && line.reported === spammerJid)).toMatchObject({
      reporter: aliceJid, reason: 'urn:xmpp:reporting:spam', text: 'buy now',
    });
    await stopAll(alice);
  });

  it('answers bad requests with the standard errors', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    expect(await iqError(alice, 'set', block())).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(alice, 'set', block('not a jid@@'))).toMatchObject({ condition: 'jid-malformed' });
    expect(await iqError(alice, 'set', xml('block', { xmlns: NS_BLOCKING }, xml('item', { jid: bobJid },
      xml('report', { xmlns: NS_REPORTING, reason: 'because' }))))).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(alice, 'get', xml('blocklist', { xmlns: NS_BLOCKING }), bobJid)).toMatchObject({ condition: 'not-allowed' });
    expect(await blocklist(alice)).toEqual([]);
    await stopAll(alice);
  });

  it('works with slixmpp: block, the sender gets an error, unblock, the message arrives', async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const result = await runSlixmpp('blocking', server.ports.c2s, { alice: alice!, bob: bob! });
    expect(result).toEqual({ listed: [bob], errors: ['service-unavailable'], received: ['and now'] });
  });
});
