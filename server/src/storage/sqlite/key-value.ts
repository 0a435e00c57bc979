// SQLite KeyValueStores: the named stores of modules (storage/types.ts KeyValueStore), one table
// keyed by store, owner and key, values as JSON text.
import type BetterSqlite3 from 'better-sqlite3';
import type { KeyValueStore, KeyValueStores } from '../types.ts';
import type { FeatureSchema } from './migrations.ts';

export const KEY_VALUE_SCHEMA: FeatureSchema = {
  feature: 'key-value',
  migrations: [{
    description: 'named key-value stores of modules',
    up(db) {
      db.exec(`
        CREATE TABLE key_values (
          store TEXT NOT NULL,
          owner TEXT NOT NULL,
          key   TEXT NOT NULL,
          value TEXT NOT NULL,
          PRIMARY KEY (store, owner, key)
        ) WITHOUT ROWID;
        -- an account's entries in every store go with it (accounts.ts)
        CREATE INDEX key_values_by_owner ON key_values (owner);
      `);
    },
  }],
};

const STORE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

interface Statements {
  select: BetterSqlite3.Statement<[string, string, string], string>;
  upsert: BetterSqlite3.Statement<[string, string, string, string]>;
  remove: BetterSqlite3.Statement<[string, string, string]>;
  list: BetterSqlite3.Statement<[string, string], { key: string; value: string }>;
  clear: BetterSqlite3.Statement<[string, string]>;
}

class SqliteKeyValueStore<V> implements KeyValueStore<V> {
  constructor(private readonly name: string, private readonly statements: Statements) {}

  async get(owner: string, key: string): Promise<V | undefined> {
    const text = this.statements.select.get(this.name, owner, key);
    return text === undefined ? undefined : (JSON.parse(text) as V);
  }

  async set(owner: string, key: string, value: V): Promise<void> {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new TypeError(`not a JSON value for ${this.name}/${key}`);
    this.statements.upsert.run(this.name, owner, key, text);
  }

  async delete(owner: string, key: string): Promise<boolean> {
    return this.statements.remove.run(this.name, owner, key).changes > 0;
  }

  async list(owner: string): Promise<Array<{ key: string; value: V }>> {
    return this.statements.list.all(this.name, owner).map((row) => ({ key: row.key, value: JSON.parse(row.value) as V }));
  }

  async clear(owner: string): Promise<number> {
    return this.statements.clear.run(this.name, owner).changes;
  }
}

export class SqliteKeyValueStores implements KeyValueStores {
  private readonly statements: Statements;

  /** `wrap` is applied to every store opened (the connection's guard, outside transactions). */
  constructor(db: BetterSqlite3.Database, private readonly wrap: <S extends object>(store: S) => S = (store) => store) {
    this.statements = {
      select: db.prepare<[string, string, string], string>('SELECT value FROM key_values WHERE store = ? AND owner = ? AND key = ?').pluck(),
      upsert: db.prepare<[string, string, string, string]>(
        `INSERT INTO key_values (store, owner, key, value) VALUES (?, ?, ?, ?)
         ON CONFLICT (store, owner, key) DO UPDATE SET value = excluded.value`),
      remove: db.prepare<[string, string, string]>('DELETE FROM key_values WHERE store = ? AND owner = ? AND key = ?'),
      list: db.prepare<[string, string], { key: string; value: string }>(
        'SELECT key, value FROM key_values WHERE store = ? AND owner = ? ORDER BY key'),
      clear: db.prepare<[string, string]>('DELETE FROM key_values WHERE store = ? AND owner = ?'),
    };
  }

  open<V = unknown>(name: string): KeyValueStore<V> {
    if (!STORE_NAME.test(name)) throw new TypeError(`not a store name: ${name}`);
    return this.wrap(new SqliteKeyValueStore<V>(name, this.statements));
  }
}
