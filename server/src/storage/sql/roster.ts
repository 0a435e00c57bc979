// RosterStore on the query layer (RFC 6121 §2). Every change bumps the owner's roster version
// (RFC 6121 §2.6) in the same transaction, so a version always names exactly one roster state.
import { sql } from './kysely.ts';
import type { RosterItem, RosterStore } from '../types.ts';
import { count, type SqlScope } from './database.ts';
import type { SqlFeatureSchema } from './schema.ts';
import type { RosterItemsTable, StateDb } from './tables.ts';

export const ROSTER_SCHEMA: SqlFeatureSchema = {
  feature: 'roster',
  migrations: [{
    description: 'roster items and versions',
    statements: ({ schema, type }) => [
      // RFC 6121 §2.1.2 roster item state; groups is a JSON array of strings.
      schema.createTable('roster_items')
        .addColumn('owner', type.text, (col) => col.notNull())
        .addColumn('contact', type.text, (col) => col.notNull())
        .addColumn('name', type.text)
        .addColumn('subscription', type.text, (col) => col.notNull().check(sql`subscription IN ('none', 'to', 'from', 'both')`))
        .addColumn('ask', type.integer, (col) => col.notNull().defaultTo(0))
        .addColumn('approved', type.integer, (col) => col.notNull().defaultTo(0))
        .addColumn('groups', type.text, (col) => col.notNull().defaultTo('[]'))
        .addPrimaryKeyConstraint('roster_items_pk', ['owner', 'contact']),
      // RFC 6121 §2.6 roster version, a per-owner counter.
      schema.createTable('roster_versions')
        .addColumn('owner', type.text, (col) => col.primaryKey())
        .addColumn('version', type.integer, (col) => col.notNull()),
    ],
  }],
};

type RosterRow = Pick<RosterItemsTable, 'contact' | 'name' | 'subscription' | 'ask' | 'approved' | 'groups'>;
const COLUMNS = ['contact', 'name', 'subscription', 'ask', 'approved', 'groups'] as const;

function toItem(row: RosterRow): RosterItem {
  return {
    jid: row.contact, name: row.name, subscription: row.subscription, ask: row.ask !== 0, approved: row.approved !== 0,
    groups: JSON.parse(row.groups) as string[],
  };
}

async function bumpVersion(db: StateDb, owner: string): Promise<string> {
  const row = await db.insertInto('roster_versions').values({ owner, version: 1 })
    .onConflict((oc) => oc.column('owner').doUpdateSet((eb) => ({ version: eb('roster_versions.version', '+', 1) })))
    .returning('version').executeTakeFirstOrThrow();
  return String(row.version);
}

export class SqlRosterStore implements RosterStore {
  constructor(private readonly scope: SqlScope) {}

  async get(owner: string): Promise<{ version: string; items: RosterItem[] }> {
    // items and version read together, so that they describe the same state
    return this.scope.read(async (db) => {
      const version = await db.selectFrom('roster_versions').select('version').where('owner', '=', owner).executeTakeFirst();
      const rows = await db.selectFrom('roster_items').select(COLUMNS).where('owner', '=', owner).orderBy('contact').execute();
      return { version: String(version?.version ?? 0), items: rows.map(toItem) };
    });
  }

  async getItem(owner: string, contact: string): Promise<RosterItem | null> {
    const row = await this.scope.db.selectFrom('roster_items').select(COLUMNS)
      .where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
    return row ? toItem(row) : null;
  }

  async put(owner: string, item: RosterItem): Promise<string> {
    const row = {
      owner, contact: item.jid, name: item.name, subscription: item.subscription, ask: item.ask ? 1 : 0,
      approved: item.approved ? 1 : 0, groups: JSON.stringify(item.groups),
    };
    return this.scope.atomic(async (db) => {
      await db.insertInto('roster_items').values(row)
        .onConflict((oc) => oc.columns(['owner', 'contact']).doUpdateSet({
          name: row.name, subscription: row.subscription, ask: row.ask, approved: row.approved, groups: row.groups,
        }))
        .execute();
      return bumpVersion(db, owner);
    });
  }

  async remove(owner: string, contact: string): Promise<string | null> {
    return this.scope.atomic(async (db) => {
      const deleted = await db.deleteFrom('roster_items').where('owner', '=', owner).where('contact', '=', contact).executeTakeFirst();
      return count(deleted.numDeletedRows) === 0 ? null : bumpVersion(db, owner);
    });
  }

  async count(owner: string): Promise<number> {
    const row = await this.scope.db.selectFrom('roster_items').select((eb) => eb.fn.countAll<number>().as('n'))
      .where('owner', '=', owner).executeTakeFirstOrThrow();
    return Number(row.n);
  }
}
