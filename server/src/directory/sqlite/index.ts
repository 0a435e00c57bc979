// The embedded suite directory (directory/types.ts) on the state storage's SQLite connection.

import type { Directory } from '../types.ts';
import type { SqliteConnection } from '../../storage/sqlite/connection.ts';
import { migrate } from '../../storage/sqlite/migrations.ts';
import { SqliteDomainDirectory } from './domains.ts';
import { SqliteGroupDirectory } from './groups.ts';
import { SqliteUserDirectory } from './users.ts';
import { DIRECTORY_SCHEMA } from './schema.ts';

export { DIRECTORY_SCHEMA } from './schema.ts';

export class SqliteDirectory implements Directory {
  readonly domains: SqliteDomainDirectory;
  readonly users: SqliteUserDirectory;
  readonly groups: SqliteGroupDirectory;

  /** Opens the directory (migrating its tables) on a connection whose file holds the accounts table. */
  constructor(connection: SqliteConnection) {
    migrate(connection.db, DIRECTORY_SCHEMA);
    this.domains = connection.guard(new SqliteDomainDirectory(connection.db));
    this.users = connection.guard(new SqliteUserDirectory(connection.db));
    this.groups = connection.guard(new SqliteGroupDirectory(connection.db));
  }
}
