// The embedded archive: one row per message in archive_rows (both local users' entries in one
// row), words and tags in the FTS5 index archive_index, which serves every lookup by archive and
// contact (search.ts, layout.ts). Appends are written in batches, one transaction each, by the
// group commit (write-batcher.ts); the index follows in steps of INDEX_STEP rows, when that many
// wait, when writes pause for INDEX_IDLE_MS, and before a query or a deletion reads it.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../logger.ts';
import type { ArchiveBounds, ArchiveEntry, ArchiveFilter, ArchiveStore, PageRequest, PageResult } from '../types.ts';
import { seqOfId } from '../ids.ts';
import { matchExpression } from './search.ts';
import { ArchiveRowWriter, INDEX_STEP } from './layout.ts';
import { ROW_COLUMNS, entriesOf, entryOf, type ArchiveRow } from './rows.ts';
import { WriteBatcher } from '../write-batcher.ts';
import { GroupCommit } from '../../storage/group-commit.ts';

/** Rows deleted per transaction when pruning, so that the event loop keeps turning. */
const PRUNE_BATCH = 5000;
/** Prepared statements kept per query shape. */
const STATEMENT_CACHE = 256;
/**
 * Archives from before one row per message gave a message's second entry its own seq, at most this
 * far above the row's: its id still names that seq.
 */
const MIGRATED_MIRROR_GAP = 16;
/** Rows written since the last catch-up wait at most this long for the index when writes pause. */
const INDEX_IDLE_MS = 500;

export class SqliteArchiveStore implements ArchiveStore {
  readonly backend = 'sqlite' as const;
  private readonly batcher: WriteBatcher<ArchiveEntry>;
  private readonly writer: ArchiveRowWriter;
  private closed = false;
  /** Rows written since the index last caught up (an estimate: another connection may index them too). */
  private unindexed = 0;
  private catchUpSoon: NodeJS.Immediate | null = null;
  private readonly idleCatchUp: NodeJS.Timeout;
  private readonly insertTx;
  private readonly selectRow;
  private readonly selectMigratedMirror;
  private readonly selectHighest;
  private readonly forgetOldest;
  private readonly deleteOldest;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /** `commits`: the server's group commit (a store of its own, for imports and tools, commits alone). */
  constructor(private readonly db: BetterSqlite3.Database, private readonly log?: Logger, commits = new GroupCommit()) {
    this.batcher = new WriteBatcher<ArchiveEntry>(commits, (batch) => this.writeBatch(batch));
    this.writer = new ArchiveRowWriter(db);
    this.insertTx = db.transaction((entries: ArchiveEntry[]) => this.writer.write(entries));
    this.selectRow = db.prepare<[number], ArchiveRow>(`SELECT ${ROW_COLUMNS} FROM archive_rows m WHERE m.seq = ?`);
    this.selectMigratedMirror = db.prepare<[number, number, string], ArchiveRow>(
      `SELECT ${ROW_COLUMNS} FROM archive_rows m WHERE m.seq BETWEEN ? AND ? AND m.mirror_sid = ?`);
    this.selectHighest = db.prepare<[], number | null>('SELECT max(seq) FROM archive_rows').pluck();
    // a contentless index forgets a row when told the values it was given
    this.forgetOldest = db.prepare<[number, number]>(
      `INSERT INTO archive_index (archive_index, rowid, body, tags)
       SELECT 'delete', seq, body, tags || ifnull(' ' || mirror_tags, '') FROM archive_rows WHERE seq < ? ORDER BY seq LIMIT ?`);
    this.deleteOldest = db.prepare<[number, number]>(
      'DELETE FROM archive_rows WHERE seq IN (SELECT seq FROM archive_rows WHERE seq < ? ORDER BY seq LIMIT ?)');
    this.idleCatchUp = setTimeout(() => this.indexWaitingRows(), INDEX_IDLE_MS).unref();
    // rows a crash left unindexed
    this.indexWaitingRows();
  }

