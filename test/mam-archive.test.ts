// XEP-0313 Message Archive Management with XEP-0059 paging and XEP-0431 full-text search: one
// suite, run through real sockets (@xmpp/client) against each archive backend — the embedded
// SQLite FTS5 store and a real single-node Elasticsearch — which must give the same answers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  archiveConfig, converse, queryArchive, stanzaIdOf, startArchiveServer, startElasticsearch,
  type ArchiveTestServer, type Backend, type ElasticsearchNode,
} from './helpers/mam.ts';
import {
  bare, chat, createUsers, iq, iqError, online, sendPresence, stopAll, sync, xml, type LoggedInClient,
} from './helpers/im.ts';
import { mamQuery, mamPreferences, parseMamPreferences } from '../shared/src/mam.ts';
import { Retention } from '../server/src/archive/retention.ts';
import type { ArchiveEntry } from '../server/src/archive/types.ts';
import { ArchiveIds, firstSeqAt } from '../server/src/archive/ids.ts';
import { SqliteArchiveStore } from '../server/src/archive/sqlite/store.ts';
import { openSqliteArchiveDatabase } from '../server/src/archive/sqlite/schema.ts';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const NS_MAM = 'urn:xmpp:mam:2';
const DAY = 24 * 60 * 60 * 1000;

const backends: Backend[] = process.env.PARLEY_TEST_BACKENDS
  ? (process.env.PARLEY_TEST_BACKENDS.split(',') as Backend[])
  : ['sqlite', 'elasticsearch'];

