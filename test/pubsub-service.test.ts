// XEP-0060 as a service: pubsub.<domain> on the engine PEP runs on — discovery (§5), instant and
// configured nodes (§8.1), publish and items (§7.1, §6.5), subscriptions with options (§6.1–§6.3),
// the authorize flow (§6.1.2, §8.6), whitelists and outcasts (§4.5, §8.9), the owner's subscriptions
// (§8.8), delete and purge (§8.4, §8.5), who may create nodes, and the errors XEP-0060 names.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JID, xml as sharedXml } from '@parley/shared';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, expectNothing, iq, online, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import { NS_EVENT, NS_INFO, NS_OWNER, NS_PUBSUB, form, pubsubError } from './helpers/pep.ts';

const SERVICE = 'pubsub.example.com';
const NS_ITEMS = 'http://jabber.org/protocol/disco#items';
const NODE_CONFIG = 'http://jabber.org/protocol/pubsub#node_config';
const SUBSCRIBE_OPTIONS = 'http://jabber.org/protocol/pubsub#subscribe_options';
const AUTHORIZATION = 'http://jabber.org/protocol/pubsub#subscribe_authorization';
const entry = (text: string) => xml('entry', { xmlns: 'urn:example:feed' }, text);

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ domains: ['example.com', 'example.net'], config: { modules: { pubsub: { admins: [] } } } });
});
afterAll(() => server.stop());

const pubsub = (...children: Array<Element | null>) => xml('pubsub', { xmlns: NS_PUBSUB }, ...children);
const owner = (...children: Element[]) => xml('pubsub', { xmlns: NS_OWNER }, ...children);
const toService = (client: LoggedInClient, type: 'get' | 'set', payload: Element) => iq(client, type, payload, SERVICE);
const errorOf = (client: LoggedInClient, type: 'get' | 'set', payload: Element) => pubsubError(client, type, payload, SERVICE);

async function createNode(client: LoggedInClient, node: string, config: Record<string, string> = {}): Promise<void> {
  await toService(client, 'set', pubsub(xml('create', { node }), Object.keys(config).length ? xml('configure', {}, form(NODE_CONFIG, config)) : null));
}

function publishTo(client: LoggedInClient, node: string, payload: Element | null, id?: string) {
  return toService(client, 'set', pubsub(xml('publish', { node }, xml('item', { id }, payload))));
}

async function itemIds(client: LoggedInClient, node: string, attrs: { max_items?: string } = {}, ids: string[] = []) {
  const result = await toService(client, 'get', pubsub(xml('items', { node, ...attrs }, ...ids.map((id) => xml('item', { id })))));
  return result.getChild('pubsub')!.getChild('items')!.getChildren('item').map((item) => item.attrs.id as string);
}

function subscribe(client: LoggedInClient, node: string, jid = client.jid, options?: Record<string, string>) {
  return toService(client, 'set', pubsub(xml('subscribe', { node, jid }), options ? xml('options', {}, form(SUBSCRIBE_OPTIONS, options)) : null));
}

const isEventFor = (node: string, kind = 'items') => (s: Element) => s.is('message') && s.attrs.from === SERVICE
  && s.getChild('event', NS_EVENT)?.getChild(kind)?.attrs.node === node;
const itemOf = (message: Element) => message.getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!;

it('the domain lists pubsub.<domain>; the service is pubsub/service with the features it has, and not the roster access models', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const items = await iq(alice, 'get', xml('query', { xmlns: NS_ITEMS }), 'example.com');
  expect(items.getChild('query')!.getChildren('item').map((item) => item.attrs.jid)).toContain(SERVICE);
  const info = (await iq(alice, 'get', xml('query', { xmlns: NS_INFO }), SERVICE)).getChild('query')!;
  expect(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toEqual(['pubsub/service']);
  const features = info.getChildren('feature').map((f) => f.attrs.var as string);
  for (const feature of ['create-nodes', 'instant-nodes', 'create-and-configure', 'subscription-options', 'access-authorize', 'access-whitelist',
    'manage-subscriptions', 'modify-affiliations', 'purge-nodes', 'retract-items', 'persistent-items']) {
    expect(features).toContain(`${NS_PUBSUB}#${feature}`);
  }
  expect(features).not.toContain(`${NS_PUBSUB}#access-presence`);
  expect(features).not.toContain(`${NS_PUBSUB}#access-roster`);
  // nothing lives at user@service (nodes are named by the node attribute)
  expect((await pubsubError(alice, 'get', xml('query', { xmlns: NS_INFO }), `someone@${SERVICE}`)).condition).toBe('service-unavailable');
  await alice.stop();
});

