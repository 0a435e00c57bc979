// The embedded archive: entries in SQLite (archive_messages), words in an FTS5 index
// (archive_search) with one row per message, shared by its entries in both users' archives.
// Appends are written in batches, one transaction each, by the group commit (write-batcher.ts).
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../logger.ts';
import type { ArchiveBounds, ArchiveEntry, ArchiveFilter, ArchiveStore, PageRequest, PageResult } from '../types.ts';
import { SEQ_STEP, seqOfId } from '../ids.ts';
import { matchExpression, tagsOf } from './search.ts';
import { WriteBatcher } from '../write-batcher.ts';
import { GroupCommit } from '../../storage/group-commit.ts';

interface EntryRow {
  seq: number;
  sid: string;
  owner: string;
  peer: string;
  peer_resource: string;
  outgoing: number;
  body: string;
  stanza: string;
}

const COLUMNS = 'm.seq, m.sid, m.owner, m.peer, m.peer_resource, m.outgoing, m.body, m.stanza';
/** Rows deleted per transaction when pruning, so that the event loop keeps turning. */
const PRUNE_BATCH = 5000;
/** Prepared statements kept per query shape. */
const STATEMENT_CACHE = 256;

/**
 * The recipient's entry of the message `first` is the sender's entry of (the archiver appends them
 * together, one node's seqs in a row: ids.ts SEQ_STEP apart): the join in conditions() relies on the
 * entries of a message being at most SEQ_STEP apart (1 in archives from before node numbers).
 */
function sameMessage(first: ArchiveEntry, second: ArchiveEntry): boolean {
  return second.seq === first.seq + SEQ_STEP && second.owner === first.peer && second.peer === first.owner
    && second.stanza === first.stanza && second.body === first.body;
}

