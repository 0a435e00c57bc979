// VCardStore on the query layer: vcard-temp (XEP-0054) documents as serialized XML.
import type { VCardStore } from '../types.ts';
import type { SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';

export const VCARDS_SCHEMA: SqlFeatureSchema = {
  feature: 'vcards',
  migrations: [{
    description: 'vcard-temp documents',
    statements: ({ schema, type }) => [
      schema.createTable('vcards')
        .addColumn('jid', type.text, (col) => col.primaryKey())
        .addColumn('vcard', type.text, (col) => col.notNull()),
    ],
  }],
};

export class SqlVCardStore implements VCardStore {
  constructor(private readonly scope: SqlScope) {}

  async get(jid: string): Promise<string | null> {
    const row = await this.scope.db.selectFrom('vcards').select('vcard').where('jid', '=', jid).executeTakeFirst();
    return row?.vcard ?? null;
  }

  async set(jid: string, vcard: string): Promise<void> {
    await this.scope.db.insertInto('vcards').values({ jid, vcard })
      .onConflict((oc) => oc.column('jid').doUpdateSet({ vcard })).execute();
  }
}
