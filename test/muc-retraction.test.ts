// XEP-0424 and XEP-0425 in a room's archive, through real sockets (@xmpp/client): an occupant
// retracts their own message by the room's stanza-id, a moderator retracts someone else's; the
// room archive (MAM on the room) shows tombstones, search no longer finds the words, later joiners
// do not get the message in their history; a retraction of another occupant's message is archived
// and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, iq, online, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';
import { createRoom, groupchat, isGroupchat, join } from './helpers/muc.ts';
import { newRoom } from './helpers/muc.ts';
import { queryArchive } from './helpers/mam.ts';

const RETRACT = 'urn:xmpp:message-retract:1';
const MODERATE = 'urn:xmpp:message-moderate:1';
const OCCUPANT_ID = 'urn:xmpp:occupant-id:0';
const FALLBACK = '/me retracted a previous message';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

async function users(...names: string[]): Promise<LoggedInClient[]> {
  const jids = await createUsers(server, names);
  return Promise.all(jids.map((jid) => online(server, jid)));
}

/** Sends a room message and waits for its echo; returns the room's stanza-id. */
async function say(client: LoggedInClient, room: string, body: string): Promise<string> {
  const echo = client.next(isGroupchat(body));
  await client.xmpp.send(groupchat(room, body));
  return (await echo).getChild('stanza-id', 'urn:xmpp:sid:0')!.attrs.id as string;
}

/** XEP-0424 §4 in a room: by the room's stanza-id; resolves when `witness` got it. */
async function retract(client: LoggedInClient, witness: LoggedInClient, room: string, id: string, target: string): Promise<Element> {
  const told = witness.next((s) => s.is('message') && s.getChild('retract', RETRACT)?.attrs.id === target);
  await client.xmpp.send(xml('message', { to: room, type: 'groupchat', id },
    xml('retract', { xmlns: RETRACT, id: target }), xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: RETRACT }),
    xml('body', {}, FALLBACK), xml('store', { xmlns: 'urn:xmpp:hints' })));
  return told;
}

/** The room archive as "nick: body" or "nick: tombstone(…)". */
async function roomArchive(client: LoggedInClient, room: string, fulltext?: string): Promise<string[]> {
  const answer = await queryArchive(client, fulltext ? { fulltext } : {}, room);
  return answer.results.map((result) => {
    const message = result.message;
    const nick = message.attrs.from!.split('/')[1] ?? '(room)';
    const retracted = message.getChild('retracted', RETRACT);
    if (!retracted) return `${nick}: ${message.getChildText('body')}`;
    const moderated = retracted.getChild('moderated', MODERATE);
    return `${nick}: tombstone(${retracted.attrs.id}${moderated ? ` moderated by ${moderated.attrs.by}, ${retracted.getChildText('reason')}` : ''})`;
  });
}

describe('retractions in a room archive', () => {
  it('the room advertises tombstones; an occupant retracts their own message: a tombstone, out of search and history', async () => {
    const [alice, bob, dave] = await users('alice', 'bob', 'dave');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    const info = await iq(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), room);
    expect(info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining([RETRACT, `${RETRACT}#tombstone`, MODERATE]));

    const secret = await say(bob!, room, 'my secret plan: the heist at noon');
    await say(alice!, room, 'what plan?');
    const told = await retract(bob!, alice!, room, 'r1', secret);
    expect(told.attrs.from).toBe(`${room}/Bob`);

    expect(await roomArchive(alice!, room)).toEqual(['Bob: tombstone(r1)', 'Alice: what plan?', `Bob: ${FALLBACK}`]);
    const tombstone = (await queryArchive(alice!, {}, room)).results[0]!;
    expect(tombstone.id).toBe(secret);
    expect(tombstone.message.getChild('body')).toBeUndefined();
    // XEP-0425 §5 keeps the author's occupant id on the tombstone; nothing of the text stays
    expect(tombstone.message.getChild('occupant-id', OCCUPANT_ID)).toBeDefined();
    expect(tombstone.message.toString()).not.toContain('heist');
    expect(await roomArchive(alice!, room, 'heist')).toEqual([]);
    expect(await roomArchive(alice!, room, 'plan')).toEqual(['Alice: what plan?']);

    // a later joiner's history (XEP-0424 §6: not replayed to new occupants)
    const history: Element[] = [];
    const collect = (s: Element) => { if (s.is('message') && s.attrs.type === 'groupchat' && s.getChild('delay', 'urn:xmpp:delay')) history.push(s); };
    dave!.xmpp.on('stanza', collect);
    await join(dave!, room, 'Dave');
    expect(history.map((m) => m.getChildText('body'))).not.toContain('my secret plan: the heist at noon');
    expect(history.map((m) => m.getChildText('body'))).toContain('what plan?');
    await stopAll(alice!, bob!, dave!);
  });

  it("a retraction of another occupant's message is archived and changes nothing", async () => {
    const [alice, bob, carol] = await users('alice', 'bob', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(bob!, room, 'Bob');
    await join(carol!, room, 'Carol');
    const carols = await say(carol!, room, 'carol wrote this herself');
    await retract(bob!, carol!, room, 'x1', carols);
    expect(await roomArchive(alice!, room)).toEqual(['Carol: carol wrote this herself', `Bob: ${FALLBACK}`]);
    expect(await roomArchive(alice!, room, 'herself')).toEqual(['Carol: carol wrote this herself']);
    // Carol's message is still in the history for later joiners
    const [dave] = await users('dave');
    const history: string[] = [];
    dave!.xmpp.on('stanza', (s: Element) => { if (s.is('message') && s.getChild('delay', 'urn:xmpp:delay')) history.push(s.getChildText('body') ?? ''); });
    await join(dave!, room, 'Dave');
    expect(history).toContain('carol wrote this herself');
    await stopAll(alice!, bob!, carol!, dave!);
  });

  it('a moderator retracts a message (XEP-0425): a tombstone saying who moderated, and why', async () => {
    const [alice, carol] = await users('alice', 'carol');
    const room = newRoom();
    await createRoom(alice!, room, 'Alice');
    await join(carol!, room, 'Carol');
    const rude = await say(carol!, room, 'something rude about turnips');
    const told = carol!.next((s) => s.is('message') && s.getChild('retract', RETRACT)?.attrs.id === rude);
    await iq(alice!, 'set', xml('moderate', { xmlns: MODERATE, id: rude }, xml('retract', { xmlns: RETRACT }), xml('reason', {}, 'off topic')), room);
    const retraction = await told;
    expect(await roomArchive(carol!, room)).toEqual([
      `Carol: tombstone(${retraction.attrs.id} moderated by ${room}/Alice, off topic)`, '(room): This message was retracted by a moderator.']);
    expect(await roomArchive(carol!, room, 'turnips')).toEqual([]);
    await stopAll(alice!, carol!);
  });
});
