// The embedded archive: one row per message in archive_rows (both local users' entries in one
// row), words and tags in the FTS5 index archive_index, which serves every lookup by archive and
// contact (search.ts, layout.ts). Appends are written in batches, one transaction each, by the
// group commit (write-batcher.ts); the index follows (writing.ts). The writes happen on this
// connection, or in the archive's writer thread on a connection of its own (writer-thread.ts):
// then the group commit waits for the thread's answer, and this connection only reads.
import type BetterSqlite3 from 'better-sqlite3';
import type { Logger } from '../../logger.ts';
import type { DatabaseOptions } from '../../storage/sqlite/database.ts';
import type { ArchiveBounds, ArchiveEntry, ArchiveFilter, ArchiveStore, PageRequest, PageResult } from '../types.ts';
import { seqOfId } from '../ids.ts';
import { matchExpression } from './search.ts';
import { ArchiveJids } from './jids.ts';
import { ROW_COLUMNS, ROW_WIDTH, entriesOf, entryOf, pushRows, type ArchiveRow, type RowValue } from './rows.ts';
import { ArchiveWriting } from './writing.ts';
import { ThreadWrites } from './thread-writes.ts';
import { WriteBatcher } from '../write-batcher.ts';
import { searchText, tombstones, type Retraction } from '../retraction.ts';
import { GroupCommit } from '../../storage/group-commit.ts';

/** Prepared statements kept per query shape. */
const STATEMENT_CACHE = 256;
/**
 * Archives from before one row per message gave a message's second entry its own seq, at most this
 * far above the row's: its id still names that seq.
 */
const MIGRATED_MIRROR_GAP = 16;
/**
 * Rows waiting for the next commit go over to the writer thread this many at a time (staged, not
 * committed yet), so that what waits while the thread commits stays off the server's heap.
 */
const STAGED_ROWS = 256;

export interface SqliteArchiveOptions {
  /** Write in a thread of its own, with its own connection to this data folder's database. */
  writerThread?: { dataDir: string; database: DatabaseOptions };
  /** close() closes the connection too (archive/index.ts opens one for the store). */
  ownsDatabase?: boolean;
}

export class SqliteArchiveStore implements ArchiveStore {
  readonly backend = 'sqlite' as const;
  /** Rows waiting for the group commit, as flat values (rows.ts). */
  private readonly batcher: WriteBatcher<RowValue>;
  /** Writes on this connection (no writer thread). */
  private readonly writing: ArchiveWriting | null;
  private readonly thread: ThreadWrites | null;
  private readonly jids: ArchiveJids;
  private closed = false;
  private readonly selectRow;
  private readonly selectMigratedMirror;
  private readonly selectHighest;
  private readonly selectIndexed;
  private readonly selectMentioning;
  /** Retractions being applied, one after the other; queries wait for them. */
  private retracting: Promise<unknown> = Promise.resolve();
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /** `commits`: the server's group commit (a store of its own, for imports and tools, commits alone). */
  constructor(private readonly db: BetterSqlite3.Database, private readonly log?: Logger, commits = new GroupCommit(),
    private readonly options: SqliteArchiveOptions = {}) {
    if (options.writerThread) {
      this.thread = new ThreadWrites(options.writerThread.dataDir, options.writerThread.database, log);
      this.writing = null;
      this.batcher = new WriteBatcher<RowValue>(commits, (rows) => this.thread!.write(rows).then(() => {}, (error: unknown) => {
        this.log?.error({ err: error }, 'archive write failed');
      }), { items: STAGED_ROWS * ROW_WIDTH, stage: (rows) => this.thread!.stage(rows) });
    } else {
      this.thread = null;
      this.writing = new ArchiveWriting(db, (error) => this.log?.error({ err: error }, 'archive indexing failed'));
      this.batcher = new WriteBatcher<RowValue>(commits, (rows) => this.writeBatch(rows));
    }
    this.jids = new ArchiveJids(db);
    this.selectRow = db.prepare<[number], ArchiveRow>(`SELECT ${ROW_COLUMNS} FROM archive_rows m WHERE m.seq = ?`);
    this.selectMigratedMirror = db.prepare<[number, number, string], ArchiveRow>(
      `SELECT ${ROW_COLUMNS} FROM archive_rows m WHERE m.seq BETWEEN ? AND ? AND m.mirror_sid = ?`);
    this.selectHighest = db.prepare<[], number | null>('SELECT max(seq) FROM archive_rows').pluck();
    this.selectIndexed = db.prepare<[], number>('SELECT indexed_through FROM archive_index_state').pluck();
    // the conversation's newest rows (a walk of its tag in the index) whose message holds a text
    this.selectMentioning = db.prepare<[string, number, string], ArchiveRow>(
      `SELECT ${ROW_COLUMNS} FROM (SELECT rowid FROM archive_index WHERE archive_index MATCH ? ORDER BY rowid DESC LIMIT ?) s
       JOIN archive_rows m ON m.seq = s.rowid WHERE instr(m.stanza, ?) > 0`);
  }

