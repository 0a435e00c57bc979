// SQLite UploadStore: XEP-0363 slots and the files stored through them (components/upload/), in
// the state storage so that any node can check a slot or serve a file.
import type BetterSqlite3 from 'better-sqlite3';
import type { Upload, UploadStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const UPLOADS_SCHEMA: FeatureSchema = {
  feature: 'uploads',
  migrations: [{
    description: 'HTTP file upload slots and files',
    up(db) {
      db.exec(`
        CREATE TABLE uploads (
          id              TEXT PRIMARY KEY,
          owner           TEXT NOT NULL,
          filename        TEXT NOT NULL,
          size            INTEGER NOT NULL,
          content_type    TEXT NOT NULL,
          created_at      INTEGER NOT NULL,
          slot_expires_at INTEGER NOT NULL,
          state           TEXT NOT NULL CHECK (state IN ('reserved', 'uploading', 'stored')),
          stored_at       INTEGER
        ) WITHOUT ROWID;
        CREATE INDEX uploads_by_owner ON uploads (owner);
        CREATE INDEX uploads_by_state ON uploads (state, slot_expires_at);
      `);
    },
  }],
};

interface UploadRow {
  id: string;
  owner: string;
  filename: string;
  size: number;
  content_type: string;
  created_at: number;
  slot_expires_at: number;
  state: Upload['state'];
  stored_at: number | null;
}

function toUpload(row: UploadRow): Upload {
  return {
    id: row.id, owner: row.owner, filename: row.filename, size: row.size, contentType: row.content_type,
    createdAt: row.created_at, slotExpiresAt: row.slot_expires_at, state: row.state, storedAt: row.stored_at,
  };
}

const COLUMNS = 'id, owner, filename, size, content_type, created_at, slot_expires_at, state, stored_at';

export class SqliteUploadStore implements UploadStore {
  private readonly selectOne;
  private readonly usageOf;
  private readonly insert;
  private readonly claimOne;
  private readonly completeOne;
  private readonly deleteOne;
  private readonly selectPrunable;
  private readonly reserveTx;
  private readonly pruneTx;

  constructor(db: BetterSqlite3.Database) {
    this.selectOne = db.prepare<[string], UploadRow>(`SELECT ${COLUMNS} FROM uploads WHERE id = ?`);
    // a slot past its expiry no longer counts (it can no longer be used)
    this.usageOf = db.prepare<[string, number], number>(
      `SELECT COALESCE(SUM(size), 0) FROM uploads WHERE owner = ? AND (state <> 'reserved' OR slot_expires_at > ?)`).pluck();
    this.insert = db.prepare<[string, string, string, number, string, number, number]>(
      `INSERT INTO uploads (id, owner, filename, size, content_type, created_at, slot_expires_at, state) VALUES (?, ?, ?, ?, ?, ?, ?, 'reserved')`);
    this.claimOne = db.prepare<[string, number]>(`UPDATE uploads SET state = 'uploading' WHERE id = ? AND state = 'reserved' AND slot_expires_at > ?`);
    this.completeOne = db.prepare<[number, string]>(`UPDATE uploads SET state = 'stored', stored_at = ? WHERE id = ? AND state = 'uploading'`);
    this.deleteOne = db.prepare<[string]>('DELETE FROM uploads WHERE id = ?');
    this.selectPrunable = db.prepare<[number, number, number], UploadRow>(
      `SELECT ${COLUMNS} FROM uploads
       WHERE (state = 'reserved' AND slot_expires_at <= ?) OR (state = 'uploading' AND slot_expires_at <= ?) OR (state = 'stored' AND stored_at < ?)`);
    this.reserveTx = db.transaction((upload: Omit<Upload, 'state' | 'storedAt'>, quotaBytes: number, now: number): boolean => {
      if (this.usageOf.get(upload.owner, now)! + upload.size > quotaBytes) return false;
      this.insert.run(upload.id, upload.owner, upload.filename, upload.size, upload.contentType, upload.createdAt, upload.slotExpiresAt);
      return true;
    });
    this.pruneTx = db.transaction((now: number, stuckBefore: number, storedBefore: number): Upload[] => {
      const rows = this.selectPrunable.all(now, stuckBefore, storedBefore);
      for (const row of rows) this.deleteOne.run(row.id);
      return rows.map(toUpload);
    });
  }

  async reserve(upload: Omit<Upload, 'state' | 'storedAt'>, quotaBytes: number, now: number): Promise<boolean> {
    return this.reserveTx.immediate(upload, quotaBytes, now);
  }

  async get(id: string): Promise<Upload | undefined> {
    const row = this.selectOne.get(id);
    return row ? toUpload(row) : undefined;
  }

  async claim(id: string, now: number): Promise<boolean> {
    return this.claimOne.run(id, now).changes === 1;
  }

  async complete(id: string, now: number): Promise<void> {
    this.completeOne.run(now, id);
  }

  async remove(id: string): Promise<void> {
    this.deleteOne.run(id);
  }

  async usage(owner: string, now: number): Promise<number> {
    return this.usageOf.get(owner, now)!;
  }

  async prune(now: number, stuckMs: number, storedBefore: number | null): Promise<Upload[]> {
    return this.pruneTx.immediate(now, now - stuckMs, storedBefore ?? Number.MIN_SAFE_INTEGER);
  }
}
