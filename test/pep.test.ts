// XEP-0163 PEP on the generic XEP-0060 engine: auto-create, notifications by caps interest
// (XEP-0115 '+notify'), access models, items, publish-options (XEP-0223), configuration, retract,
// purge, delete, the last item on presence, and the errors XEP-0060 names.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import {
  bare, befriend, createUsers, expectNothing, iq, online, received, stopAll, subscribeAndApprove, sync, xml, type Element,
} from './helpers/im.ts';
import {
  NS_EVENT, NS_INFO, NS_OWNER, NS_PUBSUB, eventItems, form, isEvent, itemsOf, notify, onlineWithCaps, publish, publishRequest,
  pubsubError,
} from './helpers/pep.ts';

const TUNE = 'http://jabber.org/protocol/tune';
const MOOD = 'http://jabber.org/protocol/mood';
const tune = (title: string) => xml('tune', { xmlns: TUNE }, xml('title', {}, title));

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(() => server.stop());

it('an account is a PEP service in disco (XEP-0163 §6.1), and the server announces pubsub', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const info = (await iq(alice, 'get', xml('query', { xmlns: NS_INFO }), aliceJid)).getChild('query')!;
  expect(info.getChildren('identity').map((i) => `${i.attrs.category}/${i.attrs.type}`)).toContain('pubsub/pep');
  const features = info.getChildren('feature').map((f) => f.attrs.var);
  for (const feature of ['auto-create', 'auto-subscribe', 'filtered-notifications', 'publish-options', 'access-whitelist']) {
    expect(features).toContain(`${NS_PUBSUB}#${feature}`);
  }
  const host = (await iq(alice, 'get', xml('query', { xmlns: NS_INFO }), 'example.com')).getChild('query')!;
  expect(host.getChildren('feature').map((f) => f.attrs.var)).toContain(NS_PUBSUB);
  await alice.stop();
});

it('a publish creates the node; resources with +notify get the event, a contact without +notify gets nothing', async () => {
  const [aliceJid, bobJid, carolJid, daveJid] = await createUsers(server, ['alice', 'bob', 'carol', 'dave']);
  const alice = await onlineWithCaps(server, aliceJid!, [notify(TUNE)]);
  const bob = await onlineWithCaps(server, bobJid!, [notify(TUNE)]);
  const carol = await onlineWithCaps(server, carolJid!, [MOOD]); // knows tunes? no: no +notify
  const dave = await onlineWithCaps(server, daveJid!, [notify(TUNE)]); // wants tunes, but no subscription
  await befriend(alice, bob);
  await befriend(alice, carol);
  const atBob = bob.next(isEvent(aliceJid!, TUNE));
  const atAlice = alice.next(isEvent(aliceJid!, TUNE));
  const since = { carol: carol.received.length, dave: dave.received.length };
  const result = await publish(alice, TUNE, tune('Yesterday'), { id: 'current' });
  expect(result.getChild('pubsub', NS_PUBSUB)!.getChild('publish')!.getChild('item')!.attrs.id).toBe('current');
  const event = await atBob;
  expect(event.attrs.type).toBe('headline');
  expect(event.attrs.to).toBe(bob.jid);
  expect(eventItems(event)).toEqual(['current']);
  expect(event.getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.getChild('tune', TUNE)!.getChildText('title')).toBe('Yesterday');
  await atAlice; // the publisher's own resources are told too (XEP-0163 §4.3.1)
  await expectNothing(carol, isEvent(aliceJid!, TUNE), { since: since.carol });
  await expectNothing(dave, isEvent(aliceJid!, TUNE), { since: since.dave });
  await stopAll(alice, bob, carol, dave);
});