it('create: an instant node gets a name; create-and-configure applies the form; the form offers open, authorize and whitelist', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const instant = await toService(alice, 'set', pubsub(xml('create')));
  const name = instant.getChild('pubsub')!.getChild('create')!.attrs.node as string;
  expect(name).toMatch(/^[0-9a-f]{24}$/);
  const node = `news-${aliceJid}`;
  await createNode(alice, node, { 'pubsub#title': 'News', 'pubsub#max_items': '2' });
  expect(await errorOf(alice, 'set', pubsub(xml('create', { node })))).toEqual({ type: 'cancel', condition: 'conflict', pubsub: undefined });
  const configuration = (await toService(alice, 'get', owner(xml('configure', { node })))).getChild('pubsub')!.getChild('configure')!.getChild('x')!;
  const field = (name: string) => configuration.getChildren('field').find((f) => f.attrs.var === name)!;
  expect(field('pubsub#title').getChildText('value')).toBe('News');
  expect(field('pubsub#max_items').getChildText('value')).toBe('2');
  expect(field('pubsub#access_model').getChildText('value')).toBe('open');
  expect(field('pubsub#access_model').getChildren('option').map((o) => o.getChildText('value'))).toEqual(['open', 'authorize', 'whitelist']);
  // presence and roster access need a roster, which a service has not (§4.5)
  for (const model of ['presence', 'roster']) {
    expect(await errorOf(alice, 'set', owner(xml('configure', { node }, form(NODE_CONFIG, { 'pubsub#access_model': model })))))
      .toMatchObject({ type: 'modify', condition: 'not-acceptable' });
    expect(await errorOf(alice, 'set', pubsub(xml('create', { node: `${node}-${model}` }), xml('configure', {}, form(NODE_CONFIG, { 'pubsub#access_model': model })))))
      .toMatchObject({ condition: 'not-acceptable' });
  }
  // the node is in the service's disco#items, with its meta-data in its disco#info (§5.2, §5.4)
  const listed = (await iq(alice, 'get', xml('query', { xmlns: NS_ITEMS }), SERVICE)).getChild('query')!.getChildren('item');
  expect(listed.find((item) => item.attrs.node === node)?.attrs.name).toBe('News');
  const meta = (await iq(alice, 'get', xml('query', { xmlns: NS_INFO, node }), SERVICE)).getChild('query')!;
  expect(meta.getChild('identity')!.attrs).toMatchObject({ category: 'pubsub', type: 'leaf' });
  const owners = meta.getChild('x')!.getChildren('field').find((f) => f.attrs.var === 'pubsub#owner')!;
  expect(owners.getChildren('value').map((v) => v.text())).toEqual([aliceJid]);
  await alice.stop();
});

