// SQLite OfflineStore: messages queued for a bare JID with no available
// resource (RFC 6121 §8.5.2.2.1), delivered later in arrival order.

import type BetterSqlite3 from 'better-sqlite3';
import type { NewOfflineMessage, OfflineMessage, OfflineStore } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const OFFLINE_SCHEMA: FeatureSchema = {
  feature: 'offline',
  migrations: [{
    description: 'offline messages',
    up(db) {
      db.exec(`
        CREATE TABLE offline_messages (
          id         INTEGER PRIMARY KEY AUTOINCREMENT,
          recipient  TEXT NOT NULL,
          stanza     TEXT NOT NULL,
          stamped_at INTEGER NOT NULL
        );
        CREATE INDEX offline_messages_by_recipient ON offline_messages (recipient, id);
      `);
    },
  }],
};

interface OfflineRow {
  id: number;
  recipient: string;
  stanza: string;
  stamped_at: number;
}

function toMessage(row: OfflineRow): OfflineMessage {
  return { id: row.id, to: row.recipient, stanza: row.stanza, stampedAt: row.stamped_at };
}

export class SqliteOfflineStore implements OfflineStore {
  private readonly insert;
  private readonly countFor;
  private readonly selectFor;
  private readonly deleteFor;
  private readonly pushTx;
  private readonly pushAllTx;
  private readonly takeAllTx;

  constructor(db: BetterSqlite3.Database) {
    this.insert = db.prepare<[string, string, number]>(
      'INSERT INTO offline_messages (recipient, stanza, stamped_at) VALUES (?, ?, ?)',
    );
    this.countFor = db.prepare<[string], number>(
      'SELECT COUNT(*) FROM offline_messages WHERE recipient = ?',
    ).pluck();
    // AUTOINCREMENT ids never go backwards, so id order is arrival order.
    this.selectFor = db.prepare<[string], OfflineRow>(
      'SELECT id, recipient, stanza, stamped_at FROM offline_messages WHERE recipient = ? ORDER BY id',
    );
    this.deleteFor = db.prepare<[string]>('DELETE FROM offline_messages WHERE recipient = ?');

    // Count and insert in one write transaction so concurrent pushes cannot
    // overshoot the limit.
    this.pushTx = db.transaction((to: string, stanza: string, stampedAt: number, limit: number): boolean => {
      if ((this.countFor.get(to) ?? 0) >= limit) return false;
      this.insert.run(to, stanza, stampedAt);
      return true;
    });
    this.pushAllTx = db.transaction((messages: NewOfflineMessage[]) => {
      for (const message of messages) this.insert.run(message.to, message.stanza, message.stampedAt);
    });
    this.takeAllTx = db.transaction((to: string): OfflineMessage[] => {
      const messages = this.selectFor.all(to).map(toMessage);
      if (messages.length > 0) this.deleteFor.run(to);
      return messages;
    });
  }

  async push(to: string, stanza: string, stampedAt: number, limit: number): Promise<boolean> {
    return this.pushTx.immediate(to, stanza, stampedAt, limit);
  }

  async pushAll(messages: NewOfflineMessage[]): Promise<void> {
    if (messages.length > 0) this.pushAllTx.immediate(messages);
  }

  async takeAll(to: string): Promise<OfflineMessage[]> {
    return this.takeAllTx.immediate(to);
  }

  async count(to: string): Promise<number> {
    return this.countFor.get(to) ?? 0;
  }
}