function toEntry(row: EntryRow): ArchiveEntry {
  return {
    seq: row.seq, id: row.sid, owner: row.owner, peer: row.peer, peerResource: row.peer_resource,
    outgoing: row.outgoing === 1, body: row.body, stanza: row.stanza,
  };
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly backend = 'sqlite' as const;
  private readonly batcher: WriteBatcher<ArchiveEntry>;
  private closed = false;
  private readonly insertMessage;
  private readonly insertWords;
  private readonly insertTx;
  private readonly selectBySeq;
  private readonly selectFirst;
  private readonly selectLast;
  private readonly selectHighest;
  private readonly pruneBatch;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /**
   * `commits`: the server's group commit (a store of its own, for imports and tools, commits alone);
   * `ownsDatabase`: close() closes the connection too (archive/index.ts opens one for the store).
   */
  constructor(private readonly db: BetterSqlite3.Database, private readonly log?: Logger, commits = new GroupCommit(),
    private readonly options: { ownsDatabase?: boolean } = {}) {
    this.batcher = new WriteBatcher<ArchiveEntry>(commits, (batch) => this.writeBatch(batch));
    this.insertMessage = db.prepare<[number, string, string, string, string, number, string, string, number]>(
      'INSERT INTO archive_messages (seq, sid, owner, peer, peer_resource, outgoing, body, stanza, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
    this.insertWords = db.prepare<[number, string, string]>('INSERT INTO archive_search (rowid, body, tags) VALUES (?, ?, ?)');
    this.insertTx = db.transaction((entries: ArchiveEntry[]) => {
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i]!;
        this.insertMessage.run(e.seq, e.id, e.owner, e.peer, e.peerResource, e.outgoing ? 1 : 0, e.body, e.stanza, e.seq);
        let tags = tagsOf(e.owner, e.peer);
        const other = entries[i + 1];
        if (other !== undefined && sameMessage(e, other)) {
          this.insertMessage.run(other.seq, other.id, other.owner, other.peer, other.peerResource, other.outgoing ? 1 : 0, other.body, other.stanza, e.seq);
          tags += ' ' + tagsOf(other.owner, other.peer);
          i++;
        }
        this.insertWords.run(e.seq, e.body, tags);
      }
    });
    this.selectBySeq = db.prepare<[number], { sid: string; owner: string }>('SELECT sid, owner FROM archive_messages WHERE seq = ?');
    this.selectFirst = db.prepare<[string], { seq: number; sid: string }>(
      'SELECT seq, sid FROM archive_messages WHERE owner = ? ORDER BY seq ASC LIMIT 1');
    this.selectLast = db.prepare<[string], { seq: number; sid: string }>(
      'SELECT seq, sid FROM archive_messages WHERE owner = ? ORDER BY seq DESC LIMIT 1');
    this.selectHighest = db.prepare<[], number | null>('SELECT max(seq) FROM archive_messages').pluck();
    this.pruneBatch = db.prepare<[number, number]>(
      'DELETE FROM archive_messages WHERE seq IN (SELECT seq FROM archive_messages WHERE seq < ? ORDER BY seq LIMIT ?)');
  }

  append(entries: ArchiveEntry[]): void {
    if (!this.closed) this.batcher.append(entries);
  }

  /** Writes entries at once, in one transaction (imports, benchmarks, tests). */
  insert(entries: ArchiveEntry[]): void {
    this.insertTx.immediate(entries);
  }

  async flush(): Promise<void> {
    this.writePending();
  }

  private writePending(): void {
    if (!this.closed) this.batcher.flush();
  }

  private writeBatch(batch: ArchiveEntry[]): void {
    try {
      this.insertTx.immediate(batch);
    } catch (error) {
      this.log?.error({ err: error, entries: batch.length }, 'archive write failed');
    }
  }

  async resolve(owner: string, ids: string[]): Promise<Map<string, number>> {
    this.writePending();
    const found = new Map<string, number>();
    for (const id of ids) {
      const seq = seqOfId(id);
      if (seq === null) continue;
      const row = this.selectBySeq.get(seq);
      if (row && row.owner === owner && row.sid === id) found.set(id, seq);
    }
    return found;
  }

  async page(filter: ArchiveFilter, request: PageRequest): Promise<PageResult> {
    this.writePending();
    const where = this.conditions(filter);
    // For one owner, FTS rowids (a message's first seq) are in the same order as the entries' seqs.
    const orderColumn = where.fulltext ? 's.rowid' : 'm.seq';
    const order = request.direction === 'forward' ? 'ASC' : 'DESC';
    const cursor = request.cursor === undefined ? { sql: '', params: [] }
      : seqBound(where.fulltext, request.direction === 'forward' ? '>' : '<', request.cursor);
    const offset = request.direction === 'forward' ? request.offset ?? 0 : 0;

    const rows = this.statement(
      `SELECT ${COLUMNS} ${where.from} WHERE ${where.sql}${cursor.sql} ORDER BY ${orderColumn} ${order} LIMIT ? OFFSET ?`,
    ).all(...where.params, ...cursor.params, request.limit, offset) as EntryRow[];
    const total = this.count(where, { sql: '', params: [] });
    let preceding: number;
    if (request.cursor === undefined) preceding = request.direction === 'forward' ? offset : total;
    else {
      const comparison = request.direction === 'forward' ? '<=' : '<';
      preceding = this.count(where, seqBound(where.fulltext, comparison, request.cursor))
        + (request.direction === 'forward' ? offset : 0);
    }
    return { entries: rows.map(toEntry), total, preceding };
  }

  private count(where: Conditions, extra: { sql: string; params: number[] }): number {
    const statement = this.statement(`SELECT count(*) ${where.from} WHERE ${where.sql}${extra.sql}`);
    return statement.pluck().get(...where.params, ...extra.params) as number;
  }

  private conditions(filter: ArchiveFilter): Conditions {
    const fulltext = filter.fulltext !== undefined && filter.fulltext.length > 0;
    const parts: string[] = [];
    const params: Array<string | number> = [];
    const seqParts: string[] = [];
    const seqParams: number[] = [];
    for (const [comparison, value] of [['>=', filter.minSeq], ['<=', filter.maxSeq]] as const) {
      if (value === undefined) continue;
      const bound = seqBound(fulltext, comparison, value);
      seqParts.push(bound.sql.slice(' AND '.length));
      seqParams.push(...bound.params);
    }
    if (filter.seqs !== undefined) {
      seqParts.push(`m.seq IN (${filter.seqs.map(() => '?').join(', ') || 'NULL'})`);
      seqParams.push(...filter.seqs);
    }
    if (fulltext) {
      const match = matchExpression(filter.owner, filter.with?.bare, filter.fulltext!);
      parts.push('archive_search MATCH ?');
      params.push(match);
    }
    parts.push(...seqParts);
    params.push(...seqParams);
    parts.push('m.owner = ?');
    params.push(filter.owner);
    if (filter.with) {
      parts.push('m.peer = ?');
      params.push(filter.with.bare);
      if (filter.with.resource !== undefined) {
        parts.push('m.peer_resource = ?');
        params.push(filter.with.resource);
      }
    }
    return {
      fulltext,
      // A message's entries are its rowid and the next seq (sameMessage).
      from: fulltext
        ? `FROM archive_search s JOIN archive_messages m ON m.seq BETWEEN s.rowid AND s.rowid + ${SEQ_STEP} AND m.message = s.rowid`
        : 'FROM archive_messages m',
      sql: parts.join(' AND '),
      params,
    };
  }

  private statement(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      if (this.statements.size >= STATEMENT_CACHE) this.statements.delete(this.statements.keys().next().value!);
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async bounds(owner: string): Promise<ArchiveBounds | null> {
    this.writePending();
    const first = this.selectFirst.get(owner);
    const last = this.selectLast.get(owner);
    if (!first || !last) return null;
    return { first: { id: first.sid, seq: first.seq }, last: { id: last.sid, seq: last.seq } };
  }

  async pruneBefore(seq: number): Promise<number> {
    this.writePending();
    let removed = 0;
    for (;;) {
      if (this.closed) break;
      const { changes } = this.pruneBatch.run(seq, PRUNE_BATCH);
      removed += changes;
      if (changes < PRUNE_BATCH) break;
      await nextTurn();
    }
    return removed;
  }

  async highestSeq(): Promise<number> {
    return this.selectHighest.get() ?? 0;
  }

  /** Entries in seq order after `afterSeq`, for reindexing elsewhere. */
  *scan(afterSeq = 0, batch = 1000): Generator<ArchiveEntry[]> {
    const select = this.db.prepare<[number, number], EntryRow>(
      `SELECT ${COLUMNS} FROM archive_messages m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`);
    let last = afterSeq;
    for (;;) {
      const rows = select.all(last, batch);
      if (rows.length === 0) return;
      last = rows[rows.length - 1]!.seq;
      yield rows.map(toEntry);
    }
  }

  /** Entries in all archives. */
  size(): number {
    return this.db.prepare<[], number>('SELECT count(*) FROM archive_messages').pluck().get() ?? 0;
  }

  async close(): Promise<void> {
    this.writePending();
    this.closed = true;
    if (this.options.ownsDatabase && this.db.open) this.db.close();
  }
}

interface Conditions {
  fulltext: boolean;
  from: string;
  sql: string;
  params: Array<string | number>;
}

/**
 * ` AND m.seq <op> ?`; in a search also the bound it implies on the FTS rowid (an entry's seq is its
 * message's rowid or at most SEQ_STEP above), so that FTS5 skips to it instead of filtering every match.
 */
function seqBound(fulltext: boolean, comparison: '<' | '<=' | '>' | '>=', seq: number): { sql: string; params: number[] } {
  if (!fulltext) return { sql: ` AND m.seq ${comparison} ?`, params: [seq] };
  // with S = SEQ_STEP: seq > c => rowid > c - S;  seq >= c => rowid >= c - S;  seq < c => rowid < c;  seq <= c => rowid <= c
  const rowid = comparison === '>' ? ['>', seq - SEQ_STEP] : comparison === '>=' ? ['>=', seq - SEQ_STEP] : [comparison, seq];
  return { sql: ` AND m.seq ${comparison} ? AND s.rowid ${rowid[0]} ?`, params: [seq, rowid[1] as number] };
}
