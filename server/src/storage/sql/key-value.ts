// KeyValueStores on the query layer: the named stores of modules (storage/types.ts KeyValueStore),
// one table keyed by store, owner and key, values as JSON text.
import type { KeyValueStore, KeyValueStores } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';

export const KEY_VALUE_SCHEMA: SqlFeatureSchema = {
  feature: 'key-value',
  migrations: [{
    description: 'named key-value stores of modules',
    statements: ({ schema, type, withoutRowid }) => [
      withoutRowid(schema.createTable('key_values')
        .addColumn('store', type.text, (col) => col.notNull())
        .addColumn('owner', type.text, (col) => col.notNull())
        .addColumn('key', type.text, (col) => col.notNull())
        .addColumn('value', type.text, (col) => col.notNull())
        .addPrimaryKeyConstraint('key_values_pk', ['store', 'owner', 'key'])),
      // an account's entries in every store go with it (accounts.ts)
      schema.createIndex('key_values_by_owner').on('key_values').column('owner'),
    ],
  }],
};

const STORE_NAME = /^[a-z0-9][a-z0-9._-]{0,63}$/;

class SqlKeyValueStore<V> implements KeyValueStore<V> {
  constructor(private readonly name: string, private readonly scope: SqlScope) {}

  async get(owner: string, key: string): Promise<V | undefined> {
    const row = await this.scope.db.selectFrom('key_values').select('value')
      .where('store', '=', this.name).where('owner', '=', owner).where('key', '=', key).executeTakeFirst();
    return row === undefined ? undefined : (JSON.parse(row.value) as V);
  }

  async set(owner: string, key: string, value: V): Promise<void> {
    const text = JSON.stringify(value) as string | undefined;
    if (text === undefined) throw new TypeError(`not a JSON value for ${this.name}/${key}`);
    await this.scope.db.insertInto('key_values').values({ store: this.name, owner, key, value: text })
      .onConflict((oc) => oc.columns(['store', 'owner', 'key']).doUpdateSet({ value: text })).execute();
  }

  async delete(owner: string, key: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('key_values')
      .where('store', '=', this.name).where('owner', '=', owner).where('key', '=', key).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async list(owner: string): Promise<Array<{ key: string; value: V }>> {
    const rows = await this.scope.db.selectFrom('key_values').select(['key', 'value'])
      .where('store', '=', this.name).where('owner', '=', owner).orderBy('key').execute();
    return rows.map((row) => ({ key: row.key, value: JSON.parse(row.value) as V }));
  }

  async clear(owner: string): Promise<number> {
    const deleted = await this.scope.db.deleteFrom('key_values').where('store', '=', this.name).where('owner', '=', owner).executeTakeFirst();
    return count(deleted.numDeletedRows);
  }
}

export class SqlKeyValueStores implements KeyValueStores {
  constructor(private readonly scope: SqlScope) {}

  open<V = unknown>(name: string): KeyValueStore<V> {
    if (!STORE_NAME.test(name)) throw new TypeError(`not a store name: ${name}`);
    return new SqlKeyValueStore<V>(name, this.scope);
  }
}