it('items: by id, max_items, newest first; kept up to max_items (publish-options), re-publishing an id replaces it', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const node = 'urn:example:notes';
  const note = (text: string) => xml('note', { xmlns: 'urn:example' }, text);
  const options = { publishOptions: { 'pubsub#max_items': '2' } };
  for (const id of ['a', 'b', 'c']) await publish(alice, node, note(id), { id, ...options });
  expect((await itemsOf(alice, aliceJid!, node)).map(([id]) => id)).toEqual(['c', 'b']);
  await publish(alice, node, note('b2'), { id: 'b', ...options });
  expect(await itemsOf(alice, aliceJid!, node)).toEqual([['b', '<note xmlns="urn:example">b2</note>'], ['c', '<note xmlns="urn:example">c</note>']]);
  expect((await itemsOf(alice, aliceJid!, node, { max: 1 })).map(([id]) => id)).toEqual(['b']);
  expect((await itemsOf(alice, aliceJid!, node, { ids: ['c', 'gone'] })).map(([id]) => id)).toEqual(['c']);
  // 'max': as many as the service keeps
  const many = 'urn:example:many';
  for (let i = 0; i < 5; i++) await publish(alice, many, note(String(i)), { publishOptions: { 'pubsub#max_items': 'max' } });
  expect(await itemsOf(alice, aliceJid!, many)).toHaveLength(5);
  await alice.stop();
});

it('XEP-0223: publish-options that the node does not meet are refused with precondition-not-met', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const node = 'urn:example:private';
  await publish(alice, node, xml('secret', { xmlns: 'urn:example' }), { publishOptions: { 'pubsub#access_model': 'whitelist' } });
  const mismatch = await pubsubError(alice, 'set', publishRequest(node, xml('secret', { xmlns: 'urn:example' }),
    { publishOptions: { 'pubsub#access_model': 'open' } }));
  expect(mismatch).toEqual({ type: 'cancel', condition: 'conflict', pubsub: 'precondition-not-met' });
  const unknown = await pubsubError(alice, 'set', publishRequest(node, xml('secret', { xmlns: 'urn:example' }),
    { publishOptions: { 'pubsub#no_such_option': '1' } }));
  expect(unknown.pubsub).toBe('precondition-not-met');
  // matching options publish
  await publish(alice, node, xml('secret', { xmlns: 'urn:example' }), { publishOptions: { 'pubsub#access_model': 'whitelist' } });
  await alice.stop();
});

it('access models: presence (default), open, roster groups, whitelist', async () => {
  const [aliceJid, bobJid, strangerJid] = await createUsers(server, ['alice', 'bob', 'stranger']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  const stranger = await online(server, strangerJid!);
  await subscribeAndApprove(bob, alice); // bob receives alice's presence
  const payload = xml('data', { xmlns: 'urn:example' });
  await publish(alice, 'presence-node', payload);
  await publish(alice, 'open-node', payload, { publishOptions: { 'pubsub#access_model': 'open' } });
  await publish(alice, 'roster-node', payload, {
    publishOptions: { 'pubsub#access_model': 'roster' },
  });
  await publish(alice, 'whitelist-node', payload, { publishOptions: { 'pubsub#access_model': 'whitelist' } });

  expect(await itemsOf(bob, aliceJid!, 'presence-node')).toHaveLength(1);
  expect(await pubsubError(stranger, 'get', itemsReq('presence-node'), aliceJid))
    .toEqual({ type: 'auth', condition: 'not-authorized', pubsub: 'presence-subscription-required' });
  expect(await itemsOf(stranger, aliceJid!, 'open-node')).toHaveLength(1);
  expect(await pubsubError(bob, 'get', itemsReq('roster-node'), aliceJid))
    .toEqual({ type: 'auth', condition: 'not-authorized', pubsub: 'not-in-roster-group' });
  // Alice puts Bob in 'friends' and allows that group
  await iq(alice, 'set', xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bare(bob.jid) }, xml('group', {}, 'friends'))));
  await iq(alice, 'set', configure('roster-node', { 'pubsub#roster_groups_allowed': ['friends'] }));
  expect(await itemsOf(bob, aliceJid!, 'roster-node')).toHaveLength(1);
  expect(await pubsubError(bob, 'get', itemsReq('whitelist-node'), aliceJid))
    .toEqual({ type: 'cancel', condition: 'not-allowed', pubsub: 'closed-node' });
  // the owner whitelists Bob by affiliation (XEP-0060 §8.9)
  await iq(alice, 'set', xml('pubsub', { xmlns: NS_OWNER }, xml('affiliations', { node: 'whitelist-node' },
    xml('affiliation', { jid: bare(bob.jid), affiliation: 'member' }))));
  expect(await itemsOf(bob, aliceJid!, 'whitelist-node')).toHaveLength(1);
  const affiliations = await iq(alice, 'get', xml('pubsub', { xmlns: NS_OWNER }, xml('affiliations', { node: 'whitelist-node' })));
  expect(affiliations.getChild('pubsub')!.getChild('affiliations')!.getChildren('affiliation').map((a) => `${a.attrs.jid}=${a.attrs.affiliation}`))
    .toEqual([`${aliceJid}=owner`, `${bare(bob.jid)}=member`]);
  await stopAll(alice, bob, stranger);
});

