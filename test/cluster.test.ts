// Three Parley nodes on one store and one NATS bus (server/src/cluster/): users on different nodes
// chat, subscribe and see each other's presence; a resource bound again on another node replaces
// the first session (RFC 6120 §7.7.2.2); a node that joins late knows the sessions already bound;
// a block list changed on one node holds on the others (their cached copy is dropped), and an
// admin's XEP-0133 end-user-session on one node ends the sessions other nodes hold.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  bare, chat, createUsers, iq, isMessage, isPresenceFrom, online, received, stopAll, subscribeAndApprove, befriend, presence, xml,
  type Element,
} from './helpers/im.ts';
import { login } from './helpers/clients.ts';
import { passwordOf } from './helpers/im.ts';
import { startCluster, tablesShow, type TestCluster } from './helpers/cluster.ts';
import type { TestServer } from './helpers/server.ts';
import { connectTcp, NS as NS_RAW } from './helpers/raw-stream.ts';
import { authenticateXml, plainMessage, userAgentXml } from './helpers/sasl2.ts';
import { NS_SM } from './helpers/sm.ts';
import { bodies, connect, handle, resumeOn, smLogin } from './helpers/sm.ts';
import { createRoom, groupchat, isGroupchat, isPresenceOf, join, newRoom } from './helpers/muc.ts';

let cluster: TestCluster;

beforeAll(async () => {
  cluster = await startCluster(3, { config: { c2s: { allowPlaintextOnLoopback: true } } });
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
});