describe.each(backends)('message archive on %s', (backend) => {
  let es: ElasticsearchNode | undefined;
  let server: ArchiveTestServer;

  beforeAll(async () => {
    if (backend === 'elasticsearch') es = await startElasticsearch();
    server = await startArchiveServer(backend, es, { archive: { maxPageSize: 20 } });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await es?.dispose();
  }, 60_000);

  async function pair(...names: string[]): Promise<LoggedInClient[]> {
    const jids = await createUsers(server, names);
    return Promise.all(jids.map((jid) => online(server, jid)));
  }

  it('archives both sides of a conversation and stamps the archive id on the delivered message', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    // Alice says hello; Bob receives it with his archive's id (XEP-0359).
    const arrived = bob!.next((s) => s.is('message') && s.getChildText('body') === 'Hello Bob');
    const sentAt = Date.now();
    await alice!.xmpp.send(chat(bare(bob!.jid), 'Hello Bob'));
    const message = await arrived;
    const arrivedAt = Date.now();
    const stanzaId = stanzaIdOf(message, bare(bob!.jid));
    expect(stanzaId).toMatch(/^[0-9a-z]{11}-[0-9a-z]{6}$/);
    expect(stanzaIdOf(message, bare(alice!.jid))).toBeUndefined();

    // Bob's archive: the incoming message, under that id, forwarded with a delay stamp.
    const mine = await queryArchive(bob!);
    expect(mine.bodies).toEqual(['Hello Bob']);
    expect(mine.results[0]!.id).toBe(stanzaId);
    expect(mine.results[0]!.message.attrs.from).toBe(alice!.jid);
    expect(mine.results[0]!.message.attrs.to).toBe(bare(bob!.jid));
    // archived between sending and arrival (the query may come much later on a busy machine)
    expect(mine.results[0]!.stamp!.getTime()).toBeGreaterThanOrEqual(sentAt);
    expect(mine.results[0]!.stamp!.getTime()).toBeLessThanOrEqual(arrivedAt);
    expect(mine.fin).toMatchObject({ complete: true, first: stanzaId, last: stanzaId, firstIndex: 0, count: 1 });

    // Alice's archive: the outgoing copy, under an id of her own.
    const hers = await queryArchive(alice!);
    expect(hers.bodies).toEqual(['Hello Bob']);
    expect(hers.results[0]!.id).not.toBe(stanzaId);
    await stopAll(alice!, bob!);
  });

  it('archives messages kept offline, and delivers them stamped', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    const alice = await online(server, aliceJid!);
    await alice.xmpp.send(chat(bobJid!, 'while you were away'));
    await sync(alice);
    const bob = await online(server, bobJid!, { presence: false });
    const delivered = bob.next((s) => s.is('message') && s.getChildText('body') === 'while you were away');
    await sendPresence(bob);
    const id = stanzaIdOf(await delivered, bobJid!);
    const archive = await queryArchive(bob);
    expect(archive.results.map((r) => r.id)).toEqual([id]);
    await stopAll(alice, bob);
  });

  it('pages forward with RSM: max, after, first/last, count, index, complete', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const ids = await converse(alice!, bob!, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);

    const page1 = await queryArchive(bob!, { max: 3 });
    expect(page1.bodies).toEqual(['m1', 'm2', 'm3']);
    expect(page1.fin).toEqual({ complete: false, first: ids[0], firstIndex: 0, last: ids[2], count: 7 });
    const page2 = await queryArchive(bob!, { max: 3, after: page1.fin.last });
    expect(page2.bodies).toEqual(['m4', 'm5', 'm6']);
    expect(page2.fin).toEqual({ complete: false, first: ids[3], firstIndex: 3, last: ids[5], count: 7 });
    const page3 = await queryArchive(bob!, { max: 3, after: page2.fin.last });
    expect(page3.bodies).toEqual(['m7']);
    expect(page3.fin).toEqual({ complete: true, first: ids[6], firstIndex: 6, last: ids[6], count: 7 });
    const after = await queryArchive(bob!, { max: 3, after: page3.fin.last });
    expect(after.bodies).toEqual([]);
    expect(after.fin).toEqual({ complete: true, count: 7 });

    // <index/>: out-of-order paging; <max>0</max>: just the count
    expect((await queryArchive(bob!, { max: 2, index: 4 })).bodies).toEqual(['m5', 'm6']);
    const counted = await queryArchive(bob!, { max: 0 });
    expect(counted.bodies).toEqual([]);
    expect(counted.fin.count).toBe(7);
    await stopAll(alice!, bob!);
  });

  it('pages backward from the newest with <before/>, and flips pages on request', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const ids = await converse(alice!, bob!, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6', 'm7']);

    const last = await queryArchive(bob!, { max: 3, before: '' });
    expect(last.bodies).toEqual(['m5', 'm6', 'm7']);
    expect(last.fin).toEqual({ complete: false, first: ids[4], firstIndex: 4, last: ids[6], count: 7 });
    const older = await queryArchive(bob!, { max: 3, before: last.fin.first });
    expect(older.bodies).toEqual(['m2', 'm3', 'm4']);
    expect(older.fin.firstIndex).toBe(1);
    const oldest = await queryArchive(bob!, { max: 3, before: older.fin.first });
    expect(oldest.bodies).toEqual(['m1']);
    expect(oldest.fin).toMatchObject({ complete: true, firstIndex: 0 });

    // <flip-page/>: the same page, newest first (infinite scroll-back)
    const flipped = await queryArchive(bob!, { max: 3, before: '', flip: true });
    expect(flipped.bodies).toEqual(['m7', 'm6', 'm5']);
    expect(flipped.fin).toEqual(last.fin);
    await stopAll(alice!, bob!);
  });

  it("filters by 'with' (bare or full JID, or oneself), by 'start'/'end' and by archive ids", async () => {
    const [alice, bob, carol] = await pair('alice', 'bob', 'carol');
    await converse(alice!, bob!, ['to bob 1']);
    await converse(alice!, carol!, ['to carol']);
    await converse(bob!, alice!, ['from bob']);
    await converse(alice!, bob!, ['to bob 2']);
    await alice!.xmpp.send(chat(bare(alice!.jid), 'note to self'));
    await sync(alice!);

    expect((await queryArchive(alice!, { with: bare(bob!.jid) })).bodies).toEqual(['to bob 1', 'from bob', 'to bob 2']);
    expect((await queryArchive(alice!, { with: bob!.jid })).bodies).toEqual(['from bob']);
    expect((await queryArchive(alice!, { with: bare(alice!.jid) })).bodies).toEqual(['note to self']);
    expect((await queryArchive(alice!, { with: bare(carol!.jid) })).bodies).toEqual(['to carol']);

    const all = await queryArchive(alice!);
    expect(all.bodies).toEqual(['to bob 1', 'to carol', 'from bob', 'to bob 2', 'note to self']);
    const stamps = all.results.map((r) => r.stamp!.getTime());
    const start = stamps[2]!;
    expect((await queryArchive(alice!, { start: new Date(start) })).bodies)
      .toEqual(all.bodies.filter((_, i) => stamps[i]! >= start));
    expect((await queryArchive(alice!, { end: new Date(start) })).bodies)
      .toEqual(all.bodies.filter((_, i) => stamps[i]! <= start));
    expect((await queryArchive(alice!, { start: new Date(Date.now() + DAY) })).bodies).toEqual([]);

    const ids = all.results.map((r) => r.id);
    expect((await queryArchive(alice!, { afterId: ids[1] })).bodies).toEqual(all.bodies.slice(2));
    expect((await queryArchive(alice!, { beforeId: ids[2] })).bodies).toEqual(all.bodies.slice(0, 2));
    expect((await queryArchive(alice!, { afterId: ids[0], beforeId: ids[3] })).bodies).toEqual(all.bodies.slice(1, 3));
    expect((await queryArchive(alice!, { ids: [ids[3]!, ids[0]!] })).bodies).toEqual(['to bob 1', 'to bob 2']);
    await stopAll(alice!, bob!, carol!);
  });

  it('searches full text: case and accents ignored, words, prefixes and phrases, with filters, newest first', async () => {
    const [alice, bob, carol] = await pair('alice', 'bob', 'carol');
    await converse(alice!, bob!, ['Le café est prêt', 'CAFE au lait ?', 'Trop de caféine', 'Hello world']);
    await converse(carol!, bob!, ['Un cafetier sympa', "Le cafe n'est plus prêt"]);
    await converse(alice!, bob!, ['Ça va ? Le CAFÉ attend']);

    const search = async (fulltext: string, extra: Parameters<typeof queryArchive>[1] = {}) =>
      (await queryArchive(bob!, { fulltext, ...extra })).bodies;
    // whole words, whatever the case and accents
    expect(await search('cafe')).toEqual(['Le café est prêt', 'CAFE au lait ?', "Le cafe n'est plus prêt", 'Ça va ? Le CAFÉ attend']);
    expect(await search('PRET café')).toEqual(['Le café est prêt', "Le cafe n'est plus prêt"]);
    expect(await search('ca va')).toEqual(['Ça va ? Le CAFÉ attend']);
    // prefixes
    expect(await search('caf*')).toEqual([
      'Le café est prêt', 'CAFE au lait ?', 'Trop de caféine', 'Un cafetier sympa', "Le cafe n'est plus prêt", 'Ça va ? Le CAFÉ attend']);
    expect(await search('cafet*')).toEqual(['Un cafetier sympa']);
    expect(await search('hel* wor*')).toEqual(['Hello world']);
    // one character (shorter than the prefix indexes) and beyond them
    expect(await search('w*')).toEqual(['Hello world']);
    expect(await search('sympa*')).toEqual(['Un cafetier sympa']);
    // phrases
    expect(await search('"cafe au lait"')).toEqual(['CAFE au lait ?']);
    expect(await search('"le cafe"')).toEqual(['Le café est prêt', "Le cafe n'est plus prêt", 'Ça va ? Le CAFÉ attend']);
    expect(await search('"n est plu"*')).toEqual(["Le cafe n'est plus prêt"]);
    expect(await search('nothing')).toEqual([]);
    // combined with 'with' and dates
    expect(await search('cafe', { with: bare(carol!.jid) })).toEqual(["Le cafe n'est plus prêt"]);
    const all = await queryArchive(bob!, { fulltext: 'caf*' });
    expect(await search('caf*', { start: all.results[2]!.stamp })).toEqual(all.bodies.filter((_, i) =>
      all.results[i]!.stamp!.getTime() >= all.results[2]!.stamp!.getTime()));
    // newest first, paged: the last page, flipped, then the one before it
    const newest = await queryArchive(bob!, { fulltext: 'caf*', max: 4, before: '', flip: true });
    expect(newest.bodies).toEqual(['Ça va ? Le CAFÉ attend', "Le cafe n'est plus prêt", 'Un cafetier sympa', 'Trop de caféine']);
    expect(newest.fin).toMatchObject({ complete: false, count: 6, firstIndex: 2 });
    const next = await queryArchive(bob!, { fulltext: 'caf*', max: 4, before: newest.fin.first, flip: true });
    expect(next.bodies).toEqual(['CAFE au lait ?', 'Le café est prêt']);
    expect(next.fin).toMatchObject({ complete: true, count: 6, firstIndex: 0 });
    // Alice's archive is hers: she does not find Carol's messages
    expect((await queryArchive(alice!, { fulltext: 'cafetier' })).bodies).toEqual([]);
    await stopAll(alice!, bob!, carol!);
  });

  it('answers bad queries with the right errors', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const ids = await converse(alice!, bob!, ['one', 'two']);
    const fails = (query: Parameters<typeof mamQuery>[0], to?: string) => iqError(bob!, 'set', mamQuery(query) as never, to);
    const form = (...fields: Array<[string, string[]]>) => xml('query', { xmlns: NS_MAM },
      xml('x', { xmlns: 'jabber:x:data', type: 'submit' }, ...fields.map(([name, values]) =>
        xml('field', { var: name }, ...values.map((v) => xml('value', {}, v))))));

    expect(await fails({ start: 'yesterday' })).toEqual({ condition: 'bad-request', type: 'modify' });
    expect(await fails({ end: '2024-02-31T00:00:00Z' })).toMatchObject({ condition: 'bad-request' });
    expect(await fails({ with: 'not@a@jid' })).toMatchObject({ condition: 'bad-request' });
    expect(await fails({ fulltext: '?!' })).toMatchObject({ condition: 'bad-request' });
    expect(await fails({ fulltext: 'x'.repeat(600) })).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(bob!, 'set', form(['FORM_TYPE', ['urn:example']], ['with', [alice!.jid]]))).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(bob!, 'set', form(['start', ['2020-01-01T00:00:00Z', '2021-01-01T00:00:00Z']]))).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(bob!, 'set', form(['include-groupchat', ['true']]))).toEqual({ condition: 'feature-not-implemented', type: 'cancel' });
    // ids that are not in this archive
    expect(await fails({ afterId: 'nonsense' })).toEqual({ condition: 'item-not-found', type: 'cancel' });
    expect(await fails({ beforeId: '00000000000-abcdef' })).toMatchObject({ condition: 'item-not-found' });
    expect(await fails({ ids: [ids[0]!, 'unknown'] })).toMatchObject({ condition: 'item-not-found' });
    expect(await fails({ after: 'unknown', max: 2 })).toMatchObject({ condition: 'item-not-found' });
    const aliceIds = (await queryArchive(alice!)).results.map((r) => r.id);
    expect(await fails({ ids: [aliceIds[0]!] })).toMatchObject({ condition: 'item-not-found' });
    // RSM
    expect(await iqError(bob!, 'set', xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' }, xml('max', {}, 'ten'))))).toMatchObject({ condition: 'bad-request' });
    expect(await iqError(bob!, 'set', xml('query', { xmlns: NS_MAM }, xml('set', { xmlns: 'http://jabber.org/protocol/rsm' },
      xml('after', {}, ids[0]), xml('before', {}, ids[1]))))).toMatchObject({ condition: 'bad-request' });
    // someone else's archive
    expect(await fails({}, bare(alice!.jid))).toEqual({ condition: 'forbidden', type: 'auth' });
    await stopAll(alice!, bob!);
  });

  it('caps a page at the largest size it allows', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    await converse(alice!, bob!, Array.from({ length: 25 }, (_, i) => `n${i}`));
    const answer = await queryArchive(bob!, { max: 1000 });
    expect(answer.bodies).toHaveLength(20);
    expect(answer.fin).toMatchObject({ complete: false, count: 25 });
    await stopAll(alice!, bob!);
  });

  it('archives a bodiless message that asks to be stored (XEP-0334 <store/>): reactions, corrections and retractions come back whole (the retracted message as its tombstone)', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const by = bare(bob!.jid);
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat', id: 'm1' }, xml('body', {}, 'helo')));
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat', id: 'm2' }, xml('body', {}, 'hello'), xml('replace', { xmlns: 'urn:xmpp:message-correct:0', id: 'm1' })));
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat', id: 'm3' },
      xml('reactions', { xmlns: 'urn:xmpp:reactions:0', id: 'm1' }, xml('reaction', {}, '👍')), xml('store', { xmlns: 'urn:xmpp:hints' })));
    const last = bob!.next((s) => s.is('message') && s.getChild('retract', 'urn:xmpp:message-retract:1') !== undefined);
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat', id: 'm4' },
      xml('retract', { xmlns: 'urn:xmpp:message-retract:1', id: 'm2' }), xml('fallback', { xmlns: 'urn:xmpp:fallback:0', for: 'urn:xmpp:message-retract:1' }),
      xml('body', {}, 'retracted'), xml('store', { xmlns: 'urn:xmpp:hints' })));
    await last;
    const answer = await queryArchive(bob!);
    const messages = answer.results.map((r) => r.message);
    expect(messages.map((m) => m.attrs.id)).toEqual(['m1', 'm2', 'm3', 'm4']);
    // the retracted correction is a tombstone (XEP-0424 §5: mam-retraction.test.ts), the retraction whole
    expect(messages[1]!.getChild('replace', 'urn:xmpp:message-correct:0')).toBeUndefined();
    expect(messages[1]!.getChild('retracted', 'urn:xmpp:message-retract:1')?.attrs.id).toBe('m4');
    expect(messages[2]!.getChild('reactions', 'urn:xmpp:reactions:0')?.getChildText('reaction')).toBe('👍');
    expect(messages[3]!.getChild('retract', 'urn:xmpp:message-retract:1')?.attrs.id).toBe('m2');
    await stopAll(alice!, bob!);
  });

  it('archives only one-to-one messages with a body, and drops forged stanza-ids', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const by = bare(bob!.jid);
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat' }, xml('active', { xmlns: 'http://jabber.org/protocol/chatstates' })));
    await alice!.xmpp.send(xml('message', { to: by, type: 'headline' }, xml('body', {}, 'news')));
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat' }, xml('body', {}, 'secret'), xml('no-store', { xmlns: 'urn:xmpp:hints' })));
    const arrived = bob!.next((s) => s.is('message') && s.getChildText('body') === 'kept');
    await alice!.xmpp.send(xml('message', { to: by, type: 'chat' }, xml('body', {}, 'kept'),
      xml('stanza-id', { xmlns: 'urn:xmpp:sid:0', by, id: 'forged' })));
    const kept = await arrived;
    const stamps = kept.getChildren('stanza-id', 'urn:xmpp:sid:0');
    expect(stamps).toHaveLength(1);
    expect(stamps[0]!.attrs.id).not.toBe('forged');
    expect((await queryArchive(bob!)).bodies).toEqual(['kept']);
    await stopAll(alice!, bob!);
  });

  it('keeps archiving preferences: always, never, roster (XEP-0441)', async () => {
    const [alice, bob, carol] = await pair('alice', 'bob', 'carol');
    const prefs = async (client: LoggedInClient, set?: Parameters<typeof mamPreferences>[0]) =>
      parseMamPreferences(await iq(client, set ? 'set' : 'get', mamPreferences(set) as never) as never);
    expect(await prefs(bob!)).toEqual({ default: 'always', always: [], never: [] });

    // Bob archives nothing by default, except with Alice; never with Carol.
    expect(await prefs(bob!, { default: 'never', always: [bare(alice!.jid)], never: [bare(carol!.jid)] }))
      .toEqual({ default: 'never', always: [bare(alice!.jid)], never: [bare(carol!.jid)] });
    expect((await prefs(bob!))!.default).toBe('never');
    await converse(alice!, bob!, ['from alice']);
    await converse(carol!, bob!, ['from carol']);
    expect((await queryArchive(bob!)).bodies).toEqual(['from alice']);
    // Carol's own archive follows her (default) preferences
    expect((await queryArchive(carol!)).bodies).toEqual(['from carol']);

    // 'roster': only contacts in the roster
    await prefs(bob!, { default: 'roster', always: [], never: [] });
    await iq(bob!, 'set', xml('query', { xmlns: 'jabber:iq:roster' }, xml('item', { jid: bare(carol!.jid) })));
    await converse(carol!, bob!, ['carol is a contact now']);
    await converse(alice!, bob!, ['alice is not']);
    expect((await queryArchive(bob!)).bodies).toEqual(['from alice', 'carol is a contact now']);

    expect(await iqError(bob!, 'set', mamPreferences({ default: 'sometimes' as never, always: [], never: [] }) as never))
      .toMatchObject({ condition: 'bad-request' });
    await stopAll(alice!, bob!, carol!);
  });

  it('tells the archive metadata, the query form and its features', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const metadata = async () => (await iq(bob!, 'get', xml('metadata', { xmlns: NS_MAM }))).getChild('metadata', NS_MAM)!;
    expect((await metadata()).children).toEqual([]);
    const ids = await converse(alice!, bob!, ['first', 'second', 'third']);
    const filled = await metadata();
    expect(filled.getChild('start')!.attrs.id).toBe(ids[0]);
    expect(filled.getChild('end')!.attrs.id).toBe(ids[2]);
    expect(Date.parse(filled.getChild('end')!.attrs.timestamp)).toBeGreaterThan(Date.now() - 60_000);

    const form = (await iq(bob!, 'get', xml('query', { xmlns: NS_MAM }))).getChild('query', NS_MAM)!.getChild('x', 'jabber:x:data')!;
    expect(form.getChildren('field').map((f) => f.attrs.var)).toEqual(
      ['FORM_TYPE', 'with', 'start', 'end', 'before-id', 'after-id', 'ids', '{urn:xmpp:fulltext:0}fulltext']);

    const info = await iq(bob!, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), bare(bob!.jid));
    const features = info.getChild('query')!.getChildren('feature').map((f) => f.attrs.var);
    expect(features).toEqual(expect.arrayContaining([NS_MAM, `${NS_MAM}#extended`, 'urn:xmpp:fulltext:0', 'urn:xmpp:sid:0']));
    await stopAll(alice!, bob!);
  });

  it('prunes entries older than the retention period', async () => {
    const [alice, bob] = await pair('alice', 'bob');
    const archive = server.server.archive!;
    const owner = bare(bob!.jid);
    // Two entries from 40 and 20 days ago, written straight into the store, then a live one.
    const old = (daysAgo: number, body: string): ArchiveEntry => {
      const seq = firstSeqAt(Date.now() - daysAgo * DAY);
      return { seq, id: archive.ids.idFor(seq), owner, peer: bare(alice!.jid), peerResource: '', outgoing: false, body,
        stanza: `<message xmlns="jabber:client" type="chat"><body>${body}</body></message>` };
    };
    archive.store.append([old(40, 'forty days ago'), old(20, 'twenty days ago')]);
    await converse(alice!, bob!, ['today']);
    expect((await queryArchive(bob!)).bodies).toEqual(['forty days ago', 'twenty days ago', 'today']);
    await new Retention(archive.store, 30).runOnce();
    expect((await queryArchive(bob!)).bodies).toEqual(['twenty days ago', 'today']);
    expect((await queryArchive(bob!, { fulltext: 'days' })).bodies).toEqual(['twenty days ago']);
    await stopAll(alice!, bob!);
  });

  it.runIf(backend === 'elasticsearch')('copies an embedded archive into Elasticsearch with `parley archive reindex`', async () => {
    const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
    // An embedded archive from before Elasticsearch was configured: 2,500 entries of Bob's.
    const dataDir = mkdtempSync(join(tmpdir(), 'parley-reindex-'));
    const db = openSqliteArchiveDatabase(dataDir);
    const ids = new ArchiveIds(0, () => Date.now() - 10 * DAY);
    const entries: ArchiveEntry[] = Array.from({ length: 2500 }, (_, i) => {
      const seq = ids.nextSeq();
      const body = i % 500 === 0 ? `milestone ${i}` : `old message ${i}`;
      return { seq, id: ids.idFor(seq), owner: bobJid!, peer: aliceJid!, peerResource: '', outgoing: i % 2 === 0, body,
        stanza: `<message xmlns="jabber:client" type="chat"><body>${body}</body></message>` };
    });
    new SqliteArchiveStore(db).insert(entries);
    db.close();
    const es = server.server.config.archive.elasticsearch;
    writeFileSync(join(dataDir, 'config.json'), JSON.stringify({ archive: { elasticsearch: { nodes: es.nodes, index: es.index, replicas: 0 } } }));

    const cli = spawnSync(process.execPath, [fileURLToPath(new URL('../server/bin/parley.js', import.meta.url)),
      '--data', dataDir, '--config', join(dataDir, 'config.json'), 'archive', 'reindex', '--batch', '400'], { encoding: 'utf8', timeout: 60_000 });
    rmSync(dataDir, { recursive: true, force: true });
    expect(cli.stderr).toContain('100% 2,500/2,500');
    expect(cli.stderr).toContain('2,500 archive entries copied');
    expect(cli.status).toBe(0);

    const bob = await online(server, bobJid!);
    const all = await queryArchive(bob, { max: 20, before: '' });
    expect(all.fin.count).toBe(2500);
    expect(all.results.map((r) => r.id)).toEqual(entries.slice(-20).map((e) => e.id));
    expect((await queryArchive(bob, { fulltext: 'milestone' })).bodies).toEqual([0, 500, 1000, 1500, 2000].map((i) => `milestone ${i}`));
    await stopAll(bob);
  }, 90_000);

  it.runIf(backend === 'elasticsearch')('loses nothing when Elasticsearch stops mid-run, even across a Parley restart', async () => {
    // A server of its own, whose queries give up quickly while the cluster is away.
    const own = await startArchiveServer('elasticsearch', es, { archive: { elasticsearch: { queryWaitMs: 1000, maxRetryDelayMs: 300 } } });
    const config = own.server.config;
    const [aliceJid, bobJid] = await createUsers(own, ['alice', 'bob']);
    let alice = await online(own, aliceJid!);
    let bob = await online(own, bobJid!);
    await converse(alice, bob, ['before 1', 'before 2']);

    await es!.kill();
    // Messages still flow while the cluster is down; the archive queues them.
    const during = Array.from({ length: 30 }, (_, i) => `during ${i}`);
    await converse(alice, bob, during);
    expect(await iqError(bob, 'set', mamQuery({}) as never)).toEqual({ condition: 'internal-server-error', type: 'wait' });
    expect(own.server.archive!.store.backend).toBe('elasticsearch');

    // Parley restarts while the cluster is still down: the queue is in the data folder.
    await stopAll(alice, bob);
    await own.server.stop();
    const { ParleyServer } = await import('../server/src/server.ts');
    const { createLogger } = await import('../server/src/logger.ts');
    const restarted = await ParleyServer.start(config, createLogger(config.log.level));
    const again = { ...own, server: restarted, ports: restarted.ports };
    alice = await online(again, aliceJid!);
    bob = await online(again, bobJid!);
    await converse(alice, bob, ['after restart']);

    await es!.restart();
    const everything = ['before 1', 'before 2', ...during, 'after restart'];
    const answer = await queryArchive(bob, { max: 50 });
    expect(answer.bodies).toEqual(everything);
    expect((await queryArchive(alice, { max: 50 })).bodies).toEqual(everything);
    expect((await queryArchive(bob, { fulltext: 'during', max: 50 })).bodies).toEqual(during);
    await stopAll(alice, bob);
    await restarted.stop();
  }, 120_000);
});

it('gives a backend-neutral configuration for the helpers', () => {
  expect(archiveConfig('sqlite')).toEqual({ backend: 'sqlite' });
});