it('publish and items: ids given or made, max_items, by id, newest kept; retract and purge; publishers only; the errors §7.1.3 names', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const [alice, bob] = [await online(server, aliceJid!), await online(server, bobJid!)];
  const node = `feed-${aliceJid}`;
  await createNode(alice, node, { 'pubsub#max_items': '3' });
  for (const id of ['a', 'b', 'c', 'd']) await publishTo(alice, node, entry(id), id);
  const made = await publishTo(alice, node, entry('no id'));
  const madeId = made.getChild('pubsub')!.getChild('publish')!.getChild('item')!.attrs.id as string;
  expect(madeId.length).toBeGreaterThan(8);
  expect(await itemIds(bob, node)).toEqual([madeId, 'd', 'c']);
  expect(await itemIds(bob, node, { max_items: '1' })).toEqual([madeId]);
  expect(await itemIds(bob, node, {}, ['c', 'a'])).toEqual(['c']);
  expect(await errorOf(bob, 'set', pubsub(xml('publish', { node }, xml('item', { id: 'x' }, entry('x'))))))
    .toEqual({ type: 'auth', condition: 'forbidden', pubsub: undefined });
  expect(await errorOf(bob, 'set', pubsub(xml('retract', { node }, xml('item', { id: 'c' })))))
    .toMatchObject({ condition: 'forbidden' });
  await toService(alice, 'set', pubsub(xml('retract', { node }, xml('item', { id: 'c' }))));
  expect(await itemIds(bob, node)).toEqual([madeId, 'd']);
  expect(await errorOf(alice, 'set', pubsub(xml('publish', { node }, xml('item', {}, entry('1'), entry('2'))))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'invalid-payload' });
  expect(await errorOf(alice, 'set', pubsub(xml('publish', { node }))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'item-required' });
  expect(await errorOf(bob, 'get', pubsub(xml('items', { node: 'no-such-node' })))).toMatchObject({ condition: 'item-not-found' });
  expect(await errorOf(bob, 'set', owner(xml('purge', { node })))).toMatchObject({ condition: 'forbidden' });
  await toService(alice, 'set', owner(xml('purge', { node })));
  expect(await itemIds(bob, node)).toEqual([]);
  // a transient notification-only node takes a publish without an item, and refuses one with an item (§7.1.3.6)
  const transient = `transient-${aliceJid}`;
  await createNode(alice, transient, { 'pubsub#persist_items': '0', 'pubsub#deliver_payloads': '0' });
  await toService(alice, 'set', pubsub(xml('publish', { node: transient })));
  expect(await errorOf(alice, 'set', pubsub(xml('publish', { node: transient }, xml('item', { id: 'i' }, entry('x'))))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'item-forbidden' });
  await stopAll(alice, bob);
});

it('subscriptions: a bare JID reaches every resource, a full JID one; pubsub#deliver false silences; subids checked; unsubscribe ends it', async () => {
  const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
  const alice = await online(server, aliceJid!);
  const bobPhone = await online(server, bobJid!, { resource: 'phone' });
  const bobDesk = await online(server, bobJid!, { resource: 'desk' });
  const carolDesk = await online(server, carolJid!, { resource: 'desk' });
  const carolPhone = await online(server, carolJid!, { resource: 'phone' });
  const node = `blog-${aliceJid}`;
  await createNode(alice, node);
  const bobSub = (await subscribe(bobPhone, node, bobJid)).getChild('pubsub')!.getChild('subscription')!;
  expect(bobSub.attrs).toMatchObject({ node, jid: bobJid, subscription: 'subscribed' });
  await subscribe(carolDesk, node, carolDesk.jid);
  const atBob = [bobPhone, bobDesk].map((client) => client.next(isEventFor(node)));
  const atCarol = carolDesk.next(isEventFor(node));
  const carolPhoneSince = carolPhone.received.length;
  await publishTo(alice, node, entry('first post'), 'p1');
  for (const event of [...await Promise.all(atBob), await atCarol]) {
    expect(itemOf(event).attrs.id).toBe('p1');
    expect(itemOf(event).getChildText('entry', 'urn:example:feed')).toBe('first post');
  }
  await expectNothing(carolPhone, isEventFor(node), { since: carolPhoneSince });
  // §6.3: Bob's options; deliver off, then nothing comes
  const options = await toService(bobPhone, 'get', pubsub(xml('options', { node, jid: bobJid })));
  const deliver = options.getChild('pubsub')!.getChild('options')!.getChild('x')!.getChildren('field').find((f) => f.attrs.var === 'pubsub#deliver')!;
  expect(deliver.getChildText('value')).toBe('1');
  await toService(bobPhone, 'set', pubsub(xml('options', { node, jid: bobJid }, form(SUBSCRIBE_OPTIONS, { 'pubsub#deliver': '0' }))));
  const since = bobDesk.received.length;
  const carolSecond = carolDesk.next(isEventFor(node));
  await publishTo(alice, node, entry('second'), 'p2');
  await carolSecond;
  await expectNothing(bobDesk, isEventFor(node), { since });
  expect(await errorOf(bobPhone, 'set', pubsub(xml('options', { node, jid: bobJid }, form(SUBSCRIBE_OPTIONS, { 'pubsub#digest': '1' })))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'invalid-options' });
  // someone else's subscription: its JID is not yours
  expect(await errorOf(carolDesk, 'set', pubsub(xml('subscribe', { node, jid: bobJid })))).toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'invalid-jid' });
  expect(await errorOf(carolDesk, 'get', pubsub(xml('options', { node, jid: bobJid })))).toMatchObject({ condition: 'forbidden' });
  expect(await errorOf(carolPhone, 'get', pubsub(xml('options', { node, jid: carolPhone.jid }))))
    .toEqual({ type: 'cancel', condition: 'unexpected-request', pubsub: 'not-subscribed' });
  expect(await errorOf(bobPhone, 'set', pubsub(xml('unsubscribe', { node, jid: bobJid, subid: 'wrong' }))))
    .toEqual({ type: 'modify', condition: 'not-acceptable', pubsub: 'invalid-subid' });
  // the subscriptions the service lists for Carol (§5.6)
  const mine = (await toService(carolDesk, 'get', pubsub(xml('subscriptions')))).getChild('pubsub')!.getChild('subscriptions')!.getChildren('subscription');
  expect(mine.map((s) => [s.attrs.node, s.attrs.jid, s.attrs.subscription])).toEqual([[node, carolDesk.jid, 'subscribed']]);
  await toService(carolDesk, 'set', pubsub(xml('unsubscribe', { node, jid: carolDesk.jid })));
  const carolSince = carolDesk.received.length;
  await publishTo(alice, node, entry('third'), 'p3');
  await expectNothing(carolDesk, isEventFor(node), { since: carolSince });
  expect(await errorOf(carolDesk, 'set', pubsub(xml('unsubscribe', { node, jid: carolDesk.jid }))))
    .toEqual({ type: 'cancel', condition: 'unexpected-request', pubsub: 'not-subscribed' });
  await stopAll(alice, bobPhone, bobDesk, carolDesk, carolPhone);
});

