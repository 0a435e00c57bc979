// XEP-0424 §5 tombstones in the one-to-one archive, through real sockets (@xmpp/client) on each
// backend (the embedded SQLite FTS5 store, a real single-node Elasticsearch): Alice retracts a
// message; Bob's archive, Alice's from both her resources, and full-text search show the
// tombstone, not the words; a retraction of someone else's message is archived and changes nothing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  queryArchive, startArchiveServer, startElasticsearch, stanzaIdOf, type ArchiveTestServer, type Backend, type ElasticsearchNode,
} from './helpers/mam.ts';
import { bare, createUsers, iq, online, stopAll, xml, type Element, type LoggedInClient } from './helpers/im.ts';

const RETRACT = 'urn:xmpp:message-retract:1';
const SID = 'urn:xmpp:sid:0';

const backends: Backend[] = process.env.PARLEY_TEST_BACKENDS
  ? (process.env.PARLEY_TEST_BACKENDS.split(',') as Backend[])
  : ['sqlite', 'elasticsearch'];

/** A chat message as the panel sends it: the same id as stanza id and XEP-0359 origin-id. */
function message(to: string, id: string, body: string, ...extra: Element[]): Element {
  return xml('message', { to, type: 'chat', id }, xml('body', {}, body), xml('origin-id', { xmlns: SID, id }), ...extra);
}

/** XEP-0424 §4: the retraction, with its fallback body and store hint. */
function retraction(to: string, id: string, target: string): Element {
  return xml('message', { to, type: 'chat', id },
    xml('retract', { xmlns: RETRACT, id: target }),
    xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: RETRACT }),
    xml('body', {}, 'This person attempted to retract a previous message, but it\'s unsupported by your client.'),
    xml('store', { xmlns: 'urn:xmpp:hints' }));
}

/** `from` sends it; `to` receives it (so that it is archived and routed); returns what `to` got. */
async function deliver(from: LoggedInClient, to: LoggedInClient, stanza: Element): Promise<Element> {
  const arrived = to.next((s) => s.is('message') && s.attrs.id === stanza.attrs.id);
  await from.xmpp.send(stanza);
  return arrived;
}

/** Each archived message of the query as id → body or 'tombstone(retraction id)'. */
async function archiveOf(client: LoggedInClient, query: Parameters<typeof queryArchive>[1] = {}): Promise<string[]> {
  const answer = await queryArchive(client, query);
  return answer.results.map((result) => {
    const retracted = result.message.getChild('retracted', RETRACT);
    if (retracted) return `${result.message.attrs.id}: tombstone(${retracted.attrs.id})`;
    return `${result.message.attrs.id}: ${result.message.getChildText('body')}`;
  });
}

const FALLBACK = 'This person attempted to retract a previous message, but it\'s unsupported by your client.';

