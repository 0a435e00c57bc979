import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../index.ts';
import { DB_FILENAME, openDatabase } from './database.ts';
import { MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-db-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openDatabase', () => {
  it('creates the data directory and configures the connection', () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const db = openDatabase(dataDir);
    try {
      expect(fs.existsSync(path.join(dataDir, DB_FILENAME))).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
      expect(schemaVersion(db)).toBe(MIGRATIONS.length);
    } finally {
      db.close();
    }
  });

  it('syncs every commit to the disk with synchronous: full (storage.synchronous)', () => {
    const db = openDatabase(dir, { synchronous: 'full' });
    try {
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    } finally {
      db.close();
    }
  });

  it('leaves the file in WAL mode for other connections', async () => {
    const storage = openSqliteStorage(dir);
    await storage.close();
    const db = new Database(path.join(dir, DB_FILENAME));
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    } finally {
      db.close();
    }
  });
});

describe('persistence', () => {
  it('keeps data across close and reopen', async () => {
    const first = openSqliteStorage(dir);
    await first.domains.add('example.com');
    await first.accounts.create('alice@example.com', [
      { hash: 'SHA-256', salt: 's', iterations: 4096, storedKey: 'k', serverKey: 'v' },
    ]);
    const version = await first.roster.put('alice@example.com', {
      jid: 'bob@example.com',
      name: 'Bob',
      subscription: 'both',
      ask: false,
      approved: false,
      groups: ['Friends'],
    });
    await first.subscriptionRequests.put('alice@example.com', 'carol@example.com', "<presence type='subscribe'/>", 7);
    await first.offline.push('alice@example.com', '<message/>', 42, 10);
    await first.vcards.set('alice@example.com', "<vCard xmlns='vcard-temp'/>");
    await first.close();
    await first.close(); // idempotent

    // The TRUNCATE checkpoint folded everything into the main file.
    const wal = path.join(dir, `${DB_FILENAME}-wal`);
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);

    const second = openSqliteStorage(dir);
    try {
      expect(await second.domains.list()).toEqual(['example.com']);
      expect((await second.accounts.get('alice@example.com'))!.username).toBe('alice');
      expect((await second.accounts.getCredential('alice@example.com', 'SHA-256'))!.iterations).toBe(4096);
      const roster = await second.roster.get('alice@example.com');
      expect(roster.version).toBe(version);
      expect(roster.items[0]!.groups).toEqual(['Friends']);
      expect(await second.subscriptionRequests.list('alice@example.com')).toEqual([
        { from: 'carol@example.com', stanza: "<presence type='subscribe'/>", receivedAt: 7 },
      ]);
      expect((await second.offline.takeAll('alice@example.com')).map((m) => m.stampedAt)).toEqual([42]);
      expect(await second.vcards.get('alice@example.com')).toBe("<vCard xmlns='vcard-temp'/>");
    } finally {
      await second.close();
    }
  });

  it('rejects calls after close', async () => {
    const storage = openSqliteStorage(dir);
    await storage.close();
    await expect(storage.domains.list()).rejects.toThrow();
  });
});

describe('migrate', () => {
  function memoryDb(): Database.Database {
    return new Database(':memory:');
  }

  it('applies only pending migrations, in order', () => {
    const db = memoryDb();
    const applied: number[] = [];
    const migrations: Migration[] = [
      { description: 'one', up: (d) => (applied.push(1), d.exec('CREATE TABLE a (x)')) },
      { description: 'two', up: (d) => (applied.push(2), d.exec('CREATE TABLE b (x)')) },
    ];
    migrate(db, migrations.slice(0, 1));
    expect(schemaVersion(db)).toBe(1);
    migrate(db, migrations);
    expect(schemaVersion(db)).toBe(2);
    migrate(db, migrations);
    expect(applied).toEqual([1, 2]);
    db.close();
  });

  it('rolls back a failing migration, leaving the version unchanged', () => {
    const db = memoryDb();
    const migrations: Migration[] = [
      { description: 'ok', up: (d) => d.exec('CREATE TABLE a (x)') },
      {
        description: 'broken',
        up: (d) => {
          d.exec('CREATE TABLE b (x)');
          throw new Error('boom');
        },
      },
    ];
    expect(() => migrate(db, migrations)).toThrow('boom');
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a database newer than the code', () => {
    const db = memoryDb();
    db.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    expect(() => migrate(db)).toThrow(/newer/);
    db.close();
  });
});
