// XEP-0280 message carbons: received and sent copies reach every other resource that enabled them,
// with archive ids; <private/> and <no-copy/> keep a message uncopied; a resource that did not
// enable (or disabled) carbons gets none; slixmpp sees both directions on its second resource.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  chat, createUsers, expectNothing, iq, iqError, online, received, stopAll, sync, xml, type Element, type LoggedInClient,
} from './helpers/im.ts';
import { runSlixmpp } from './helpers/slixmpp.ts';

const NS_CARBONS = 'urn:xmpp:carbons:2';
const NS_FORWARD = 'urn:xmpp:forward:0';
const NS_SID = 'urn:xmpp:sid:0';

let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

const enable = (client: LoggedInClient) => iq(client, 'set', xml('enable', { xmlns: NS_CARBONS }));
const isCarbon = (direction: 'received' | 'sent') => (stanza: Element) => stanza.is('message') && !!stanza.getChild(direction, NS_CARBONS);

function forwardedOf(carbon: Element, direction: 'received' | 'sent'): Element {
  return carbon.getChild(direction, NS_CARBONS)!.getChild('forwarded', NS_FORWARD)!.getChild('message')!;
}

describe('message carbons (XEP-0280)', () => {
  it('is announced by the server and enabled with an empty result (no more service-unavailable for profanity)', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    const info = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), 'example.com');
    expect(info.getChild('query')!.getChildren('feature').map((feature) => feature.attrs.var)).toContain(NS_CARBONS);
    const result = await enable(alice);
    expect(result.attrs.type).toBe('result');
    expect(result.children).toEqual([]);
    await stopAll(alice);
  });

  it('copies received and sent messages to the other resources that enabled carbons, with archive ids', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const phone = await online(server, aliceJid!, { resource: 'phone' });
    const laptop = await online(server, aliceJid!, { resource: 'laptop' });
    const tablet = await online(server, aliceJid!, { resource: 'tablet' }); // never enables carbons
    const bob = await online(server, bobJid!, { resource: 'desk' });
    await enable(phone);
    await enable(laptop);

    // Bob writes to Alice's phone: her laptop gets a received carbon, her tablet nothing
    await bob.xmpp.send(chat(phone.jid, 'hi phone'));
    const original = await received(phone, (s) => s.is('message') && s.getChildText('body') === 'hi phone');
    const carbon = await received(laptop, isCarbon('received'));
    expect(carbon.attrs).toMatchObject({ from: aliceJid, to: laptop.jid, type: 'chat' });
    const inner = forwardedOf(carbon, 'received');
    expect(inner.attrs).toMatchObject({ from: bob.jid, to: phone.jid, type: 'chat' });
    expect(inner.getChildText('body')).toBe('hi phone');
    // the copy carries the id Alice's archive gave the message (the same the phone got)
    const archiveId = original.getChild('stanza-id', NS_SID)!;
    expect(archiveId.attrs.by).toBe(aliceJid);
    expect(inner.getChild('stanza-id', NS_SID)?.attrs.id).toBe(archiveId.attrs.id);

    // Alice answers from her phone: the laptop gets a sent carbon with the id of her own archive entry
    await phone.xmpp.send(chat(bob.jid, 'hi bob'));
    await received(bob, (s) => s.is('message') && s.getChildText('body') === 'hi bob');
    const sent = await received(laptop, isCarbon('sent'));
    expect(sent.attrs).toMatchObject({ from: aliceJid, to: laptop.jid });
    const mine = forwardedOf(sent, 'sent');
    expect(mine.attrs).toMatchObject({ from: phone.jid, to: bob.jid });
    const ownId = mine.getChild('stanza-id', NS_SID);
    expect(ownId?.attrs.by).toBe(aliceJid);
    const page = await iq(laptop, 'set', xml('query', { xmlns: 'urn:xmpp:mam:2', queryid: 'q' }));
    expect(page.attrs.type).toBe('result');
    const archived = laptop.received.filter((s) => s.getChild('result', 'urn:xmpp:mam:2')?.attrs.queryid === 'q')
      .map((s) => s.getChild('result', 'urn:xmpp:mam:2')!.attrs.id);
    expect(archived).toContain(ownId!.attrs.id);

    // to her bare JID: the phone and laptop (priority 0 each) get the message itself, no carbons
    await bob.xmpp.send(chat(aliceJid!, 'to all'));
    await received(laptop, (s) => s.is('message') && s.getChildText('body') === 'to all');
    await expectNothing(laptop, (s) => isCarbon('received')(s) && forwardedOf(s, 'received').getChildText('body') === 'to all');
    await expectNothing(tablet, (s) => isCarbon('received')(s) || isCarbon('sent')(s));
    await stopAll(phone, laptop, tablet, bob);
  });

  it('copies nothing marked <private/> or <no-copy/>, nor to a resource that disabled carbons', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const phone = await online(server, aliceJid!, { resource: 'phone' });
    const laptop = await online(server, aliceJid!, { resource: 'laptop' });
    const bob = await online(server, bobJid!);
    await enable(laptop);
    const since = laptop.received.length;
    await bob.xmpp.send(xml('message', { to: phone.jid, type: 'chat' }, xml('body', {}, 'secret'), xml('private', { xmlns: NS_CARBONS })));
    await bob.xmpp.send(xml('message', { to: phone.jid, type: 'chat' }, xml('body', {}, 'no copy'), xml('no-copy', { xmlns: 'urn:xmpp:hints' })));
    await received(phone, (s) => s.getChildText('body') === 'no copy');
    await expectNothing(laptop, isCarbon('received'), { since });
    await iq(laptop, 'set', xml('disable', { xmlns: NS_CARBONS }));
    await bob.xmpp.send(chat(phone.jid, 'after disable'));
    await received(phone, (s) => s.getChildText('body') === 'after disable');
    await sync(bob);
    await expectNothing(laptop, isCarbon('received'), { since });
    await stopAll(phone, laptop, bob);
  });

  it("refuses enabling carbons for another account's JID", async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    expect(await iqError(alice, 'set', xml('enable', { xmlns: NS_CARBONS }), bobJid)).toMatchObject({ condition: 'not-allowed' });
    await stopAll(alice);
  });

  it('slixmpp on a second resource sees received and sent carbons', async () => {
    const [alice, bob] = await createUsers(server, ['alice', 'bob']);
    const result = await runSlixmpp('carbons', server.ports.c2s, { alice: alice!, bob: bob! });
    expect(result.error).toBeUndefined();
    expect(result.received).toEqual([{ body: 'hello alice', from: expect.stringMatching(new RegExp(`^${bob}/`)), to: `${alice}/one`, stanza_id: true }]);
    expect(result.sent).toEqual([{ body: 'hello bob', from: `${alice}/one`, to: bob, stanza_id: true }]);
  });
});