describe.each(backends)('message retraction in the archive on %s', { timeout: 90_000 }, (backend) => {
  let es: ElasticsearchNode | undefined;
  let server: ArchiveTestServer;

  beforeAll(async () => {
    if (backend === 'elasticsearch') es = await startElasticsearch();
    server = await startArchiveServer(backend, es);
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await es?.dispose();
  }, 60_000);

  it('advertises retraction and tombstones on the account (XEP-0424 §2, §5)', async () => {
    const [aliceJid] = await createUsers(server, ['alice']);
    const alice = await online(server, aliceJid!);
    const info = await iq(alice, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), bare(alice.jid));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([RETRACT, `${RETRACT}#tombstone`]));
    await stopAll(alice);
  });

  it('turns the retracted message into a tombstone in both archives, for every resource, and search no longer finds it', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const [phone, laptop, bob] = await Promise.all([
      online(server, aliceJid!, { resource: 'phone' }), online(server, aliceJid!, { resource: 'laptop' }), online(server, bobJid!),
    ]);
    const to = bare(bob.jid);
    // Alice: a message she will regret, and one she keeps; Bob answers
    await deliver(phone, bob, message(to, 'm1', 'meet me at the lighthouse at midnight'));
    await deliver(phone, bob, message(to, 'm2', 'the lighthouse keeper says hi'));
    await deliver(bob, phone, message(bare(aliceJid!), 'b1', 'which lighthouse?'));
    const before = await queryArchive(bob, { fulltext: 'midnight' });
    expect(before.bodies).toEqual(['meet me at the lighthouse at midnight']);
    const bobsId = before.results[0]!.id;

    // Alice retracts m1 (XEP-0424 §4: by its id); Bob receives the retraction
    const got = await deliver(phone, bob, retraction(to, 'r1', 'm1'));
    expect(got.getChild('retract', RETRACT)?.attrs.id).toBe('m1');

    // Bob's archive: m1 is a tombstone at its place, under its archive id, pointing at the retraction (§5)
    const bobs = await queryArchive(bob);
    expect(bobs.results.map((r) => r.message.attrs.id)).toEqual(['m1', 'm2', 'b1', 'r1']);
    const tombstone = bobs.results[0]!;
    expect(tombstone.id).toBe(bobsId);
    expect(tombstone.message.getChild('body')).toBeUndefined();
    const retracted = tombstone.message.getChild('retracted', RETRACT)!;
    expect(retracted.attrs.id).toBe('r1');
    expect(Date.parse(retracted.attrs.stamp!)).toBeGreaterThanOrEqual(tombstone.stamp!.getTime());
    // it still says who sent it to whom, and which message it was (origin-id), and nothing of its text
    expect(bare(tombstone.message.attrs.from!)).toBe(bare(aliceJid!));
    expect(tombstone.message.getChild('origin-id', SID)?.attrs.id).toBe('m1');
    expect(tombstone.message.toString()).not.toContain('lighthouse');
    // the retraction itself stays archived (§6), the other messages untouched
    expect(bobs.results[3]!.message.getChild('retract', RETRACT)?.attrs.id).toBe('m1');
    expect(await archiveOf(bob)).toEqual(['m1: tombstone(r1)', 'm2: the lighthouse keeper says hi', 'b1: which lighthouse?', `r1: ${FALLBACK}`]);

    // Alice's archive, from the resource that retracted and from the other one
    for (const resource of [phone, laptop]) {
      expect(await archiveOf(resource)).toEqual(['m1: tombstone(r1)', 'm2: the lighthouse keeper says hi', 'b1: which lighthouse?', `r1: ${FALLBACK}`]);
    }
    // full-text search: the retracted words are gone from both archives, the others are found
    for (const client of [bob, laptop]) {
      expect((await queryArchive(client, { fulltext: 'midnight' })).bodies).toEqual([]);
      expect((await queryArchive(client, { fulltext: 'lighthouse' })).bodies).toEqual(['the lighthouse keeper says hi', 'which lighthouse?']);
      expect((await queryArchive(client, { fulltext: 'meet' })).results).toHaveLength(0);
    }
    // counts and the conversation filter see the tombstone as an entry
    expect((await queryArchive(bob, { with: bare(aliceJid!) })).fin.count).toBe(4);
    await stopAll(phone, laptop, bob);
  });

  it('finds the message by its origin-id, or by the author\'s archive id, and tombstones its corrections too', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const [alice, bob] = await Promise.all([online(server, aliceJid!), online(server, bobJid!)]);
    const to = bare(bob.jid);
    // an origin-id that differs from the stanza id (XEP-0424 0.2–0.3 named the origin-id)
    await deliver(alice, bob, xml('message', { to, type: 'chat', id: 's1' }, xml('body', {}, 'first draft of the plan'), xml('origin-id', { xmlns: SID, id: 'o1' })));
    // a message, corrected (XEP-0308), then retracted by the original's id: the correction's words go too
    await deliver(alice, bob, message(to, 'm2', 'the password is swordfish'));
    await deliver(alice, bob, message(to, 'm3', 'the password is marlin', xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'm2' })));
    await deliver(alice, bob, message(to, 'm4', 'an ordinary message'));
    await deliver(alice, bob, retraction(to, 'r1', 'o1'));
    await deliver(alice, bob, retraction(to, 'r2', 'm2'));
    expect(await archiveOf(bob)).toEqual([
      's1: tombstone(r1)', 'm2: tombstone(r2)', 'm3: tombstone(r2)', 'm4: an ordinary message', `r1: ${FALLBACK}`, `r2: ${FALLBACK}`]);
    expect((await queryArchive(bob, { fulltext: 'password' })).results).toHaveLength(0);
    expect((await queryArchive(alice, { fulltext: 'marlin' })).results).toHaveLength(0);

    // by the archive id Alice's archive gave the message (XEP-0359 stanza-id)
    await deliver(alice, bob, message(to, 'm5', 'ids are hard'));
    const hers = await queryArchive(alice, { fulltext: 'hard' });
    expect(hers.bodies).toEqual(['ids are hard']);
    await deliver(alice, bob, retraction(to, 'r3', hers.results[0]!.id));
    expect((await archiveOf(alice)).slice(-2)).toEqual(['m5: tombstone(r3)', `r3: ${FALLBACK}`]);
    expect((await queryArchive(bob, { fulltext: 'hard' })).results).toHaveLength(0);
    await stopAll(alice, bob);
  });

  it('archives a retraction of someone else\'s message and changes nothing (XEP-0424 §6)', async () => {
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const [alice, bob, carol] = await Promise.all([online(server, aliceJid!), online(server, bobJid!), online(server, carolJid!)]);
    const aliceBare = bare(alice.jid);
    const received = await deliver(alice, bob, message(bare(bob.jid), 'm1', 'a message only Alice may retract'));
    const bobsId = stanzaIdOf(received, bare(bob.jid))!;
    // Bob names Alice's message by its id, by its origin-id and by his archive id; Carol, in another conversation, too
    await deliver(bob, alice, retraction(aliceBare, 'x1', 'm1'));
    await deliver(bob, alice, retraction(aliceBare, 'x2', bobsId));
    await deliver(carol, bob, retraction(bare(bob.jid), 'x3', 'm1'));
    await deliver(carol, bob, retraction(bare(bob.jid), 'x4', bobsId));
    expect(await archiveOf(alice)).toEqual(['m1: a message only Alice may retract', `x1: ${FALLBACK}`, `x2: ${FALLBACK}`]);
    expect(await archiveOf(bob, { with: aliceBare })).toEqual(['m1: a message only Alice may retract', `x1: ${FALLBACK}`, `x2: ${FALLBACK}`]);
    expect((await queryArchive(bob, { fulltext: 'only alice' })).bodies).toEqual(['a message only Alice may retract']);
    // a retraction naming no archived message, or a retraction (§6: retractions stay), changes nothing either
    await deliver(alice, bob, retraction(bare(bob.jid), 'r1', 'no-such-message'));
    await deliver(alice, bob, retraction(bare(bob.jid), 'r2', 'r1'));
    expect(await archiveOf(bob, { with: aliceBare })).toEqual([
      'm1: a message only Alice may retract', `x1: ${FALLBACK}`, `x2: ${FALLBACK}`, `r1: ${FALLBACK}`, `r2: ${FALLBACK}`]);
    await stopAll(alice, bob, carol);
  });
});
