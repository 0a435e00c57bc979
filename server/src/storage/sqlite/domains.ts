// SQLite DomainStore: the set of domains this server hosts.

import type BetterSqlite3 from 'better-sqlite3';
import type { DomainStore } from '../types.ts';

export class SqliteDomainStore implements DomainStore {
  private readonly insert;
  private readonly del;
  private readonly selectAll;
  private readonly exists;

  constructor(db: BetterSqlite3.Database) {
    this.insert = db.prepare<[string]>('INSERT INTO domains (domain) VALUES (?) ON CONFLICT (domain) DO NOTHING');
    this.del = db.prepare<[string]>('DELETE FROM domains WHERE domain = ?');
    this.selectAll = db.prepare<[], string>('SELECT domain FROM domains ORDER BY domain').pluck();
    this.exists = db.prepare<[string], number>('SELECT 1 FROM domains WHERE domain = ?').pluck();
  }

  async add(domain: string): Promise<boolean> {
    return this.insert.run(domain).changes > 0;
  }

  async remove(domain: string): Promise<boolean> {
    return this.del.run(domain).changes > 0;
  }

  async list(): Promise<string[]> {
    return this.selectAll.all();
  }

  async has(domain: string): Promise<boolean> {
    return this.exists.get(domain) !== undefined;
  }
}