  append(entries: ArchiveEntry[]): void {
    if (!this.closed) this.batcher.appendWith(pushRows, entries, entries.length);
  }

  /** Writes entries at once, in one transaction (imports, benchmarks, tests: a store without a writer thread). */
  insert(entries: ArchiveEntry[]): void {
    if (this.writing === null) throw new Error('insert() writes on the store\'s own connection; this store has a writer thread');
    const rows: RowValue[] = [];
    pushRows(rows, entries);
    this.writing.write(rows);
  }

  async flush(): Promise<void> {
    await this.retracting;
    await this.readyToRead();
  }

  private writePending(): void | Promise<void> {
    if (!this.closed) return this.batcher.flush();
  }

  /** What was appended is committed and indexed: queries see it. */
  private async readyToRead(): Promise<void> {
    await this.writePending();
    // the common case for a query: no write on its way in the writer thread (a batch the group
    // commit handed over before) and every row in the index: nothing to wait for
    if (!this.thread?.busy && this.selectIndexed.get()! >= (this.selectHighest.get() ?? 0)) return;
    if (this.thread !== null) await this.thread.indexAll();
    else this.writing!.indexAll();
  }

  private writeBatch(rows: RowValue[]): void {
    try {
      this.writing!.write(rows);
    } catch (error) {
      this.log?.error({ err: error }, 'archive write failed');
    }
  }

  async resolve(owner: string, ids: string[]): Promise<Map<string, number>> {
    await this.retracting;
    // rows are read by seq: committed is enough, the index is not needed (the thread answers in
    // order: its answer to indexAll() comes after the writes on their way)
    await this.writePending();
    if (this.thread?.busy) await this.thread.indexAll();
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
    await this.retracting;
    await this.readyToRead();
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
    const owner = this.jids.find(filter.owner);
    const peer = filter.with === undefined ? undefined : this.jids.find(filter.with.bare);
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
    await this.retracting;
    await this.readyToRead();
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

  retract(retraction: Retraction): Promise<number> {
    const done = this.retracting.then(() => this.applyRetraction(retraction));
    this.retracting = done.catch(() => {});
    return done;
  }

  private async applyRetraction(retraction: Retraction): Promise<number> {
    // the message and the retraction are committed and indexed (the retraction was appended first)
    await this.readyToRead();
    for (const scope of retraction.scopes) {
      const changes = tombstones(this.candidates(scope.owner, scope.peer, retraction), retraction, scope);
      if (changes.length === 0) continue;
      let changed = 0;
      for (const { entry, stanza } of changes) {
        if (this.closed) break;
        changed += this.thread !== null ? await this.thread.tombstone(entry.seq, stanza) : this.writing!.tombstone(entry.seq, stanza);
      }
      return changed;
    }
    return 0;
  }

  /** Entries of owner's conversation with peer that may be the retracted message: by archive id, or holding its id's text. */
  private candidates(owner: string, peer: string, retraction: Retraction): ArchiveEntry[] {
    const ownerNumber = this.jids.find(owner);
    const peerNumber = this.jids.find(peer);
    if (ownerNumber === undefined || peerNumber === undefined) return [];
    const entries: ArchiveEntry[] = [];
    const seq = seqOfId(retraction.target);
    const row = seq === null ? undefined : this.selectRow.get(seq);
    if (row !== undefined && (row.sid === retraction.target || row.mirror_sid === retraction.target)) entries.push(entryOf(row, owner));
    for (const found of this.selectMentioning.all(matchExpression(ownerNumber, peerNumber, undefined), retraction.lookback, searchText(retraction.target))) {
      if (found.seq !== row?.seq) entries.push(entryOf(found, owner));
    }
    return entries;
  }

  async pruneBefore(seq: number): Promise<number> {
    await this.writePending();
    if (this.closed) return 0;
    return this.thread !== null ? this.thread.prune(seq) : this.writing!.prune(seq);
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
    if (this.closed) return;
    await this.writePending();
    this.closed = true;
    if (this.thread !== null) await this.thread.close();
    else this.writing!.close();
    if (this.options.ownsDatabase && this.db.open) this.db.close();
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