it('errors: a contact may not publish, retract, configure or delete; bad payloads; missing nodes', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await befriend(alice, bob);
  await publish(alice, 'urn:example:n', xml('x', { xmlns: 'urn:example' }), { id: 'one' });
  expect((await pubsubError(bob, 'set', publishRequest('urn:example:n', xml('x', { xmlns: 'urn:example' })), aliceJid)).condition).toBe('forbidden');
  expect((await pubsubError(bob, 'set', publishRequest('urn:example:new', xml('x', { xmlns: 'urn:example' })), aliceJid)).condition).toBe('item-not-found');
  expect((await pubsubError(bob, 'set', retract('urn:example:n', 'one'), aliceJid)).condition).toBe('forbidden');
  expect((await pubsubError(bob, 'get', xml('pubsub', { xmlns: NS_OWNER }, xml('configure', { node: 'urn:example:n' })), aliceJid)).condition).toBe('forbidden');
  expect((await pubsubError(bob, 'set', xml('pubsub', { xmlns: NS_OWNER }, xml('delete', { node: 'urn:example:n' })), aliceJid)).condition).toBe('forbidden');
  expect(await pubsubError(alice, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: 'urn:example:n' },
    xml('item', {}, xml('a', { xmlns: 'urn:example' }), xml('b', { xmlns: 'urn:example' }))))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'invalid-payload' });
  expect(await pubsubError(alice, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: 'urn:example:n' }))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'item-required' });
  expect(await pubsubError(alice, 'set', publishRequest('', xml('x', { xmlns: 'urn:example' }))))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'nodeid-required' });
  expect((await pubsubError(alice, 'get', itemsReq('urn:example:none'))).condition).toBe('item-not-found');
  expect((await pubsubError(alice, 'set', retract('urn:example:n', 'no-such-item'))).condition).toBe('item-not-found');
  expect(await pubsubError(alice, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('options', { node: 'urn:example:n', jid: alice.jid }))))
    .toEqual({ type: 'cancel', condition: 'feature-not-implemented', pubsub: 'unsupported' });
  expect((await pubsubError(alice, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('create', { node: 'urn:example:n' })))).condition).toBe('conflict');
  expect((await pubsubError(alice, 'set', configure('urn:example:n', { 'pubsub#max_items': 'many' }))).condition).toBe('not-acceptable');
  await stopAll(alice, bob);
});

