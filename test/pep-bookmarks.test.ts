// XEP-0049 private XML storage, XEP-0402 bookmarks in PEP, and XEP-0411: a XEP-0048 client's
// bookmarks in private storage are the XEP-0402 items, both ways.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Bookmark } from '@parley/shared';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, iq, iqError, online, stopAll, xml } from './helpers/im.ts';
import { NS_EVENT, NS_OWNER, isEvent, itemsOf, notify, onlineWithCaps, publish } from './helpers/pep.ts';

const NS_PRIVATE = 'jabber:iq:private';
const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
const NS_LEGACY = 'storage:bookmarks';
const privateQuery = (...children: ReturnType<typeof xml>[]) => xml('query', { xmlns: NS_PRIVATE }, ...children);

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(() => server.stop());

it('XEP-0049: a fragment is kept per name and namespace, for its owner only', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  const empty = await iq(alice, 'get', privateQuery(xml('prefs', { xmlns: 'urn:example:prefs' })));
  expect(empty.getChild('query')!.getChild('prefs', 'urn:example:prefs')!.children).toEqual([]);
  await iq(alice, 'set', privateQuery(xml('prefs', { xmlns: 'urn:example:prefs' }, xml('colour', {}, 'blue'))));
  const stored = await iq(alice, 'get', privateQuery(xml('prefs', { xmlns: 'urn:example:prefs' })));
  expect(stored.getChild('query')!.getChild('prefs', 'urn:example:prefs')!.getChildText('colour')).toBe('blue');
  expect((await iqError(bob, 'get', privateQuery(xml('prefs', { xmlns: 'urn:example:prefs' })), aliceJid)).condition).toBe('forbidden');
  expect((await iqError(alice, 'set', privateQuery(xml('query', { xmlns: 'jabber:iq:roster' })))).condition).toBe('not-acceptable');
  expect((await iqError(alice, 'get', privateQuery())).condition).toBe('bad-request');
  expect((await iqError(alice, 'get', privateQuery(xml('a', { xmlns: 'urn:a' }), xml('b', { xmlns: 'urn:b' })))).condition).toBe('bad-request');
  await stopAll(alice, bob);
});

it('XEP-0411: XEP-0048 bookmarks set in private storage are the XEP-0402 items, announced to +notify resources', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const modern = await onlineWithCaps(server, aliceJid!, [notify(NS_BOOKMARKS)], { resource: 'modern' });
  const legacy = await online(server, aliceJid!, { resource: 'legacy' });
  const changes: Array<{ jid: string; bookmarks: readonly Bookmark[] }> = [];
  const listener = (event: { jid: string; bookmarks: readonly Bookmark[] }) => { changes.push(event); };
  server.server.hub.on('bookmarks-changed', listener);
  const announced = modern.next(isEvent(aliceJid!, NS_BOOKMARKS));
  await iq(legacy, 'set', privateQuery(xml('storage', { xmlns: NS_LEGACY },
    xml('conference', { jid: 'tea@rooms.example.com', name: 'Tea', autojoin: 'true' }, xml('nick', {}, 'Al')),
    xml('conference', { jid: 'work@rooms.example.com', name: 'Work' }))));
  const item = (await announced).getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!;
  expect(item.attrs.id).toMatch(/@rooms\.example\.com$/);
  const items = await itemsOf(modern, aliceJid!, NS_BOOKMARKS);
  expect(items.map(([id]) => id).sort()).toEqual(['tea@rooms.example.com', 'work@rooms.example.com']);
  // the node has XEP-0402 §5's configuration
  const config = await iq(modern, 'get', xml('pubsub', { xmlns: NS_OWNER }, xml('configure', { node: NS_BOOKMARKS })));
  const fields = config.getChild('pubsub')!.getChild('configure')!.getChild('x')!.getChildren('field');
  const value = (name: string) => fields.find((f) => f.attrs.var === name)?.getChildText('value');
  expect([value('pubsub#access_model'), value('pubsub#max_items'), value('pubsub#send_last_published_item')]).toEqual(['whitelist', 'max', 'never']);
  expect(changes.at(-1)).toEqual({ jid: aliceJid, bookmarks: expect.arrayContaining([
    { jid: 'tea@rooms.example.com', name: 'Tea', autojoin: true, nick: 'Al', password: undefined },
    { jid: 'work@rooms.example.com', name: 'Work', autojoin: false, nick: undefined, password: undefined },
  ]) });

  // a room removed in private storage is retracted in PEP
  const retracted = modern.next((s) => s.getChild('event', NS_EVENT)?.getChild('items')?.getChild('retract')?.attrs.id === 'work@rooms.example.com');
  await iq(legacy, 'set', privateQuery(xml('storage', { xmlns: NS_LEGACY },
    xml('conference', { jid: 'tea@rooms.example.com', name: 'Tea', autojoin: 'true' }, xml('nick', {}, 'Al')))));
  await retracted;
  expect(changes.at(-1)!.bookmarks.map((bookmark) => bookmark.jid)).toEqual(['tea@rooms.example.com']);
  server.server.hub.off('bookmarks-changed', listener);
  await stopAll(modern, legacy);
});

it('XEP-0411: a XEP-0402 publish shows in the XEP-0048 private storage view', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  await publish(alice, NS_BOOKMARKS, xml('conference', { xmlns: NS_BOOKMARKS, name: 'Garden', autojoin: 'true' }, xml('nick', {}, 'A')), {
    id: 'garden@rooms.example.com',
    publishOptions: { 'pubsub#persist_items': 'true', 'pubsub#max_items': 'max', 'pubsub#send_last_published_item': 'never', 'pubsub#access_model': 'whitelist' },
  });
  const legacy = await iq(alice, 'get', privateQuery(xml('storage', { xmlns: NS_LEGACY })));
  const conference = legacy.getChild('query')!.getChild('storage', NS_LEGACY)!.getChild('conference')!;
  expect(conference.attrs).toMatchObject({ jid: 'garden@rooms.example.com', name: 'Garden', autojoin: 'true' });
  expect(conference.getChildText('nick')).toBe('A');
  // bookmarks are the owner's alone (whitelist)
  const bob = await online(server, bobJid!);
  expect((await iqError(bob, 'get', xml('pubsub', { xmlns: 'http://jabber.org/protocol/pubsub' }, xml('items', { node: NS_BOOKMARKS })), aliceJid)).condition)
    .toBe('not-allowed');
  await stopAll(alice, bob);
});
