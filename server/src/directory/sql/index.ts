// The embedded suite directory (directory/types.ts) on the state storage's database, written once
// on the query layer: SQLite (the data folder's file) or PostgreSQL.
import type { Directory } from '../types.ts';
import { outsideScope, type SqlDatabase } from '../../storage/sql/database.ts';
import { SqlDomainDirectory } from './domains.ts';
import { SqlGroupDirectory } from './groups.ts';
import { SqlUserDirectory } from './users.ts';

export { DIRECTORY_SCHEMA } from './schema.ts';

export class SqlDirectory implements Directory {
  readonly domains: SqlDomainDirectory;
  readonly users: SqlUserDirectory;
  readonly groups: SqlGroupDirectory;

  /** The directory on a database whose directory tables are migrated (DIRECTORY_SCHEMA). */
  constructor(database: SqlDatabase) {
    const scope = outsideScope(database);
    this.domains = new SqlDomainDirectory(scope);
    this.users = new SqlUserDirectory(scope);
    this.groups = new SqlGroupDirectory(scope);
  }
}