describe('a cluster of three nodes', () => {
  it('delivers chat between users on different nodes, both ways, to the full and the bare JID', async () => {
    const [a, b, c] = cluster.nodes;
    const [aliceJid, bobJid] = await createUsers(a!, ['alice', 'bob']);
    const alice = await online(a!, aliceJid!);
    const bob = await online(b!, bobJid!);
    await tablesShow([a!, b!, c!], bobJid!, 1, { available: true });

    const toBob = received(bob, isMessage('hello from node 0'));
    await alice.xmpp.send(chat(bobJid!, 'hello from node 0'));
    expect((await toBob).attrs.from).toBe(alice.jid);

    await tablesShow([b!], aliceJid!, 1);
    const toAlice = received(alice, isMessage('to your full JID'));
    await bob.xmpp.send(chat(alice.jid, 'to your full JID'));
    expect((await toAlice).attrs.from).toBe(bob.jid);
    await stopAll(alice, bob);
  });

  it('carries subscriptions and presence across nodes, and unavailable when a session ends', async () => {
    const [a, , c] = cluster.nodes;
    const [carolJid, daveJid] = await createUsers(a!, ['carol', 'dave']);
    const carol = await online(a!, carolJid!);
    const dave = await online(c!, daveJid!);
    await tablesShow([a!, c!], carolJid!, 1, { available: true });
    await tablesShow([a!, c!], daveJid!, 1, { available: true });
    await befriend(carol, dave);
    // dave on node 2 changes his presence: carol on node 0 sees it
    const away = received(carol, (s) => isPresenceFrom(dave.jid)(s) && s.getChildText('show') === 'away');
    await dave.xmpp.send(presence({ show: 'away' }));
    await away;
    // a second resource of carol's on node 1 gets dave's presence at its initial presence (probe answered from the table)
    const b = cluster.nodes[1]!;
    const carol2 = await login(b, carolJid!, passwordOf(carolJid!), { resource: 'second', presence: false });
    const probed = received(carol2, isPresenceFrom(dave.jid));
    await carol2.xmpp.send(presence());
    await probed;
    // the cluster's table is eventually consistent: node 2 knows of carol's second resource once its announcement came
    await tablesShow(cluster.nodes, carolJid!, 2, { available: true });
    const gone = received(carol, isPresenceFrom(dave.jid, 'unavailable'));
    const goneToo = received(carol2, isPresenceFrom(dave.jid, 'unavailable'));
    await dave.stop();
    await Promise.all([gone, goneToo]);
    await tablesShow(cluster.nodes, daveJid!, 0);
    await stopAll(carol, carol2);
  });

  it('ends the older session when the same resource binds on another node (RFC 6120 §7.7.2.2)', async () => {
    const [a, b] = cluster.nodes;
    const [eveJid] = await createUsers(a!, ['eve']);
    const first = await online(a!, eveJid!, { resource: 'laptop' });
    await tablesShow([b!], eveJid!, 1);
    const conflict = new Promise<string>((resolve) => first.xmpp.on('error', (error) => resolve((error as { condition?: string }).condition ?? String(error))));
    const second = await online(b!, eveJid!, { resource: 'laptop' });
    expect(await conflict).toBe('conflict');
    await tablesShow(cluster.nodes, eveJid!, 1);
    expect(cluster.nodes[0]!.server.sessionTable.resources(eveJid!)[0]!.node).toBe(b!.server.cluster!.node);
    await stopAll(first, second);
  });

  it('holds each room on one node: users on three nodes join one room and all get every message', async () => {
    const [a, b, c] = cluster.nodes;
    const [hanaJid, ivanJid, judyJid] = await createUsers(a!, ['hana', 'ivan', 'judy']);
    const hana = await online(a!, hanaJid!);
    const ivan = await online(b!, ivanJid!);
    const judy = await online(c!, judyJid!);
    for (const jid of [hanaJid!, ivanJid!, judyJid!]) await tablesShow(cluster.nodes, jid, 1, { available: true });
    const room = newRoom('cluster');
    await createRoom(hana, room, 'hana');
    await join(ivan, room, 'ivan');
    await join(judy, room, 'judy');
    // every node names the same owner (the one that claimed the room)
    const owners = cluster.nodes.map((node) => node.server.cluster!.rooms.ownerOf(room));
    expect(new Set(owners).size).toBe(1);
    const arrivals = [hana, ivan, judy].map((client) => received(client, isGroupchat('one room, three nodes')));
    await ivan.xmpp.send(groupchat(room, 'one room, three nodes'));
    const messages = await Promise.all(arrivals);
    expect(messages.map((message) => message.attrs.from)).toEqual([`${room}/ivan`, `${room}/ivan`, `${room}/ivan`]);
    // judy leaves: hana and ivan see it, wherever the room is held
    const left = [hana, ivan].map((client) => received(client, isPresenceOf(`${room}/judy`, 'unavailable')));
    await judy.xmpp.send(presence({ to: `${room}/judy`, type: 'unavailable' }));
    await Promise.all(left);
    await stopAll(hana, ivan, judy);
  });

  it('resumes on node 1 a stream whose session waits on node 0 (XEP-0198 §5), with what it had not acknowledged', async () => {
    const [a, b] = cluster.nodes;
    const [kimJid, leoJid] = await createUsers(a!, ['kim', 'leo']);
    const leo = await online(b!, leoJid!);
    const kim = await smLogin(await connect('tcp', a!.ports), kimJid!.split('@')[0]!, passwordOf(kimJid!), { resource: 'phone' });
    const previd = kim.enabled!.attrs.id as string;
    await tablesShow(cluster.nodes, kimJid!, 1, { available: true });
    await leo.xmpp.send(chat(kim.jid, 'one'));
    await leo.xmpp.send(chat(kim.jid, 'two'));
    await handle(kim, () => bodies(kim.stanzas).includes('two'), { answer: false });
    const acknowledged = kim.handled - 1; // everything but 'two'
    kim.peer.destroy();
    // node 0 keeps the session waiting; every node's table says so
    await until(() => cluster.nodes.every((node) => node.server.sessionTable.get(kim.jid)?.hibernatedUntil != null), 'hibernated everywhere');
    await leo.xmpp.send(chat(kim.jid, 'three'));
    // kept unacknowledged on node 0 (XEP-0198 §4): presence, one, two and now three
    const kept = () => (a!.server.sessions.get(kim.jid)?.acknowledgement as { unacknowledged?: number } | null)?.unacknowledged;
    await until(() => kept() === 4, 'three kept for the waiting session');

    const peer = await connect('tcp', b!.ports);
    const resumed = await resumeOn(peer, kimJid!.split('@')[0]!, passwordOf(kimJid!), previd, acknowledged);
    expect(resumed.name).toBe('resumed');
    expect(resumed.attrs.previd).toBe(previd);
    expect(resumed.attrs.h).toBe('1'); // kim's initial presence
    const again = { peer, jid: kim.jid, handled: acknowledged, stanzas: [] as typeof kim.stanzas, enabled: null };
    await handle(again, () => bodies(again.stanzas).includes('three'));
    expect(bodies(again.stanzas)).toEqual(['two', 'three']);
    // the session is node 1's now, on every node, and new messages come to it there
    await until(() => cluster.nodes.every((node) => node.server.sessionTable.get(kim.jid)?.node === b!.server.cluster!.node
      && node.server.sessionTable.get(kim.jid)?.hibernatedUntil === null), 'moved everywhere');
    expect(a!.server.sessions.get(kim.jid)).toBeUndefined();
    await leo.xmpp.send(chat(kim.jid, 'four'));
    await handle(again, () => bodies(again.stanzas).includes('four'));
    peer.destroy();
    await leo.stop();
  });

  it('resumes inside a SASL2 sign-in on node 1 a session waiting on node 0 (XEP-0388 §2.3, XEP-0198 §5)', async () => {
    const [a, b] = cluster.nodes;
    const [mayaJid, nedJid] = await createUsers(a!, ['maya', 'ned']);
    const [maya] = mayaJid!.split('@') as [string];
    const ned = await online(b!, nedJid!);
    /** SASL2 PLAIN over direct TLS with these children of <authenticate/>: <success/>, then the features. */
    const signIn = async (node: TestServer, ...children: string[]) => {
      const peer = await connectTcp(node.ports.c2sTls!, { tls: true });
      peer.openStream({ from: mayaJid! });
      await peer.receiveHeader();
      await peer.receiveFeatures();
      peer.send(authenticateXml('PLAIN', plainMessage(maya, passwordOf(mayaJid!)), userAgentXml('cluster-inline'), ...children));
      const success = await peer.receive('success', NS_RAW.sasl2);
      await peer.receiveFeatures();
      return { peer, success };
    };
    const first = await signIn(a!, `<bind xmlns='${NS_RAW.bind2}'><tag>Phone</tag><enable xmlns='${NS_SM}' resume='true'/></bind>`);
    const full = first.success.getChildText('authorization-identifier')!;
    const previd = first.success.getChild('bound', NS_RAW.bind2)!.getChild('enabled', NS_SM)!.attrs.id!;
    first.peer.send(`<presence/>`);
    await tablesShow(cluster.nodes, mayaJid!, 1, { available: true });
    first.peer.destroy(); // lost, not closed: node 0 keeps the session waiting
    await until(() => cluster.nodes.every((node) => node.server.sessionTable.get(full)?.hibernatedUntil != null), 'hibernated everywhere');
    await ned.xmpp.send(chat(full, 'while maya was away'));
    const kept = () => (a!.server.sessions.get(full)?.acknowledgement as { unacknowledged?: number } | null)?.unacknowledged ?? 0;
    await until(() => kept() >= 1, 'the message kept for the waiting session');

    const { peer, success } = await signIn(b!, `<resume xmlns='${NS_SM}' previd='${previd}' h='0'/>`, `<bind xmlns='${NS_RAW.bind2}'/>`);
    expect(success.getChildText('authorization-identifier')).toBe(full);
    expect(success.getChild('resumed', NS_SM)!.attrs).toMatchObject({ previd });
    expect(success.getChild('bound', NS_RAW.bind2)).toBeUndefined(); // XEP-0386 §3.2: resumption replaces binding
    const bodiesSeen: string[] = [];
    while (!bodiesSeen.includes('while maya was away')) {
      const item = await peer.next();
      if (item.kind === 'element' && item.element.name === 'message') bodiesSeen.push(item.element.getChildText('body') ?? '');
    }
    // node 1 holds the session now, on every node's table, and nothing is left on node 0
    await until(() => cluster.nodes.every((node) => node.server.sessionTable.get(full)?.node === b!.server.cluster!.node
      && node.server.sessionTable.get(full)?.hibernatedUntil === null), 'moved everywhere');
    expect(a!.server.sessions.get(full)).toBeUndefined();
    // an unknown id on another node's table fails inside <success/>, and Bind 2 goes on
    const other = await signIn(b!, `<resume xmlns='${NS_SM}' previd='no-such-session' h='0'/>`, `<bind xmlns='${NS_RAW.bind2}'><tag>Laptop</tag></bind>`);
    expect(other.success.getChild('failed', NS_SM)!.getChild('item-not-found')).toBeDefined();
    expect(other.success.getChild('bound', NS_RAW.bind2)).toBeDefined();
    other.peer.destroy();
    peer.destroy();
    await ned.stop();
  });

  it('keeps a block made on one node on every node (XEP-0191 §3.5): the others drop their cached list', async () => {
    const [a, b] = cluster.nodes;
    const [oliviaJid, malloryJid] = await createUsers(a!, ['olivia', 'mallory']);
    const olivia = await online(b!, oliviaJid!);
    const mallory = await online(a!, malloryJid!);
    await tablesShow([a!], oliviaJid!, 1, { available: true });
    // node 0 reads olivia's block list (empty) for mallory's first message, and keeps it
    const first = received(olivia, isMessage('before the block'));
    await mallory.xmpp.send(chat(oliviaJid!, 'before the block'));
    await first;
    const dropped = new Promise<void>((resolve) => a!.server.hub.on('cache-invalidated', (event) => {
      if (event.cache === 'blocking.lists' && event.key === oliviaJid) resolve();
    }));
    await iq(olivia, 'set', xml('block', { xmlns: 'urn:xmpp:blocking' }, xml('item', { jid: malloryJid! })));
    await dropped;
    // §3.5: the blocked sender is answered as if olivia did not exist
    const bounced = received(mallory, (stanza) => stanza.is('message') && stanza.attrs.type === 'error');
    await mallory.xmpp.send(chat(oliviaJid!, 'after the block'));
    expect((await bounced).getChild('error')!.getChild('service-unavailable')).toBeDefined();
    expect(olivia.received.some((stanza: Element) => stanza.getChildText('body') === 'after the block')).toBe(false);
    await stopAll(olivia, mallory);
  });

  it("ends a session on another node for an admin's end-user-session (XEP-0133 §4.5)", async () => {
    const [a, , c] = cluster.nodes;
    const [bossJid, workerJid] = await createUsers(a!, ['boss', 'worker']);
    await a!.server.admin.grantRole('im-admin', { user: bossJid! });
    const boss = await online(a!, bossJid!);
    const worker = await online(c!, workerJid!);
    await tablesShow([a!], workerJid!, 1, { available: true });
    const condition = new Promise<string>((resolve) => worker.xmpp.on('error', (error) => resolve((error as { condition?: string }).condition ?? String(error))));
    const NS_COMMANDS = 'http://jabber.org/protocol/commands';
    const node = 'http://jabber.org/protocol/admin#end-user-session';
    const form = (await iq(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, action: 'execute' }), 'example.com')).getChild('command', NS_COMMANDS)!;
    const filled = xml('x', { xmlns: 'jabber:x:data', type: 'submit' },
      xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', {}, 'http://jabber.org/protocol/admin')),
      xml('field', { var: 'accountjids' }, xml('value', {}, workerJid!)));
    const done = await iq(boss, 'set', xml('command', { xmlns: NS_COMMANDS, node, sessionid: form.attrs.sessionid, action: 'complete' }, filled), 'example.com');
    expect(done.getChild('command', NS_COMMANDS)!.getChildText('note')).toBe('1 session(s) ended');
    expect(await condition).toBe('policy-violation');
    await tablesShow(cluster.nodes, workerJid!, 0);
    await stopAll(boss, worker);
  });

  it('lets a node that joins late see the sessions bound before it, and serve its own', async () => {
    const [a] = cluster.nodes;
    const [frankJid, graceJid] = await createUsers(a!, ['frank', 'grace']);
    const frank = await online(a!, frankJid!);
    const late = await cluster.add(3);
    expect(late.server.sessionTable.resources(frankJid!).length).toBeLessThanOrEqual(1);
    await tablesShow([late], frankJid!, 1);
    const grace = await online(late, graceJid!);
    const hello = received(frank, isMessage('from the late node'));
    await grace.xmpp.send(chat(bare(frankJid!), 'from the late node'));
    await hello;
    await stopAll(frank, grace);
  });
});

async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
