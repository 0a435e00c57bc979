// XEP-0444 reactions in a room, through real sockets (@xmpp/client): a reaction names the room's
// stanza-id (§4.1), carries no body and asks to be stored (XEP-0334 <store/>); the room keeps it
// in the history later joiners get and in its archive (XEP-0313 on the room), stamped with its own
// stanza-id and the sender's occupant id. A bodiless message without the hint (a chat state) is
// sent to the occupants and kept nowhere.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, online, received, stopAll, xml, type LoggedInClient } from './helpers/im.ts';
import { createRoom, groupchat, isGroupchat, join, newRoom } from './helpers/muc.ts';
import { queryArchive } from './helpers/mam.ts';

const REACTIONS = 'urn:xmpp:reactions:0';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

async function users(...names: string[]): Promise<LoggedInClient[]> {
  const jids = await createUsers(server, names);
  return Promise.all(jids.map((jid) => online(server, jid)));
}

it('keeps a reaction in the room\'s history and archive; a chat state goes to the occupants only', async () => {
  const [alice, bob, carol] = await users('alice', 'bob', 'carol');
  const room = newRoom('reactions');
  await createRoom(alice!, room, 'Alice');
  await join(bob!, room, 'Bob');
  const echo = alice!.next(isGroupchat('lunch?'));
  await alice!.xmpp.send(groupchat(room, 'lunch?'));
  const stanzaId = (await echo).getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id as string;

  const reacted = alice!.next((s) => s.is('message') && s.getChild('reactions', REACTIONS) !== undefined);
  await bob!.xmpp.send(xml('message', { to: room, type: 'groupchat', id: 'r1' },
    xml('reactions', { xmlns: REACTIONS, id: stanzaId }, xml('reaction', {}, '👍')), xml('store', { xmlns: 'urn:xmpp:hints' })));
  const reaction = await reacted;
  expect(reaction.attrs.from).toBe(`${room}/Bob`);
  expect(reaction.getChild('occupant-id', 'urn:xmpp:occupant-id:0')).toBeDefined();
  expect(reaction.getChild('stanza-id', 'urn:xmpp:sid:0')?.attrs.by).toBe(room);
  const typing = alice!.next((s) => s.is('message') && s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined);
  await bob!.xmpp.send(xml('message', { to: room, type: 'groupchat' }, xml('composing', { xmlns: 'http://jabber.org/protocol/chatstates' })));
  await typing;

  // a later joiner gets the message and the reaction in the history, not the chat state
  await join(carol!, room, 'Carol');
  const history = await received(carol!, (s) => s.is('message') && s.getChild('reactions', REACTIONS) !== undefined);
  expect(history.getChild('reactions', REACTIONS)!.attrs.id).toBe(stanzaId);
  expect(history.getChild('delay', 'urn:xmpp:delay')).toBeDefined();
  expect(carol!.received.some((s) => s.getChild('composing', 'http://jabber.org/protocol/chatstates') !== undefined)).toBe(false);

  const archived = (await queryArchive(alice!, {}, room)).results.map((result) => result.message);
  expect(archived.map((m) => m.getChild('reactions', REACTIONS)?.getChildText('reaction') ?? m.getChildText('body'))).toEqual(['lunch?', '👍']);
  await stopAll(alice!, bob!, carol!);
});
