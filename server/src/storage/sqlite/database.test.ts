import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqliteStorage } from '../index.ts';
import { DB_FILENAME, openSqliteFile } from './database.ts';
import { FEATURE_MIGRATIONS_VERSION, appliedVersions, migrate, type FeatureSchema, type Migration } from './migrations.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-db-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('openSqliteFile', () => {
  it('creates the data directory and configures the connection', () => {
    const dataDir = path.join(dir, 'nested', 'data');
    const db = openSqliteFile(dataDir);
    try {
      expect(fs.existsSync(path.join(dataDir, DB_FILENAME))).toBe(true);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
      expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
      expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    } finally {
      db.close();
    }
  });

  it('syncs every commit to the disk with synchronous: full (storage.synchronous)', () => {
    const db = openSqliteFile(dir, { synchronous: 'full' });
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
    await first.keyValue.open('notes').set('alice@example.com', 'todo', ['write tests']);
    await first.close();
    await first.close(); // idempotent

    // The TRUNCATE checkpoint folded everything into the main file.
    const wal = path.join(dir, `${DB_FILENAME}-wal`);
    expect(!fs.existsSync(wal) || fs.statSync(wal).size === 0).toBe(true);

    const second = openSqliteStorage(dir);
    try {
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
      expect(await second.keyValue.open('notes').get('alice@example.com', 'todo')).toEqual(['write tests']);
    } finally {
      await second.close();
    }
  });

  it('rejects calls after close', async () => {
    const storage = openSqliteStorage(dir);
    await storage.close();
    await expect(storage.roster.get('alice@example.com')).rejects.toThrow();
  });
});

describe('migrate', () => {
  function memoryDb(): Database.Database {
    return new Database(':memory:');
  }
  const tables = (db: Database.Database) =>
    db.prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").pluck().all();

  it('applies only pending migrations, in order, per feature', () => {
    const db = memoryDb();
    const applied: string[] = [];
    const migrations: Migration[] = [
      { description: 'one', up: (d) => (applied.push('a1'), d.exec('CREATE TABLE a (x)')) },
      { description: 'two', up: (d) => (applied.push('a2'), d.exec('CREATE TABLE b (x)')) },
    ];
    migrate(db, { feature: 'alpha', migrations: migrations.slice(0, 1) });
    expect(appliedVersions(db, 'alpha')).toEqual([1]);
    migrate(db, { feature: 'alpha', migrations });
    expect(appliedVersions(db, 'alpha')).toEqual([1, 2]);
    migrate(db, { feature: 'alpha', migrations });
    // another feature keeps its own versions
    migrate(db, { feature: 'beta', migrations: [{ description: 'one', up: (d) => (applied.push('b1'), d.exec('CREATE TABLE c (x)')) }] });
    expect(applied).toEqual(['a1', 'a2', 'b1']);
    expect(appliedVersions(db, 'beta')).toEqual([1]);
    expect(db.pragma('user_version', { simple: true })).toBe(FEATURE_MIGRATIONS_VERSION);
    db.close();
  });

  it('migrates the features a schema requires first', () => {
    const db = memoryDb();
    const base: FeatureSchema = { feature: 'base', migrations: [{ description: 'base', up: (d) => d.exec('CREATE TABLE parent (id PRIMARY KEY)') }] };
    const child: FeatureSchema = {
      feature: 'child', requires: [base],
      migrations: [{ description: 'child', up: (d) => d.exec('CREATE TABLE child (parent REFERENCES parent (id))') }],
    };
    migrate(db, child);
    expect(tables(db)).toEqual(['child', 'parent', 'schema_migrations']);
    db.close();
  });

  it('rolls back a failing migration, leaving the version unchanged', () => {
    const db = memoryDb();
    const schema: FeatureSchema = {
      feature: 'alpha',
      migrations: [
        { description: 'ok', up: (d) => d.exec('CREATE TABLE a (x)') },
        {
          description: 'broken',
          up: (d) => {
            d.exec('CREATE TABLE b (x)');
            throw new Error('boom');
          },
        },
      ],
    };
    expect(() => migrate(db, schema)).toThrow('boom');
    expect(appliedVersions(db, 'alpha')).toEqual([1]);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    db.close();
  });

  it('refuses a database newer than the code', () => {
    const db = memoryDb();
    migrate(db, { feature: 'alpha', migrations: [{ description: 'one', up: () => {} }, { description: 'two', up: () => {} }] });
    expect(() => migrate(db, { feature: 'alpha', migrations: [{ description: 'one', up: () => {} }] })).toThrow(/newer/);
    db.close();

    const unknown = memoryDb();
    unknown.pragma('user_version = 4');
    expect(() => migrate(unknown, { feature: 'alpha', migrations: [] })).toThrow(/newer/);
    unknown.close();
  });
});
