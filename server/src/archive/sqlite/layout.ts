// The embedded archive's tables since migration 4: one row per message with no index of its own,
// and one FTS5 index whose tags serve every lookup by archive and contact (search.ts). Migration 3's
// layout (one row per entry, two B-tree indexes, hashed tags) cost about three times as much per
// message; its entries are carried over here.
//
// A commit writes rows only; the index catches up with them in large steps (catchUp: one SQL
// statement over up to INDEX_STEP rows, so no per-row call from JavaScript, and larger index
// segments to merge), when that many wait, when writes pause, and before anything reads or deletes
// through the index. archive_index_state says how far it got: rows above that are not in it yet.
import type BetterSqlite3 from 'better-sqlite3';
import type { ArchiveEntry } from '../types.ts';
import { ArchiveJids } from './jids.ts';
import { entryTags } from './search.ts';
import { ROW_WIDTH, pushRows, type RowValue } from './rows.ts';

/** Rows indexed per catch-up step (one transaction). */
export const INDEX_STEP = 4096;

/** The FTS 'tags' value of a row: both entries' tags, as given to the index. */
const INDEXED_TAGS = "tags || ifnull(' ' || mirror_tags, '')";

export const ARCHIVE_TABLES = `
  -- Numbers for the bare JIDs of the archive (archive/sqlite/jids.ts): the index's tags are made of
  -- them, the owner tag is kept here for the account deletion trigger.
  CREATE TABLE archive_jids (
    id        INTEGER PRIMARY KEY,
    jid       TEXT NOT NULL UNIQUE,
    owner_tag TEXT NOT NULL
  );

  -- One row per archived message (archive/sqlite/rows.ts). seq orders the archive and encodes the
  -- time (archive/ids.ts). A message between two local users is one row with both users' entries
  -- (the same seq, each its own public id): the first in owner, peer…, the peer's in mirror_….
  CREATE TABLE archive_rows (
    seq                  INTEGER PRIMARY KEY,
    owner                TEXT NOT NULL,
    peer                 TEXT NOT NULL,
    peer_resource        TEXT NOT NULL,
    outgoing             INTEGER NOT NULL,
    sid                  TEXT NOT NULL,
    mirror_sid           TEXT,
    mirror_peer_resource TEXT,
    body                 TEXT NOT NULL,
    stanza               TEXT NOT NULL,
    -- each entry's tags as given to archive_index: a contentless index forgets a row only when
    -- told what it holds
    tags                 TEXT NOT NULL,
    mirror_tags          TEXT
  );

  -- Words folded for case and accents, prefix lists for 2–4 characters, and each entry's tags
  -- (search.ts); rowid = archive_rows.seq. Contentless: the text is in archive_rows.
  CREATE VIRTUAL TABLE archive_index USING fts5(
    body, tags,
    content = '', columnsize = 0,
    tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4'
  );

  -- The highest seq whose row is in archive_index: rows above it are not indexed yet.
  CREATE TABLE archive_index_state (indexed_through INTEGER NOT NULL);
  INSERT INTO archive_index_state VALUES (0);

  -- The rows the account deletion trigger is taking out of an archive (empty between deletions).
  CREATE TABLE archive_removal (seq INTEGER PRIMARY KEY);

  -- A deleted account takes its archive with it: the index catches up, the archive's rows leave
  -- it, those only in that archive go, the others keep the other user's entry and are indexed again
  -- with its tags alone.
  CREATE TRIGGER accounts_archive_cleanup AFTER DELETE ON accounts
  WHEN EXISTS (SELECT 1 FROM archive_jids WHERE jid = OLD.jid)
  BEGIN
    INSERT INTO archive_index (rowid, body, tags)
      SELECT seq, body, ${INDEXED_TAGS} FROM archive_rows WHERE seq > (SELECT indexed_through FROM archive_index_state) ORDER BY seq;
    UPDATE archive_index_state SET indexed_through = ifnull((SELECT max(seq) FROM archive_rows), indexed_through);
    INSERT INTO archive_removal (seq) SELECT rowid FROM archive_index
      WHERE archive_index MATCH (SELECT 'tags : "' || owner_tag || '"' FROM archive_jids WHERE jid = OLD.jid);
    INSERT INTO archive_index (archive_index, rowid, body, tags)
      SELECT 'delete', r.seq, r.body, r.tags || ifnull(' ' || r.mirror_tags, '') FROM archive_rows r JOIN archive_removal x ON x.seq = r.seq;
    DELETE FROM archive_rows WHERE seq IN (SELECT seq FROM archive_removal) AND mirror_sid IS NULL;
    UPDATE archive_rows SET owner = peer, peer = owner, peer_resource = mirror_peer_resource, outgoing = 1 - outgoing,
        sid = mirror_sid, tags = mirror_tags, mirror_sid = NULL, mirror_peer_resource = NULL, mirror_tags = NULL
      WHERE seq IN (SELECT seq FROM archive_removal) AND owner = OLD.jid;
    UPDATE archive_rows SET mirror_sid = NULL, mirror_peer_resource = NULL, mirror_tags = NULL
      WHERE seq IN (SELECT seq FROM archive_removal) AND mirror_sid IS NOT NULL;
    INSERT INTO archive_index (rowid, body, tags)
      SELECT r.seq, r.body, r.tags FROM archive_rows r JOIN archive_removal x ON x.seq = r.seq;
    DELETE FROM archive_removal;
  END;
`;

