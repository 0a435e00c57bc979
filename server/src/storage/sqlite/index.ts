// Embedded state storage: one SQLite file in WAL mode, `dataDir/parley.db`, with the stores of the
// query layer (storage/sql/). Its connection is shared with the embedded directory, the pubsub
// store and the suite event log, which migrate their own tables on it.
import { SqlStorage, STATE_SCHEMAS } from '../sql/index.ts';
import { sqliteSchema } from '../sql/schema.ts';
import { SqliteConnection } from './connection.ts';
import { openSqliteFile, type DatabaseOptions } from './database.ts';
import { migrate } from './migrations.ts';

export class SqliteStorage extends SqlStorage {
  constructor(readonly connection: SqliteConnection) {
    for (const schema of STATE_SCHEMAS) migrate(connection.file, sqliteSchema(schema));
    super(connection);
  }
}

/** Opens (creating and migrating as needed) the state storage at `dataDir/parley.db`. */
export function openSqliteStorage(dataDir: string, options?: DatabaseOptions): SqliteStorage {
  const db = openSqliteFile(dataDir, options);
  try {
    return new SqliteStorage(new SqliteConnection(db));
  } catch (error) {
    db.close();
    throw error;
  }
}

export { DB_FILENAME } from './database.ts';
export { SqliteConnection } from './connection.ts';