/** The approval request (§8.6) an owner received, and the submitted answer to it. */
const isApprovalRequest = (node: string) => (s: Element) => s.is('message') && s.attrs.from === SERVICE
  && s.getChild('x', 'jabber:x:data')?.getChildren('field').some((f) => f.attrs.var === 'pubsub#node' && f.getChildText('value') === node) === true;
const fieldValue = (message: Element, name: string) =>
  message.getChild('x', 'jabber:x:data')!.getChildren('field').find((f) => f.attrs.var === name)?.getChildText('value');
function answerApproval(client: LoggedInClient, request: Element, allow: boolean) {
  return client.xmpp.send(xml('message', { to: SERVICE, id: request.attrs.id },
    form(AUTHORIZATION, {
      'pubsub#subid': fieldValue(request, 'pubsub#subid')!, 'pubsub#node': fieldValue(request, 'pubsub#node')!,
      'pubsub#subscriber_jid': fieldValue(request, 'pubsub#subscriber_jid')!, 'pubsub#allow': allow ? 'true' : 'false',
    })));
}
const isSubscriptionEvent = (node: string, state: string) => (s: Element) => s.is('message') && s.attrs.from === SERVICE
  && s.getChild('event', NS_EVENT)?.getChild('subscription')?.attrs.node === node
  && s.getChild('event', NS_EVENT)!.getChild('subscription')!.attrs.subscription === state;