it('retract (notify), purge and delete reach +notify resources; configuration round-trips', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const node = MOOD;
  const alice = await online(server, aliceJid!);
  const bob = await onlineWithCaps(server, bobJid!, [notify(node)]);
  await befriend(alice, bob);
  await publish(alice, node, xml('mood', { xmlns: MOOD }, xml('happy')), { id: 'm1' });
  const retracted = bob.next((s) => s.getChild('event', NS_EVENT)?.getChild('items')?.getChild('retract')?.attrs.id === 'm1');
  await iq(alice, 'set', retract(node, 'm1', true));
  await retracted;
  expect(await itemsOf(alice, aliceJid!, node)).toEqual([]);

  await publish(alice, node, xml('mood', { xmlns: MOOD }, xml('sad')), { id: 'm2' });
  const purged = bob.next((s) => s.getChild('event', NS_EVENT)?.getChild('purge')?.attrs.node === node);
  await iq(alice, 'set', xml('pubsub', { xmlns: NS_OWNER }, xml('purge', { node })));
  await purged;
  expect(await itemsOf(alice, aliceJid!, node)).toEqual([]);

  const config = await iq(alice, 'get', xml('pubsub', { xmlns: NS_OWNER }, xml('configure', { node })));
  const fields = config.getChild('pubsub', NS_OWNER)!.getChild('configure')!.getChild('x')!.getChildren('field');
  const value = (name: string) => fields.find((f) => f.attrs.var === name)?.getChildText('value');
  expect(value('pubsub#access_model')).toBe('presence');
  expect(value('pubsub#max_items')).toBe('1');
  await iq(alice, 'set', configure(node, { 'pubsub#access_model': 'open', 'pubsub#max_items': '10' }));
  const again = await iq(alice, 'get', xml('pubsub', { xmlns: NS_OWNER }, xml('configure', { node })));
  const fields2 = again.getChild('pubsub', NS_OWNER)!.getChild('configure')!.getChild('x')!.getChildren('field');
  expect(fields2.find((f) => f.attrs.var === 'pubsub#access_model')!.getChildText('value')).toBe('open');

  const deleted = bob.next((s) => s.getChild('event', NS_EVENT)?.getChild('delete')?.attrs.node === node);
  await iq(alice, 'set', xml('pubsub', { xmlns: NS_OWNER }, xml('delete', { node })));
  await deleted;
  expect((await pubsubError(alice, 'get', itemsReq(node))).condition).toBe('item-not-found');
  await stopAll(alice, bob);
});

it('the last item reaches a contact whose caps ask for it when it comes online (XEP-0163 §4.3.2), stamped', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await befriend(alice, bob);
  await publish(alice, TUNE, tune('Blackbird'), { id: 'now' });
  await bob.stop();
  const bob2 = await onlineWithCaps(server, bobJid!, [notify(TUNE)]);
  const last = await received(bob2, isEvent(aliceJid!, TUNE));
  expect(eventItems(last)).toEqual(['now']);
  expect(last.getChild('delay', 'urn:xmpp:delay')?.attrs.stamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  // and its own account's last items too
  const carolJid = (await createUsers(server, ['carol']))[0]!;
  const carol = await online(server, carolJid);
  await publish(carol, TUNE, tune('Mine'));
  await carol.stop();
  const carol2 = await onlineWithCaps(server, carolJid, [notify(TUNE)]);
  expect(eventItems(await received(carol2, isEvent(carolJid, TUNE)))).toHaveLength(1);
  await stopAll(alice, bob2, carol2);
});

it('XEP-0115: unknown caps are asked once and kept when they verify; a false verification string is asked again', async () => {
  const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
  const features = [notify('urn:example:caps-test'), 'urn:example:feature-one'];
  const alice = await onlineWithCaps(server, aliceJid!, features);
  await waitFor(() => alice.capsQueries.length === 1);
  expect(alice.capsQueries[0]!.attrs.from).toBe('example.com');
  const bob = await onlineWithCaps(server, bobJid!, features);
  await sync(bob);
  expect(bob.capsQueries).toHaveLength(0); // known by its verification string
  const liar = [notify('urn:example:caps-liar')];
  const carol = await onlineWithCaps(server, carolJid!, liar, { ver: 'not-the-hash=' });
  await waitFor(() => carol.capsQueries.length === 1);
  const carol2 = await onlineWithCaps(server, carolJid!, liar, { ver: 'not-the-hash=', resource: 'second' });
  await waitFor(() => carol2.capsQueries.length === 1); // not cached: asked again
  await stopAll(alice, bob, carol, carol2);
});

