// The embedded archive: messages in SQLite (archive_messages), words in an FTS5 index
// (archive_search). Appends are batched into one transaction per event-loop turn.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../logger.ts';
import type { ArchiveBounds, ArchiveEntry, ArchiveFilter, ArchiveStore, PageRequest, PageResult } from '../types.ts';
import { seqOfId } from '../ids.ts';
import { matchExpression, tagsOf } from './search.ts';

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
/**
 * Appends are written together, at most this long after the first of them or once this many wait:
 * a transaction's cost is mostly the index pages it touches, so few large ones beat many small ones.
 */
export const WRITE_DELAY_MS = 20;
export const WRITE_BATCH = 1000;
/** Rows deleted per transaction when pruning, so that the event loop keeps turning. */
const PRUNE_BATCH = 5000;
/** Prepared statements kept per query shape. */
const STATEMENT_CACHE = 256;

function toEntry(row: EntryRow): ArchiveEntry {
  return {
    seq: row.seq, id: row.sid, owner: row.owner, peer: row.peer, peerResource: row.peer_resource,
    outgoing: row.outgoing === 1, body: row.body, stanza: row.stanza,
  };
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly backend = 'sqlite' as const;
  private pending: ArchiveEntry[] = [];
  private timer: NodeJS.Timeout | null = null;
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

  constructor(private readonly db: BetterSqlite3.Database, private readonly log?: Logger) {
    this.insertMessage = db.prepare<[number, string, string, string, string, number, string, string]>(
      'INSERT INTO archive_messages (seq, sid, owner, peer, peer_resource, outgoing, body, stanza) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.insertWords = db.prepare<[number, string, string]>('INSERT INTO archive_search (rowid, body, tags) VALUES (?, ?, ?)');
    this.insertTx = db.transaction((entries: ArchiveEntry[]) => {
      for (const e of entries) {
        this.insertMessage.run(e.seq, e.id, e.owner, e.peer, e.peerResource, e.outgoing ? 1 : 0, e.body, e.stanza);
        this.insertWords.run(e.seq, e.body, tagsOf(e.owner, e.peer));
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
    if (this.closed) return;
    for (const entry of entries) this.pending.push(entry);
    if (this.pending.length >= WRITE_BATCH) this.writePending();
    else this.timer ??= setTimeout(() => this.writePending(), WRITE_DELAY_MS);
  }

  /** Writes entries at once, in one transaction (imports, benchmarks, tests). */
  insert(entries: ArchiveEntry[]): void {
    this.insertTx.immediate(entries);
  }

  async flush(): Promise<void> {
    this.writePending();
  }

  private writePending(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    if (this.pending.length === 0 || this.closed) return;
    const batch = this.pending;
    this.pending = [];
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
    const seqColumn = where.fulltext ? 's.rowid' : 'm.seq';
    const order = request.direction === 'forward' ? 'ASC' : 'DESC';
    const cursorCondition = request.cursor === undefined ? ''
      : ` AND ${seqColumn} ${request.direction === 'forward' ? '>' : '<'} ?`;
    const cursorParams = request.cursor === undefined ? [] : [request.cursor];
    const offset = request.direction === 'forward' ? request.offset ?? 0 : 0;

    const rows = this.statement(
      `SELECT ${COLUMNS} ${where.from} WHERE ${where.sql}${cursorCondition} ORDER BY ${seqColumn} ${order} LIMIT ? OFFSET ?`,
    ).all(...where.params, ...cursorParams, request.limit, offset) as EntryRow[];
    const total = this.count(where, '', []);
    let preceding: number;
    if (request.cursor === undefined) preceding = request.direction === 'forward' ? offset : total;
    else {
      const comparison = request.direction === 'forward' ? '<=' : '<';
      preceding = this.count(where, ` AND ${seqColumn} ${comparison} ?`, [request.cursor])
        + (request.direction === 'forward' ? offset : 0);
    }
    return { entries: rows.map(toEntry), total, preceding };
  }

  private count(where: Conditions, extra: string, params: number[]): number {
    // Counting needs no message row when the FTS tags cover the filter.
    const sql = where.countFrom
      ? `SELECT count(*) ${where.countFrom} WHERE ${where.countSql}${extra.replace('s.rowid', 'rowid')}`
      : `SELECT count(*) ${where.from} WHERE ${where.sql}${extra}`;
    const statement = this.statement(sql);
    return statement.pluck().get(...(where.countFrom ? where.countParams! : where.params), ...params) as number;
  }

  private conditions(filter: ArchiveFilter): Conditions {
    const fulltext = filter.fulltext !== undefined && filter.fulltext.length > 0;
    const seqColumn = fulltext ? 's.rowid' : 'm.seq';
    const parts: string[] = [];
    const params: Array<string | number> = [];
    const seqParts: string[] = [];
    const seqParams: number[] = [];
    if (filter.minSeq !== undefined) {
      seqParts.push(`${seqColumn} >= ?`);
      seqParams.push(filter.minSeq);
    }
    if (filter.maxSeq !== undefined) {
      seqParts.push(`${seqColumn} <= ?`);
      seqParams.push(filter.maxSeq);
    }
    if (filter.seqs !== undefined) {
      seqParts.push(`${seqColumn} IN (${filter.seqs.map(() => '?').join(', ') || 'NULL'})`);
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
    const conditions: Conditions = {
      fulltext,
      from: fulltext ? 'FROM archive_search s JOIN archive_messages m ON m.seq = s.rowid' : 'FROM archive_messages m',
      sql: parts.join(' AND '),
      params,
    };
    if (fulltext && filter.with?.resource === undefined) {
      conditions.countFrom = 'FROM archive_search';
      conditions.countSql = ['archive_search MATCH ?', ...seqParts.map((part) => part.replace('s.rowid', 'rowid'))].join(' AND ');
      conditions.countParams = [params[0]!, ...seqParams];
    }
    return conditions;
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
  }
}

interface Conditions {
  fulltext: boolean;
  from: string;
  sql: string;
  params: Array<string | number>;
  countFrom?: string;
  countSql?: string;
  countParams?: Array<string | number>;
}