it('authorize: a subscription waits for an owner (§6.1.2), who approves or denies by form (§8.6); the subscriber is told', async () => {
  const [aliceJid, bobJid, daveJid] = await createUsers(server, ['alice', 'bob', 'dave']);
  const [alice, bob, dave] = [await online(server, aliceJid!), await online(server, bobJid!), await online(server, daveJid!)];
  const node = `club-${aliceJid}`;
  await createNode(alice, node, { 'pubsub#access_model': 'authorize' });
  await publishTo(alice, node, entry('members only'), 'm1');
  const asked = alice.next(isApprovalRequest(node));
  const pending = (await subscribe(bob, node, bobJid)).getChild('pubsub')!.getChild('subscription')!;
  expect(pending.attrs).toMatchObject({ jid: bobJid, subscription: 'pending' });
  const request = await asked;
  expect(fieldValue(request, 'pubsub#subscriber_jid')).toBe(bobJid);
  // not subscribed yet: no items (§6.5.9.4), and asking again is pending-subscription (§6.1.3.7)
  expect(await errorOf(bob, 'get', pubsub(xml('items', { node })))).toEqual({ type: 'auth', condition: 'not-authorized', pubsub: 'not-subscribed' });
  expect(await errorOf(bob, 'set', pubsub(xml('subscribe', { node, jid: bobJid })))).toEqual({ type: 'auth', condition: 'not-authorized', pubsub: 'pending-subscription' });
  // the owner's view of the subscriptions (§8.8.1) has Bob pending
  const listed = (await toService(alice, 'get', owner(xml('subscriptions', { node })))).getChild('pubsub')!.getChild('subscriptions')!.getChildren('subscription');
  expect(listed.map((s) => [s.attrs.jid, s.attrs.subscription])).toEqual([[bobJid, 'pending']]);
  // a cancelled form leaves it pending; an approval subscribes
  await alice.xmpp.send(xml('message', { to: SERVICE }, xml('x', { xmlns: 'jabber:x:data', type: 'cancel' },
    xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, AUTHORIZATION)))));
  const approved = bob.next(isSubscriptionEvent(node, 'subscribed'));
  await answerApproval(alice, request, true);
  await approved;
  expect(await itemIds(bob, node)).toEqual(['m1']);
  const atBob = bob.next(isEventFor(node));
  await publishTo(alice, node, entry('news'), 'm2');
  expect(itemOf(await atBob).attrs.id).toBe('m2');
  // Dave is denied: told 'none', still no items
  const askedAgain = alice.next(isApprovalRequest(node));
  await subscribe(dave, node, daveJid);
  const denied = dave.next(isSubscriptionEvent(node, 'none'));
  await answerApproval(alice, await askedAgain, false);
  await denied;
  expect((await errorOf(dave, 'get', pubsub(xml('items', { node })))).pubsub).toBe('not-subscribed');
  // only an owner's answer counts
  const daveAsks = alice.next(isApprovalRequest(node));
  await subscribe(dave, node, daveJid);
  const forged = await daveAsks;
  const refused = dave.next((s) => s.is('message') && s.attrs.type === 'error');
  await answerApproval(dave, forged, true);
  expect((await refused).getChild('error')!.getChild('forbidden')).toBeDefined();
  await stopAll(alice, bob, dave);
});

it('whitelist and affiliations: members subscribe, others are closed out; an outcast loses its subscription; a node keeps an owner', async () => {
  const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = [await online(server, aliceJid!), await online(server, bobJid!), await online(server, carolJid!)];
  const node = `team-${aliceJid}`;
  await createNode(alice, node, { 'pubsub#access_model': 'whitelist' });
  expect(await errorOf(bob, 'set', pubsub(xml('subscribe', { node, jid: bobJid })))).toEqual({ type: 'cancel', condition: 'not-allowed', pubsub: 'closed-node' });
  expect(await errorOf(bob, 'get', pubsub(xml('items', { node })))).toMatchObject({ condition: 'not-allowed', pubsub: 'closed-node' });
  // a whitelist node is not shown to those off the list (§5.2)
  const bobsList = (await iq(bob, 'get', xml('query', { xmlns: NS_ITEMS }), SERVICE)).getChild('query')!.getChildren('item');
  expect(bobsList.map((item) => item.attrs.node)).not.toContain(node);
  await toService(alice, 'set', owner(xml('affiliations', { node },
    xml('affiliation', { jid: bobJid, affiliation: 'member' }), xml('affiliation', { jid: carolJid, affiliation: 'publisher' }))));
  const affiliations = (await toService(alice, 'get', owner(xml('affiliations', { node })))).getChild('pubsub')!.getChild('affiliations')!.getChildren('affiliation');
  expect(affiliations.map((a) => [a.attrs.jid, a.attrs.affiliation]).sort()).toEqual([[aliceJid, 'owner'], [bobJid, 'member'], [carolJid, 'publisher']].sort());
  // Bob's own view (§5.7)
  const bobs = (await toService(bob, 'get', pubsub(xml('affiliations')))).getChild('pubsub')!.getChild('affiliations')!.getChildren('affiliation');
  expect(bobs.map((a) => [a.attrs.node, a.attrs.affiliation])).toEqual([[node, 'member']]);
  await subscribe(bob, node, bobJid);
  const atBob = bob.next(isEventFor(node));
  await publishTo(carol, node, entry('by a publisher'), 'c1');
  expect(itemOf(await atBob).attrs.id).toBe('c1');
  expect(await errorOf(bob, 'get', owner(xml('affiliations', { node })))).toMatchObject({ condition: 'forbidden' });
  await toService(alice, 'set', owner(xml('affiliations', { node }, xml('affiliation', { jid: bobJid, affiliation: 'outcast' }))));
  const subscriptions = (await toService(alice, 'get', owner(xml('subscriptions', { node })))).getChild('pubsub')!.getChild('subscriptions')!;
  expect(subscriptions.getChildren('subscription')).toEqual([]);
  expect(await errorOf(bob, 'get', pubsub(xml('items', { node })))).toMatchObject({ type: 'auth', condition: 'forbidden' });
  expect(await errorOf(alice, 'set', owner(xml('affiliations', { node }, xml('affiliation', { jid: aliceJid, affiliation: 'none' })))))
    .toMatchObject({ condition: 'not-acceptable' });
  await stopAll(alice, bob, carol);
});