it('explicit subscriptions (XEP-0060 §6.1) get the last item and later events whatever their caps', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await publish(alice, 'urn:example:feed', xml('entry', { xmlns: 'urn:example' }, 'first'), { id: 'e1', publishOptions: { 'pubsub#access_model': 'open' } });
  const lastItem = bob.next(isEvent(aliceJid!, 'urn:example:feed'));
  const result = await iq(bob, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('subscribe', { node: 'urn:example:feed', jid: bob.jid })), aliceJid);
  expect(result.getChild('pubsub')!.getChild('subscription')!.attrs.subscription).toBe('subscribed');
  expect(eventItems(await lastItem)).toEqual(['e1']);
  const next = bob.next((s) => isEvent(aliceJid!, 'urn:example:feed')(s) && eventItems(s)[0] === 'e2');
  await publish(alice, 'urn:example:feed', xml('entry', { xmlns: 'urn:example' }, 'second'), { id: 'e2' });
  await next;
  expect((await pubsubError(bob, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('subscribe', { node: 'urn:example:feed', jid: aliceJid })), aliceJid)))
    .toEqual({ type: 'modify', condition: 'bad-request', pubsub: 'invalid-jid' });
  await iq(bob, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('unsubscribe', { node: 'urn:example:feed', jid: bob.jid })), aliceJid);
  const since = bob.received.length;
  await publish(alice, 'urn:example:feed', xml('entry', { xmlns: 'urn:example' }, 'third'), { id: 'e3' });
  await expectNothing(bob, isEvent(aliceJid!, 'urn:example:feed'), { since });
  await stopAll(alice, bob);
});

function itemsReq(node: string): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node }));
}

function retract(node: string, id: string, notifyAll = false): Element {
  return xml('pubsub', { xmlns: NS_PUBSUB }, xml('retract', { node, notify: notifyAll ? 'true' : undefined }, xml('item', { id })));
}

function configure(node: string, values: Record<string, string | string[]>): Element {
  return xml('pubsub', { xmlns: NS_OWNER }, xml('configure', { node }, form('http://jabber.org/protocol/pubsub#node_config', values)));
}

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

it('XEP-0172 nick and XEP-0384 OMEMO: a device list and bundles open to anyone, bundles kept by the hundred', async () => {
  const NICK = 'http://jabber.org/protocol/nick';
  const DEVICES = 'urn:xmpp:omemo:2:devices';
  const BUNDLES = 'urn:xmpp:omemo:2:bundles';
  const [aliceJid, bobJid, strangerJid] = await createUsers(server, ['alice', 'bob', 'stranger']);
  const alice = await online(server, aliceJid!);
  const bob = await onlineWithCaps(server, bobJid!, [notify(NICK), notify(DEVICES)]);
  const stranger = await online(server, strangerJid!);
  await befriend(alice, bob);
  const nick = bob.next(isEvent(aliceJid!, NICK));
  await publish(alice, NICK, xml('nick', { xmlns: NICK }, 'Ally'));
  expect((await nick).getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.getChildText('nick', NICK)).toBe('Ally');

  // XEP-0384 §5.3.1: the device list and the bundles are published open, bundles with max items
  const devices = bob.next(isEvent(aliceJid!, DEVICES));
  await publish(alice, DEVICES, xml('devices', { xmlns: 'urn:xmpp:omemo:2' }, xml('device', { id: '1' }), xml('device', { id: '2' })),
    { id: 'current', publishOptions: { 'pubsub#access_model': 'open' } });
  await devices;
  for (const id of ['1', '2']) {
    await publish(alice, BUNDLES, xml('bundle', { xmlns: 'urn:xmpp:omemo:2' }, xml('spk', { id: '1' }, 'AAAA')),
      { id, publishOptions: { 'pubsub#access_model': 'open', 'pubsub#max_items': 'max' } });
  }
  expect((await itemsOf(stranger, aliceJid!, DEVICES)).map(([id]) => id)).toEqual(['current']);
  expect((await itemsOf(stranger, aliceJid!, BUNDLES)).map(([id]) => id)).toEqual(['2', '1']);
  expect((await itemsOf(stranger, aliceJid!, BUNDLES, { ids: ['1'] })).map(([id]) => id)).toEqual(['1']);
  // the nickname stays for contacts (presence access)
  expect((await pubsubError(stranger, 'get', itemsReq(NICK), aliceJid)).condition).toBe('not-authorized');
  await stopAll(alice, bob, stranger);
});