  append(entries: ArchiveEntry[]): void {
    if (!this.closed) this.batcher.append(entries);
  }

  /** Writes entries at once, in one transaction (imports, benchmarks, tests); the index follows. */
  insert(entries: ArchiveEntry[]): void {
    try {
      this.insertTx.immediate(entries);
    } catch (error) {
      this.writer.jids.forget();
      throw error;
    }
    this.unindexed += entries.length;
    if (this.unindexed >= INDEX_STEP) this.catchUpSoon ??= setImmediate(() => this.indexWaitingRows());
    else this.idleCatchUp.refresh();
  }

  /** Indexes every row waiting (several steps, in one go: a reader waits for them). */
  private indexWaitingRows(): void {
    if (this.catchUpSoon !== null) clearImmediate(this.catchUpSoon);
    this.catchUpSoon = null;
    if (!this.db.open) return;
    try {
      while (this.writer.catchUp(INDEX_STEP) === INDEX_STEP);
      this.unindexed = 0;
    } catch (error) {
      this.log?.error({ err: error }, 'archive indexing failed');
    }
  }

  async flush(): Promise<void> {
    this.readyToRead();
  }

  private writePending(): void {
    if (!this.closed) this.batcher.flush();
  }

  /** What was appended is written and indexed: queries see it. */
  private readyToRead(): void {
    this.writePending();
    if (this.unindexed > 0) this.indexWaitingRows();
  }

  private writeBatch(batch: ArchiveEntry[]): void {
    try {
      this.insert(batch);
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
      let row = this.selectRow.get(seq);
      if (row === undefined || (row.sid !== id && row.mirror_sid !== id)) row = this.selectMigratedMirror.get(seq - MIGRATED_MIRROR_GAP, seq - 1, id);
      if (row === undefined) continue;
      const entry = entryOf(row, owner);
      if (entry.owner === owner && entry.id === id) found.set(id, row.seq);
    }
    return found;
  }

  async page(filter: ArchiveFilter, request: PageRequest): Promise<PageResult> {
    this.readyToRead();
    const where = this.conditions(filter);
    if (where === null) return { entries: [], total: 0, preceding: 0 };
    const order = request.direction === 'forward' ? 'ASC' : 'DESC';
    const cursor = request.cursor === undefined ? NO_BOUND : seqBound(request.direction === 'forward' ? '>' : '<', request.cursor);
    const offset = request.direction === 'forward' ? request.offset ?? 0 : 0;

    const rows = this.statement(
      `SELECT ${ROW_COLUMNS} FROM archive_index s JOIN archive_rows m ON m.seq = s.rowid WHERE ${where.sql}${cursor.sql}
       ORDER BY s.rowid ${order} LIMIT ? OFFSET ?`,
    ).all(...where.params, ...cursor.params, request.limit, offset) as ArchiveRow[];
    const total = this.count(where, NO_BOUND);
    let preceding: number;
    if (request.cursor === undefined) preceding = request.direction === 'forward' ? offset : total;
    else {
      const comparison = request.direction === 'forward' ? '<=' : '<';
      preceding = this.count(where, seqBound(comparison, request.cursor)) + (request.direction === 'forward' ? offset : 0);
    }
    return { entries: rows.map((row) => entryOf(row, filter.owner)), total, preceding };
  }

  /** Counts in the index alone unless a condition needs the rows. */
  private count(where: Conditions, extra: Bound): number {
    const from = where.needsRows ? 'archive_index s JOIN archive_rows m ON m.seq = s.rowid' : 'archive_index s';
    const statement = this.statement(`SELECT count(*) FROM ${from} WHERE ${where.sql}${extra.sql}`);
    return statement.pluck().get(...where.params, ...extra.params) as number;
  }