it('owners manage subscriptions (§8.8.2) and delete the node (§8.4): subscribers are told; others may not', async () => {
  const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
  const [alice, bob, carol] = [await online(server, aliceJid!), await online(server, bobJid!), await online(server, carolJid!)];
  const node = `ops-${aliceJid}`;
  await createNode(alice, node);
  const told = carol.next(isSubscriptionEvent(node, 'subscribed'));
  await toService(alice, 'set', owner(xml('subscriptions', { node }, xml('subscription', { jid: carolJid, subscription: 'subscribed' }))));
  await told;
  await subscribe(bob, node, bobJid);
  expect(await errorOf(bob, 'set', owner(xml('subscriptions', { node }, xml('subscription', { jid: carolJid, subscription: 'none' })))))
    .toMatchObject({ condition: 'forbidden' });
  expect(await errorOf(alice, 'set', owner(xml('subscriptions', { node }, xml('subscription', { jid: carolJid, subscription: 'unconfigured' })))))
    .toMatchObject({ condition: 'bad-request' });
  expect(await errorOf(bob, 'set', owner(xml('delete', { node })))).toMatchObject({ condition: 'forbidden' });
  const deleted = [bob, carol].map((client) => client.next(isEventFor(node, 'delete')));
  await toService(alice, 'set', owner(xml('delete', { node })));
  await Promise.all(deleted);
  expect(await errorOf(alice, 'get', pubsub(xml('items', { node })))).toMatchObject({ condition: 'item-not-found' });
  await stopAll(alice, bob, carol);
});

it('who may create nodes: users of the domain (not of another domain); with nodeCreation admins, only admins', async () => {
  const [netJid] = await createUsers(server, ['eve@example.net']);
  const net = await online(server, netJid!);
  // example.net's user creates at example.net's service, not at example.com's
  expect(await errorOf(net, 'set', pubsub(xml('create', { node: 'elsewhere' })))).toEqual({ type: 'auth', condition: 'forbidden', pubsub: undefined });
  await iq(net, 'set', pubsub(xml('create', { node: 'at-home' })), 'pubsub.example.net');
  await net.stop();
  const locked = await startServer({
    users: { 'root@example.com': 'root-secret', 'user@example.com': 'user-secret' },
    config: { modules: { pubsub: { nodeCreation: 'admins', admins: ['root@example.com'] } } },
  });
  try {
    const [root, user] = [await online(locked, 'root@example.com'), await online(locked, 'user@example.com')];
    expect(await pubsubError(user, 'set', pubsub(xml('create', { node: 'mine' })), SERVICE)).toMatchObject({ condition: 'forbidden' });
    await iq(root, 'set', pubsub(xml('create', { node: 'announcements' })), SERVICE);
    // the admin owns it; users may read it (open access) but not publish
    await iq(user, 'get', pubsub(xml('items', { node: 'announcements' })), SERVICE);
    expect(await pubsubError(user, 'set', pubsub(xml('publish', { node: 'announcements' }, xml('item', {}, entry('x')))), SERVICE))
      .toMatchObject({ condition: 'forbidden' });
    await stopAll(root, user);
  } finally {
    await locked.stop();
  }
});