/** Writes messages into the tables, and the index after them. */
export class ArchiveRowWriter {
  readonly jids: ArchiveJids;
  private readonly insertRow;
  private readonly insertIndex;
  private readonly selectIndexed;
  private readonly indexRows;
  private readonly lastOfStep;
  private readonly setIndexed;
  private readonly catchUpStep;
  private readonly tombstoneStep;

  constructor(db: BetterSqlite3.Database) {
    this.jids = new ArchiveJids(db);
    this.insertRow = db.prepare<[number, string, string, string, number, string, string | null, string | null, string, string, string, string | null]>(
      `INSERT INTO archive_rows (seq, owner, peer, peer_resource, outgoing, sid, mirror_sid, mirror_peer_resource, body, stanza, tags, mirror_tags)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    this.insertIndex = db.prepare<[number, string, string]>('INSERT INTO archive_index (rowid, body, tags) VALUES (?, ?, ?)');
    this.selectIndexed = db.prepare<[], number>('SELECT indexed_through FROM archive_index_state').pluck();
    this.indexRows = db.prepare<[number, number]>(
      `INSERT INTO archive_index (rowid, body, tags) SELECT seq, body, ${INDEXED_TAGS} FROM archive_rows WHERE seq > ? ORDER BY seq LIMIT ?`);
    this.lastOfStep = db.prepare<[number, number], number | null>(
      'SELECT max(seq) FROM (SELECT seq FROM archive_rows WHERE seq > ? ORDER BY seq LIMIT ?)').pluck();
    this.setIndexed = db.prepare<[number]>('UPDATE archive_index_state SET indexed_through = ?');
    this.catchUpStep = db.transaction((limit: number) => {
      const from = this.selectIndexed.get()!;
      const through = this.lastOfStep.get(from, limit);
      if (through === null || through === undefined) return 0;
      const { changes } = this.indexRows.run(from, limit);
      this.setIndexed.run(through);
      return changes;
    });
    // XEP-0424 §5: the row keeps its seq, ids and tags; its text goes, from the index too (a
    // contentless index forgets a row when told the values it holds, then takes it again with the
    // tags alone, which the archive's lookups walk)
    const selectIndexedValues = db.prepare<[number], { body: string; tags: string }>(
      `SELECT body, ${INDEXED_TAGS} AS tags FROM archive_rows WHERE seq = ?`);
    const forget = db.prepare<[number, string, string]>(
      "INSERT INTO archive_index (archive_index, rowid, body, tags) VALUES ('delete', ?, ?, ?)");
    const setTombstone = db.prepare<[string, number]>("UPDATE archive_rows SET body = '', stanza = ? WHERE seq = ?");
    this.tombstoneStep = db.transaction((seq: number, stanza: string) => {
      const row = selectIndexedValues.get(seq);
      if (row === undefined) return 0;
      if (seq <= this.selectIndexed.get()!) {
        forget.run(seq, row.body, row.tags);
        this.insertIndex.run(seq, '', row.tags);
      }
      return setTombstone.run(stanza, seq).changes;
    });
  }

  /** Replaces a row's message by its tombstone (body gone from the row and the index); returns 1, or 0 when the row is gone. */
  tombstone(seq: number, stanza: string): number {
    return this.tombstoneStep.immediate(seq, stanza);
  }

  /**
   * Call inside a transaction; `rows` as pushRows() makes them. Rows go into the index with the next
   * catch-up, or at once if they are below where it got (an import of old entries).
   */
  write(rows: RowValue[]): void {
    const indexed = this.selectIndexed.get()!;
    for (let i = 0; i < rows.length; i += ROW_WIDTH) {
      const seq = rows[i] as number;
      const ownerJid = rows[i + 2] as string;
      const peerJid = rows[i + 3] as string;
      const body = rows[i + 6] as string;
      const mirrorSid = rows[i + 8] as string | null;
      const owner = this.jids.numberOf(ownerJid);
      const peer = this.jids.numberOf(peerJid);
      const tags = entryTags(owner, peer);
      const mirrorTags = mirrorSid === null ? null : entryTags(peer, owner);
      this.insertRow.run(seq, ownerJid, peerJid, rows[i + 4] as string, rows[i + 5] as number, rows[i + 1] as string,
        mirrorSid, rows[i + 9] as string | null, body, rows[i + 7] as string, tags, mirrorTags);
      if (seq <= indexed) this.insertIndex.run(seq, body, mirrorTags === null ? tags : tags + ' ' + mirrorTags);
    }
  }

  /** Indexes up to `limit` waiting rows in one transaction; returns how many it indexed. */
  catchUp(limit: number): number {
    return this.catchUpStep.immediate(limit);
  }
}

interface OldEntryRow {
  seq: number;
  sid: string;
  owner: string;
  peer: string;
  peer_resource: string;
  outgoing: number;
  body: string;
  stanza: string;
  message: number;
}

/** Old rows read per step of the copy. */
const COPY_CHUNK = 20_000;

/**
 * Migration 4: the new tables, the entries of migration 3's archive_messages copied into them (a
 * message's two entries, which shared an index row there, become one row; the second keeps its
 * public id, whose seq is a little above the row's: store.ts resolves it), the old tables dropped.
 */
export function migrateToArchiveRows(db: BetterSqlite3.Database): void {
  db.exec(`
    DROP TRIGGER accounts_archive_cleanup;
    DROP TRIGGER archive_search_cleanup;
  `);
  db.exec(ARCHIVE_TABLES);
  const writer = new ArchiveRowWriter(db);
  const select = db.prepare<[number, number], OldEntryRow>(
    'SELECT seq, sid, owner, peer, peer_resource, outgoing, body, stanza, message FROM archive_messages WHERE message > ? ORDER BY message, seq LIMIT ?');
  let after = -1;
  for (;;) {
    const rows = select.all(after, COPY_CHUNK);
    if (rows.length === 0) break;
    // a full chunk may end inside a message: that message starts the next chunk
    const complete = rows.length === COPY_CHUNK && rows[0]!.message !== rows[rows.length - 1]!.message
      ? rows.filter((row) => row.message !== rows[rows.length - 1]!.message) : rows;
    const entries: ArchiveEntry[] = [];
    for (const row of complete) {
      entries.push({
        // the second entry of a message takes the row's seq (its id still names its own)
        seq: row.message === row.seq || !entries.length || entries[entries.length - 1]!.seq !== row.message ? row.seq : row.message,
        id: row.sid, owner: row.owner, peer: row.peer, peerResource: row.peer_resource, outgoing: row.outgoing === 1,
        body: row.body, stanza: row.stanza,
      });
    }
    const values: RowValue[] = [];
    pushRows(values, entries);
    writer.write(values);
    after = complete[complete.length - 1]!.message;
  }
  while (writer.catchUp(INDEX_STEP) > 0);
  db.exec(`
    DROP TABLE archive_search;
    DROP TABLE archive_messages;
  `);
}
