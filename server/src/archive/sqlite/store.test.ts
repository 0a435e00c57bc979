// The embedded archive's layout: one row per message for both local users' entries, lookups by
// archive and contact through the index's tags, the index catching up with the rows, account
// deletion, retention, and archives carried over from the layout before it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { parseSearchQuery } from '@parley/shared/fulltext';
import { migrate, type FeatureSchema } from '../../storage/sqlite/migrations.ts';
import { ARCHIVE_SCHEMA } from './schema.ts';
import { ArchiveIds } from '../ids.ts';
import type { ArchiveEntry } from '../types.ts';
import { GroupCommit } from '../../storage/group-commit.ts';
import { ownerTag, pairTag } from './search.ts';
import { SqliteArchiveStore } from './store.ts';

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';
const CAROL = 'carol@example.com';
const REMOTE = 'romeo@montague.example';

const folders: string[] = [];
afterEach(() => {
  for (const dir of folders.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function database(schema: FeatureSchema = ARCHIVE_SCHEMA): Database.Database {
  return databaseIn(folder(), schema);
}

function folder(): string {
  const dir = mkdtempSync(join(tmpdir(), 'parley-archive-store-'));
  folders.push(dir);
  return dir;
}

function databaseIn(dir: string, schema: FeatureSchema = ARCHIVE_SCHEMA): Database.Database {
  const db = new Database(join(dir, 'parley.db'));
  db.pragma('journal_mode = WAL');
  migrate(db, schema);
  return db;
}

const ids = new ArchiveIds(0, () => 1_700_000_000_000);

/** A message from `from` to `to`, archived on both sides when both are local (the archiver's shape). */
function message(from: string, to: string, body: string, sides: { outgoing?: boolean; incoming?: boolean } = {}): ArchiveEntry[] {
  const seq = ids.nextSeq();
  const stanza = `<message xmlns="jabber:client" from="${from}/phone" to="${to}" type="chat"><body>${body}</body></message>`;
  const entries: ArchiveEntry[] = [];
  if (sides.outgoing ?? true) entries.push({ seq, id: ids.idFor(seq), owner: from, peer: to, peerResource: '', outgoing: true, body, stanza });
  if (sides.incoming ?? true) entries.push({ seq, id: ids.idFor(seq), owner: to, peer: from, peerResource: 'phone', outgoing: false, body, stanza });
  return entries;
}

async function history(store: SqliteArchiveStore, owner: string, extra: Partial<Parameters<SqliteArchiveStore['page']>[0]> = {}) {
  const page = await store.page({ owner, ...extra }, { direction: 'forward', limit: 100 });
  return { ...page, bodies: page.entries.map((e) => e.body) };
}

describe('the embedded archive store', () => {
  it('keeps both local users\' entries of a message in one row, and gives each archive its own', async () => {
    const db = database();
    const store = new SqliteArchiveStore(db);
    const [sent, received] = message(ALICE, BOB, 'hello bob');
    store.append([sent!, received!]);
    await store.flush();
    expect(db.prepare('SELECT count(*) FROM archive_rows').pluck().get()).toBe(1);
    expect(store.size()).toBe(2);
    const alice = await history(store, ALICE);
    const bob = await history(store, BOB);
    expect(alice.entries).toEqual([sent]);
    expect(bob.entries).toEqual([received]);
    expect(await store.resolve(ALICE, [sent!.id, received!.id])).toEqual(new Map([[sent!.id, sent!.seq]]));
    expect(await store.resolve(BOB, [sent!.id, received!.id])).toEqual(new Map([[received!.id, received!.seq]]));
    expect([...store.scan()].flat()).toEqual([sent, received]);
    await store.close();
    db.close();
  });

  it('finds entries by archive, contact, resource, ids, seqs and words, counting what precedes a cursor', async () => {
    const db = database();
    const store = new SqliteArchiveStore(db);
    const all = [
      ...message(ALICE, BOB, 'Café au lait'),
      ...message(BOB, ALICE, 'un café, merci'),
      ...message(ALICE, CAROL, 'tea for two'),
      ...message(REMOTE, ALICE, 'wherefore art thou', { outgoing: false }),
      ...message(ALICE, ALICE, 'note to self cafe', { incoming: false }),
      ...message(CAROL, REMOTE, 'not in Alice\'s archive', { incoming: false }),
    ];
    store.insert(all);
    expect((await history(store, ALICE)).bodies).toEqual(['Café au lait', 'un café, merci', 'tea for two', 'wherefore art thou', 'note to self cafe']);
    expect((await history(store, ALICE, { with: { bare: BOB } })).bodies).toEqual(['Café au lait', 'un café, merci']);
    expect((await history(store, ALICE, { with: { bare: BOB, resource: 'phone' } })).bodies).toEqual(['un café, merci']);
    expect((await history(store, BOB, { with: { bare: ALICE, resource: 'phone' } })).bodies).toEqual(['Café au lait']);
    expect((await history(store, ALICE, { with: { bare: ALICE } })).bodies).toEqual(['note to self cafe']);
    expect((await history(store, ALICE, { with: { bare: 'nobody@example.com' } })).total).toBe(0);
    expect((await history(store, 'nobody@example.com')).total).toBe(0);
    expect((await history(store, CAROL)).bodies).toEqual(['tea for two', 'not in Alice\'s archive']);
    expect((await history(store, ALICE, { fulltext: parseSearchQuery('CAFE') })).bodies).toEqual(['Café au lait', 'un café, merci', 'note to self cafe']);
    expect((await history(store, ALICE, { fulltext: parseSearchQuery('caf*'), with: { bare: BOB } })).bodies).toEqual(['Café au lait', 'un café, merci']);
    expect((await history(store, ALICE, { fulltext: parseSearchQuery('"au lait"') })).bodies).toEqual(['Café au lait']);
    expect((await history(store, CAROL, { fulltext: parseSearchQuery('cafe') })).total).toBe(0);
    const seqs = [all[2]!.seq, all[4]!.seq];
    expect((await history(store, ALICE, { seqs })).bodies).toEqual(['un café, merci', 'tea for two']);
    expect((await history(store, ALICE, { minSeq: all[2]!.seq, maxSeq: all[4]!.seq })).bodies).toEqual(['un café, merci', 'tea for two']);

    const backward = await store.page({ owner: ALICE }, { direction: 'backward', cursor: all[6]!.seq, limit: 2 });
    expect(backward.entries.map((e) => e.body)).toEqual(['tea for two', 'un café, merci']);
    expect(backward).toMatchObject({ total: 5, preceding: 3 });
    const forward = await store.page({ owner: ALICE }, { direction: 'forward', cursor: all[2]!.seq, offset: 1, limit: 2 });
    expect(forward.entries.map((e) => e.body)).toEqual(['wherefore art thou', 'note to self cafe']);
    expect(forward).toMatchObject({ total: 5, preceding: 3 });
    expect(await store.bounds(ALICE)).toEqual({ first: { id: all[0]!.id, seq: all[0]!.seq }, last: { id: all[7]!.id, seq: all[7]!.seq } });
    expect(await store.bounds(BOB)).toEqual({ first: { id: all[1]!.id, seq: all[1]!.seq }, last: { id: all[2]!.id, seq: all[2]!.seq } });
    expect(await store.bounds('nobody@example.com')).toBeNull();
    await store.close();
    db.close();
  });

  it('indexes rows in steps, after a pause, before a read, and at the next start when it was stopped before', async () => {
    const db = database();
    const indexed = () => db.prepare('SELECT indexed_through FROM archive_index_state').pluck().get() as number;
    const store = new SqliteArchiveStore(db);
    const entries = message(ALICE, BOB, 'written, then read');
    store.insert(entries);
    expect(indexed()).toBe(0);
    expect((await history(store, BOB, { fulltext: parseSearchQuery('read') })).total).toBe(1);
    expect(indexed()).toBe(entries[0]!.seq);
    const later = message(ALICE, BOB, 'indexed once writes pause');
    store.insert(later);
    await expect.poll(indexed, { timeout: 5000 }).toBe(later[0]!.seq);
    // a process that stops before its index caught up: the next one catches up when it opens
    const stopped = message(BOB, ALICE, 'left for the next start');
    const first = new SqliteArchiveStore(db);
    first.insert(stopped);
    expect(indexed()).toBe(later[0]!.seq);
    const next = new SqliteArchiveStore(db);
    expect(indexed()).toBe(stopped[0]!.seq);
    expect((await history(next, ALICE, { fulltext: parseSearchQuery('start') })).total).toBe(1);
    // rows older than the index (an import) are indexed at once, and once
    const old = new ArchiveIds(0, () => 1_600_000_000_000);
    const seq = old.nextSeq();
    next.insert([{ seq, id: old.idFor(seq), owner: ALICE, peer: CAROL, peerResource: '', outgoing: true, body: 'imported long ago', stanza: '<message/>' }]);
    expect((await history(next, ALICE, { fulltext: parseSearchQuery('imported') })).total).toBe(1);
    expect((await history(next, ALICE)).total).toBe(4);
    for (const s of [store, first, next]) await s.close();
    db.close();
  });

  it('takes a deleted account\'s archive away and keeps the other users\' entries', async () => {
    const db = database();
    const store = new SqliteArchiveStore(db);
    for (const jid of [ALICE, BOB]) db.prepare("INSERT INTO accounts (jid, domain, username, created_at) VALUES (?, 'example.com', ?, 0)").run(jid, jid.split('@')[0]);
    store.insert([
      ...message(ALICE, BOB, 'first from alice'),
      ...message(BOB, ALICE, 'answer from bob'),
      ...message(ALICE, REMOTE, 'to a remote contact', { incoming: false }),
      ...message(ALICE, ALICE, 'a note', { incoming: false }),
      ...message(BOB, REMOTE, 'bob alone', { incoming: false }),
    ]);
    // some rows are not indexed yet when the account goes: the trigger indexes them first
    const unindexed = message(BOB, ALICE, 'just written');
    store.insert(unindexed);
    db.prepare('DELETE FROM accounts WHERE jid = ?').run(ALICE);
    expect((await history(store, ALICE)).total).toBe(0);
    expect((await history(store, ALICE, { fulltext: parseSearchQuery('alice') })).total).toBe(0);
    const bob = await history(store, BOB);
    expect(bob.bodies).toEqual(['first from alice', 'answer from bob', 'bob alone', 'just written']);
    expect(bob.entries.map((e) => e.outgoing)).toEqual([false, true, true, true]);
    expect((await history(store, BOB, { with: { bare: ALICE }, fulltext: parseSearchQuery('alice') })).bodies).toEqual(['first from alice']);
    expect(await store.resolve(BOB, [bob.entries[0]!.id])).toEqual(new Map([[bob.entries[0]!.id, bob.entries[0]!.seq]]));
    expect(db.prepare('SELECT count(*) FROM archive_rows').pluck().get()).toBe(4);
    expect(store.size()).toBe(4);
    // a new account of the same name starts with an empty archive, and archives again
    store.insert(message(BOB, ALICE, 'welcome back'));
    expect((await history(store, ALICE)).bodies).toEqual(['welcome back']);
    await store.close();
    db.close();
  });

  it('prunes entries before a seq, from the rows and from the index', async () => {
    const db = database();
    const store = new SqliteArchiveStore(db);
    const old = message(ALICE, BOB, 'old words');
    const recent = message(ALICE, BOB, 'recent words');
    store.insert([...old, ...recent]);
    expect(await store.pruneBefore(recent[0]!.seq)).toBe(1);
    expect((await history(store, BOB)).bodies).toEqual(['recent words']);
    expect((await history(store, BOB, { fulltext: parseSearchQuery('words') })).total).toBe(1);
    expect((await history(store, BOB, { fulltext: parseSearchQuery('old') })).total).toBe(0);
    await store.close();
    db.close();
  });

  it('carries an archive of the layout before over: pairs become one row, every id still resolves', async () => {
    const db = database({ ...ARCHIVE_SCHEMA, migrations: ARCHIVE_SCHEMA.migrations.slice(0, 2) });
    const insert = db.prepare('INSERT INTO archive_messages (seq, sid, owner, peer, peer_resource, outgoing, body, stanza, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    const base = 1_650_000_000_000 * 1024;
    const sid = (seq: number) => `${seq.toString(36).padStart(11, '0')}-abcdef`;
    // a local pair (second entry seq + 1), an entry alone, a pair whose first entry was deleted, and
    // a pair of node-numbered seqs (second entry seq + 16)
    insert.run(base, sid(base), ALICE, BOB, '', 1, 'old pair', '<m/>', base);
    insert.run(base + 1, sid(base + 1), BOB, ALICE, 'pc', 0, 'old pair', '<m/>', base);
    insert.run(base + 1024, sid(base + 1024), ALICE, REMOTE, '', 1, 'old single', '<m/>', base + 1024);
    insert.run(base + 2049, sid(base + 2049), BOB, CAROL, 'x', 0, 'orphan', '<m/>', base + 2048);
    insert.run(base + 3075, sid(base + 3075), ALICE, BOB, '', 1, 'node pair', '<m/>', base + 3075);
    insert.run(base + 3091, sid(base + 3091), BOB, ALICE, 'pc', 0, 'node pair', '<m/>', base + 3075);
    migrate(db, ARCHIVE_SCHEMA);
    const store = new SqliteArchiveStore(db);
    expect(db.prepare('SELECT count(*) FROM archive_rows').pluck().get()).toBe(4);
    expect((await history(store, ALICE)).bodies).toEqual(['old pair', 'old single', 'node pair']);
    const bob = await history(store, BOB);
    expect(bob.entries.map((e) => [e.id, e.peer, e.peerResource, e.outgoing])).toEqual([
      [sid(base + 1), ALICE, 'pc', false], [sid(base + 2049), CAROL, 'x', false], [sid(base + 3091), ALICE, 'pc', false],
    ]);
    expect(await store.resolve(BOB, [sid(base + 1), sid(base), sid(base + 3091)])).toEqual(new Map([[sid(base + 1), base], [sid(base + 3091), base + 3075]]));
    expect((await history(store, BOB, { fulltext: parseSearchQuery('pair') })).total).toBe(2);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name IN ('archive_messages', 'archive_search')").pluck().get()).toBe(0);
    await store.close();
    db.close();
  });
});

describe('the embedded archive store with a writer thread', () => {
  /** A store writing in its thread, its group commit, and the rows committed so far. */
  function storeWithThread() {
    const dir = folder();
    const db = databaseIn(dir);
    const commits = new GroupCommit();
    const store = new SqliteArchiveStore(db, undefined, commits, { writerThread: { dataDir: dir, database: {} } });
    const rows = () => db.prepare('SELECT count(*) FROM archive_rows').pluck().get();
    return { db, commits, store, rows };
  }

  it('commits in the thread before the group commit is done; reads see what was appended', async () => {
    const { db, commits, store, rows } = storeWithThread();
    const first = message(ALICE, BOB, 'through the thread');
    store.append(first);
    expect(rows()).toBe(0);
    const committed = commits.commit();
    expect(committed).toBeInstanceOf(Promise);
    await committed;
    expect(rows()).toBe(1);
    store.append(message(BOB, ALICE, 'read at once'));
    expect((await history(store, ALICE, { fulltext: parseSearchQuery('once') })).bodies).toEqual(['read at once']);
    expect((await history(store, ALICE)).total).toBe(2);
    expect(await store.resolve(BOB, [first[1]!.id])).toEqual(new Map([[first[1]!.id, first[1]!.seq]]));
    expect(() => store.insert(first)).toThrow(/writer thread/);
    expect(await store.pruneBefore(first[0]!.seq + 1)).toBe(1);
    expect((await history(store, BOB)).bodies).toEqual(['read at once']);
    store.append(message(ALICE, BOB, 'written at close'));
    await store.close();
    expect(rows()).toBe(2);
    expect(db.prepare('SELECT indexed_through FROM archive_index_state').pluck().get()).toBe(db.prepare('SELECT max(seq) FROM archive_rows').pluck().get());
    db.close();
  });

  it('hands waiting rows to the thread ahead of the commit, and commits them with it, in order, once each', async () => {
    const { db, commits, store, rows } = storeWithThread();
    // 700 rows: 512 staged in the thread (256 at a time, store.ts STAGED_ROWS), the rest still here
    for (let i = 0; i < 700; i++) store.append(message(ALICE, BOB, `early ${i}`));
    const first = commits.commit();
    // appended while that commit runs: 256 staged, after the commit's write, so not in it
    for (let i = 0; i < 300; i++) store.append(message(BOB, ALICE, `late ${i}`));
    await first;
    expect(rows()).toBe(700);
    await commits.flush();
    expect(rows()).toBe(1000);
    const bodies = (await store.page({ owner: ALICE }, { direction: 'forward', limit: 1000 })).entries.map((e) => e.body);
    expect(bodies).toEqual([...Array.from({ length: 700 }, (_, i) => `early ${i}`), ...Array.from({ length: 300 }, (_, i) => `late ${i}`)]);
    await store.close();
    db.close();
  });
});

describe('retractions (XEP-0424 §5) on the store\'s own connection', () => {
  it('turn the message into a tombstone in both archives, take its words out of the index, and account deletion still cleans up', async () => {
    const db = database();
    for (const jid of [ALICE, BOB]) db.prepare("INSERT INTO accounts (jid, domain, username, created_at) VALUES (?, 'example.com', ?, 0)").run(jid, jid.split('@')[0]);
    const store = new SqliteArchiveStore(db);
    const withId = (entries: ArchiveEntry[], id: string) => entries.map((e) => ({ ...e, stanza: e.stanza.replace('type="chat"', `type="chat" id="${id}"`) }));
    const secret = withId(message(ALICE, BOB, 'the secret word is rutabaga'), 'm1');
    const kept = withId(message(ALICE, BOB, 'rutabaga soup tonight'), 'm2');
    store.append([...secret, ...kept]);
    const changed = await store.retract({
      target: 'm1', scopes: [{ owner: ALICE, peer: BOB, outgoing: true }], author: ALICE, retractionId: 'r1', stamp: Date.UTC(2024, 0, 1), lookback: 100,
    });
    expect(changed).toBe(1);
    for (const owner of [ALICE, BOB]) {
      const { entries } = await history(store, owner);
      expect(entries.map((e) => e.body)).toEqual(['', 'rutabaga soup tonight']);
      expect(entries[0]!.stanza).toBe(`<message xmlns="jabber:client" from="${ALICE}/phone" to="${BOB}" type="chat" id="m1"><retracted xmlns="urn:xmpp:message-retract:1" id="r1" stamp="2024-01-01T00:00:00.000Z"/></message>`);
      expect((await history(store, owner, { fulltext: parseSearchQuery('rutabaga') })).bodies).toEqual(['rutabaga soup tonight']);
      expect((await history(store, owner, { fulltext: parseSearchQuery('secret') })).total).toBe(0);
    }
    // Bob cannot retract Alice's message; a second retraction leaves the first tombstone
    expect(await store.retract({ target: 'm2', scopes: [{ owner: BOB, peer: ALICE, outgoing: true }], author: BOB, stamp: 0, lookback: 100 })).toBe(0);
    expect(await store.retract({ target: 'm1', scopes: [{ owner: ALICE, peer: BOB, outgoing: true }], author: ALICE, stamp: 0, lookback: 100 })).toBe(0);
    // the index row was replaced with what the row now holds: the deletion trigger forgets it cleanly
    db.prepare('DELETE FROM accounts WHERE jid = ?').run(ALICE);
    expect((await history(store, BOB)).bodies).toEqual(['', 'rutabaga soup tonight']);
    expect((await history(store, BOB, { fulltext: parseSearchQuery('rutabaga') })).total).toBe(1);
    db.prepare('DELETE FROM accounts WHERE jid = ?').run(BOB);
    expect(db.prepare('SELECT count(*) FROM archive_rows').pluck().get()).toBe(0);
    db.exec("INSERT INTO archive_index (archive_index) VALUES ('integrity-check')");
    await store.close();
    db.close();
  });
});

describe('index tags', () => {
  it('are one or two private-use characters, distinct for every number, and single words to FTS5', () => {
    const samples = [0, 1, 6399, 6400, 6401, 65533, 65534, 65535, 1_000_000];
    const tags = new Set<string>();
    for (const a of samples) {
      tags.add(ownerTag(a));
      for (const b of samples) tags.add(pairTag(a, b));
    }
    expect(tags.size).toBe(samples.length + samples.length ** 2);
    expect([...ownerTag(6399)]).toHaveLength(1);
    expect([...pairTag(65533, 65533)]).toHaveLength(2);
    const db = new Database(':memory:');
    db.exec(`CREATE VIRTUAL TABLE t USING fts5(tags, tokenize = 'unicode61 remove_diacritics 2');
      CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row');`);
    db.prepare('INSERT INTO t (tags) VALUES (?)').run([...tags].join(' '));
    expect(db.prepare('SELECT term FROM v').pluck().all().sort()).toEqual([...tags].sort());
    db.close();
  });
});