  /** The filter as conditions on the index (and rows); null when the archive is empty. */
  private conditions(filter: ArchiveFilter): Conditions | null {
    const owner = this.writer.jids.find(filter.owner);
    const peer = filter.with === undefined ? undefined : this.writer.jids.find(filter.with.bare);
    if (owner === undefined || (filter.with !== undefined && peer === undefined)) return null;
    const parts = ['archive_index MATCH ?'];
    const params: Array<string | number> = [matchExpression(owner, peer, filter.fulltext)];
    let needsRows = false;
    for (const [comparison, value] of [['>=', filter.minSeq], ['<=', filter.maxSeq]] as const) {
      if (value === undefined) continue;
      parts.push(`s.rowid ${comparison} ?`);
      params.push(value);
    }
    if (filter.seqs !== undefined) {
      parts.push(`s.rowid IN (${filter.seqs.map(() => '?').join(', ') || 'NULL'})`);
      params.push(...filter.seqs);
    }
    if (filter.with?.resource !== undefined) {
      // the peer's resource is the first entry's, or the mirror's when the query's archive is the peer's
      parts.push('(CASE WHEN m.owner = ? THEN m.peer_resource ELSE m.mirror_peer_resource END) = ?');
      params.push(filter.owner, filter.with.resource);
      needsRows = true;
    }
    return { sql: parts.join(' AND '), params, needsRows };
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
    this.readyToRead();
    const where = this.conditions({ owner });
    if (where === null) return null;
    const end = (order: 'ASC' | 'DESC') => this.statement(
      `SELECT ${ROW_COLUMNS} FROM archive_index s JOIN archive_rows m ON m.seq = s.rowid WHERE ${where.sql} ORDER BY s.rowid ${order} LIMIT 1`,
    ).get(...where.params) as ArchiveRow | undefined;
    const first = end('ASC');
    const last = end('DESC');
    if (!first || !last) return null;
    return { first: { id: entryOf(first, owner).id, seq: first.seq }, last: { id: entryOf(last, owner).id, seq: last.seq } };
  }

  async pruneBefore(seq: number): Promise<number> {
    this.readyToRead();
    let removed = 0;
    const pruneBatch = this.db.transaction(() => {
      this.forgetOldest.run(seq, PRUNE_BATCH);
      return this.deleteOldest.run(seq, PRUNE_BATCH).changes;
    });
    for (;;) {
      if (this.closed) break;
      // rows written meanwhile may be older than `seq` too (an import): they must be indexed first
      if (this.unindexed > 0) this.indexWaitingRows();
      const changes = pruneBatch.immediate();
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
    const select = this.db.prepare<[number, number], ArchiveRow>(
      `SELECT ${ROW_COLUMNS} FROM archive_rows m WHERE m.seq > ? ORDER BY m.seq LIMIT ?`);
    let last = afterSeq;
    for (;;) {
      const rows = select.all(last, batch);
      if (rows.length === 0) return;
      last = rows[rows.length - 1]!.seq;
      yield rows.flatMap(entriesOf);
    }
  }

  /** Entries in all archives. */
  size(): number {
    return this.db.prepare<[], number>('SELECT count(*) + count(mirror_sid) FROM archive_rows').pluck().get() ?? 0;
  }

  async close(): Promise<void> {
    this.readyToRead();
    this.closed = true;
    clearTimeout(this.idleCatchUp);
    if (this.catchUpSoon !== null) clearImmediate(this.catchUpSoon);
  }
}

interface Bound {
  sql: string;
  params: number[];
}

interface Conditions {
  sql: string;
  params: Array<string | number>;
  /** A condition reads archive_rows (m), not only the index (s). */
  needsRows: boolean;
}

const NO_BOUND: Bound = { sql: '', params: [] };

/** ` AND s.rowid <op> ?`: FTS5 skips to the bound instead of filtering every match. */
function seqBound(comparison: '<' | '<=' | '>' | '>=', seq: number): Bound {
  return { sql: ` AND s.rowid ${comparison} ?`, params: [seq] };
}
