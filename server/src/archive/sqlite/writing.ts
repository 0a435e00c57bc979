// Everything the embedded archive writes, on one connection: rows in one transaction per batch, the
// index after them (in steps of INDEX_STEP rows, when that many wait, when writes pause for
// INDEX_IDLE_MS, and when a reader asks), and retention. It runs in the server's thread or in the
// archive's writer thread (writer-thread.ts), which then does all of this on a core of its own.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type BetterSqlite3 from 'better-sqlite3';
import { ArchiveRowWriter, INDEX_STEP } from './layout.ts';
import { ROW_WIDTH, type RowValue } from './rows.ts';

/** Rows written since the last catch-up wait at most this long for the index when writes pause. */
const INDEX_IDLE_MS = 500;
/** Rows deleted per transaction when pruning, so that the thread keeps turning. */
const PRUNE_BATCH = 5000;

export type IndexFailure = (error: unknown) => void;

export class ArchiveWriting {
  readonly writer: ArchiveRowWriter;
  /** Rows written since the index last caught up (an estimate: another connection may index them too). */
  private unindexed = 0;
  private catchUpSoon: NodeJS.Immediate | null = null;
  private readonly idleCatchUp: NodeJS.Timeout;
  private readonly insertTx;
  private readonly pruneTx;
  private closed = false;

  constructor(private readonly db: BetterSqlite3.Database, private readonly onIndexFailure: IndexFailure) {
    this.writer = new ArchiveRowWriter(db);
    this.insertTx = db.transaction((rows: RowValue[]) => this.writer.write(rows));
    // a contentless index forgets a row when told the values it was given
    const forgetOldest = db.prepare<[number, number]>(
      `INSERT INTO archive_index (archive_index, rowid, body, tags)
       SELECT 'delete', seq, body, tags || ifnull(' ' || mirror_tags, '') FROM archive_rows WHERE seq < ? ORDER BY seq LIMIT ?`);
    const deleteOldest = db.prepare<[number, number]>(
      'DELETE FROM archive_rows WHERE seq IN (SELECT seq FROM archive_rows WHERE seq < ? ORDER BY seq LIMIT ?)');
    this.pruneTx = db.transaction((seq: number) => {
      forgetOldest.run(seq, PRUNE_BATCH);
      return deleteOldest.run(seq, PRUNE_BATCH).changes;
    });
    this.idleCatchUp = setTimeout(() => this.indexAll(), INDEX_IDLE_MS).unref();
    // rows a crash left unindexed
    this.indexAll();
  }

  /** Writes rows (rows.ts pushRows) in one transaction (throws if it failed); the index follows. */
  write(rows: RowValue[]): void {
    try {
      this.insertTx.immediate(rows);
    } catch (error) {
      this.writer.jids.forget();
      throw error;
    }
    this.unindexed += rows.length / ROW_WIDTH;
    if (this.unindexed >= INDEX_STEP) this.catchUpSoon ??= setImmediate(() => this.indexAll());
    else this.idleCatchUp.refresh();
  }

  /** Indexes every row waiting, in steps one after the other (a reader waits for them). */
  indexAll(): void {
    if (this.catchUpSoon !== null) clearImmediate(this.catchUpSoon);
    this.catchUpSoon = null;
    if (this.closed) return;
    try {
      while (this.writer.catchUp(INDEX_STEP) === INDEX_STEP);
      this.unindexed = 0;
    } catch (error) {
      this.onIndexFailure(error);
    }
  }

  /** XEP-0424 §5: the row's message becomes `stanza` (a tombstone), its words leave the index. */
  tombstone(seq: number, stanza: string): number {
    return this.writer.tombstone(seq, stanza);
  }

  /** Deletes every entry older than `seq`, from the rows and the index; returns how many rows went. */
  async prune(seq: number): Promise<number> {
    let removed = 0;
    for (;;) {
      if (this.closed) break;
      // rows written meanwhile may be older than `seq` too (an import): they must be indexed first
      this.indexAll();
      const changes = this.pruneTx.immediate(seq);
      removed += changes;
      if (changes < PRUNE_BATCH) break;
      await nextTurn();
    }
    return removed;
  }

  /** Indexes what waits and stops. */
  close(): void {
    this.indexAll();
    this.closed = true;
    clearTimeout(this.idleCatchUp);
    if (this.catchUpSoon !== null) clearImmediate(this.catchUpSoon);
  }
}