it('subscribers on other servers get their events through the router (s2s), bare or full JID', async () => {
  const REMOTE = 'remote.example';
  const arrived: Element[] = [];
  const waiters: Array<(s: Element) => void> = [];
  server.server.hosts.addComponent({
    kind: 'component', name: REMOTE,
    receive(stanza) {
      arrived.push(stanza as unknown as Element);
      for (const wake of waiters.splice(0)) wake(stanza);
    },
  });
  const arrival = async (match: (s: Element) => boolean) => {
    for (let i = 0; i < 200; i++) {
      const found = arrived.find(match);
      if (found) return found;
      await new Promise<void>((resolve) => { waiters.push(() => resolve()); setTimeout(resolve, 50); });
    }
    throw new Error('nothing arrived at the remote server');
  };
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const node = `public-${aliceJid}`;
  await createNode(alice, node);
  const fromRemote = { kind: 's2s', domain: REMOTE } as const;
  for (const [id, subscriber] of [['r1', new JID('bob', REMOTE, 'phone')], ['r2', new JID('carol', REMOTE)]] as const) {
    const jid = subscriber.full;
    await server.server.router.route(sharedXml('iq', { xmlns: 'jabber:client', type: 'set', id, from: jid, to: SERVICE },
      sharedXml('pubsub', { xmlns: NS_PUBSUB }, sharedXml('subscribe', { node, jid }))), subscriber, new JID('', SERVICE), fromRemote);
    const result = await arrival((s) => s.name === 'iq' && s.attrs.id === id);
    expect(result.attrs.type).toBe('result');
    expect(result.getChild('pubsub')!.getChild('subscription')!.attrs.subscription).toBe('subscribed');
  }
  await publishTo(alice, node, entry('to the world'), 'w1');
  for (const to of [`bob@${REMOTE}/phone`, `carol@${REMOTE}`]) {
    const event = await arrival((s) => s.name === 'message' && s.attrs.to === to && s.getChild('event', NS_EVENT) !== undefined);
    expect(event.attrs.from).toBe(SERVICE);
    expect(itemOf(event).attrs.id).toBe('w1');
  }
  await alice.stop();
});

it('nodes, items, affiliations and subscriptions are kept in storage: a restarted server has them', async () => {
  const first = await startServer({ users: { 'keeper@example.com': 'keeper-secret', 'reader@example.com': 'reader-secret' } });
  const dataDir = first.dataDir;
  let second: TestServer | undefined;
  let firstRunning = true;
  try {
    const keeper = await online(first, 'keeper@example.com');
    await iq(keeper, 'set', pubsub(xml('create', { node: 'kept' }), xml('configure', {}, form(NODE_CONFIG, { 'pubsub#access_model': 'whitelist' }))), SERVICE);
    await iq(keeper, 'set', owner(xml('affiliations', { node: 'kept' }, xml('affiliation', { jid: 'reader@example.com', affiliation: 'member' }))), SERVICE);
    await iq(keeper, 'set', pubsub(xml('publish', { node: 'kept' }, xml('item', { id: 'k1' }, entry('kept')))), SERVICE);
    await iq(keeper, 'set', owner(xml('subscriptions', { node: 'kept' }, xml('subscription', { jid: 'reader@example.com', subscription: 'subscribed' }))), SERVICE);
    await keeper.stop();
    // stopped without its data folder going (first.stop() would remove it)
    firstRunning = false;
    await first.server.stop();
    second = await startServer({ dataDir });
    const reader = await online(second, 'reader@example.com');
    expect(await itemIds(reader, 'kept')).toEqual(['k1']);
    const mine = (await iq(reader, 'get', pubsub(xml('subscriptions', { node: 'kept' })), SERVICE)).getChild('pubsub')!.getChild('subscriptions')!;
    expect(mine.getChildren('subscription').map((s) => s.attrs.subscription)).toEqual(['subscribed']);
    await reader.stop();
  } finally {
    if (firstRunning) await first.server.stop();
    await second?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
