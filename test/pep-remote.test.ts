// PEP for contacts on other servers (XEP-0163 §4.3 through the router): a remote contact's presence
// with caps (as an s2s stream hands it to the router) makes the server ask its disco#info, then
// notifications and last items go to that resource through the router, and stop when it goes
// offline. The other server is a stand-in on the host table, answering as the remote client would.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { JID, xml, type Element } from '@parley/shared';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, online, stopAll } from './helpers/im.ts';
import { capsElement, discoInfo, notify, publish } from './helpers/pep.ts';
import type { Origin } from '../server/src/core/origin.ts';

const REMOTE = 'remote.example';
const TUNE = 'http://jabber.org/protocol/tune';
const FROM_REMOTE: Origin = { kind: 's2s', domain: REMOTE };

let server: TestServer;
const arrived: Element[] = [];
let waiters: Array<{ match: (s: Element) => boolean; resolve: (s: Element) => void }> = [];

function next(match: (s: Element) => boolean, timeoutMs = 5000): Promise<Element> {
  const found = arrived.find(match);
  if (found) return Promise.resolve(found);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('nothing arrived at the remote server')), timeoutMs);
    waiters.push({ match, resolve: (s) => { clearTimeout(timer); resolve(s); } });
  });
}

beforeAll(async () => {
  server = await startServer();
  server.server.hosts.addComponent({
    kind: 'component', name: REMOTE,
    receive(stanza, from, to) {
      // the remote client answers the caps query (XEP-0115 §6.3) with what its caps stand for
      if (stanza.name === 'iq' && stanza.attrs.type === 'get') {
        const reply = xml('iq', { xmlns: 'jabber:client', type: 'result', id: stanza.attrs.id, from: to.full, to: from.full },
          discoInfo([notify(TUNE)], stanza.getChild('query')?.attrs.node));
        return server.server.router.route(reply, to, from, FROM_REMOTE);
      }
      arrived.push(stanza);
      waiters = waiters.filter((waiter) => !(waiter.match(stanza) && (waiter.resolve(stanza), true)));
    },
  });
});
afterAll(() => server.stop());

const tuneFor = (to: string, title?: string) => (s: Element) => s.name === 'message' && s.attrs.to === to
  && s.getChild('event')?.getChild('items')?.attrs.node === TUNE
  && (title === undefined || s.getChild('event')!.getChild('items')!.getChild('item')!.getChild('tune')!.getChildText('title') === title);

it('a remote contact\'s resource with tune+notify caps gets the last item, then each publish, until it goes offline', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const bob = new JID('bob', REMOTE, 'phone');
  const carol = new JID('carol', REMOTE, 'desk'); // a remote entity without a subscription
  await server.server.storage.roster.put(aliceJid!, { jid: bob.bare, name: null, subscription: 'both', ask: false, approved: false, groups: [] });
  const alice = await online(server, aliceJid!);
  await publish(alice, TUNE, xml('tune', { xmlns: TUNE }, xml('title', {}, 'First')), { id: 'now' });

  for (const who of [bob, carol]) {
    await server.server.router.route(xml('presence', { xmlns: 'jabber:client', from: who.full, to: aliceJid }, capsElement([notify(TUNE)])),
      who, new JID(aliceJid!.split('@')[0]!, 'example.com'), FROM_REMOTE);
  }
  const last = await next(tuneFor(bob.full, 'First'));
  expect(last.attrs.from).toBe(aliceJid);
  expect(last.getChild('delay', 'urn:xmpp:delay')).toBeDefined();

  await publish(alice, TUNE, xml('tune', { xmlns: TUNE }, xml('title', {}, 'Second')), { id: 'now' });
  await next(tuneFor(bob.full, 'Second'));
  expect(arrived.filter((s) => s.attrs.to === carol.full)).toEqual([]); // no subscription: nothing

  await server.server.router.route(xml('presence', { xmlns: 'jabber:client', type: 'unavailable', from: bob.full, to: aliceJid }),
    bob, new JID(aliceJid!.split('@')[0]!, 'example.com'), FROM_REMOTE);
  await new Promise((resolve) => setTimeout(resolve, 200));
  const before = arrived.length;
  await publish(alice, TUNE, xml('tune', { xmlns: TUNE }, xml('title', {}, 'Third')), { id: 'now' });
  await new Promise((resolve) => setTimeout(resolve, 300));
  expect(arrived.slice(before).filter(tuneFor(bob.full))).toEqual([]);
  await stopAll(alice);
});
