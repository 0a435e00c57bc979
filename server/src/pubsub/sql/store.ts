// PubSubStore (pubsub/store.ts) on the query layer, for SQLite and PostgreSQL: nodes with their
// configuration, affiliations and subscriptions as JSON, items in publication order (seq), trimmed
// to the node's limit in the publishing transaction. The subscriptions column maps a JID to its
// subscription id (an active subscription without options: the form every PEP subscription has),
// or to { subid, pending?, options? }.
import { ACCOUNTS_SCHEMA } from '../../storage/sql/accounts.ts';
import { count, outsideScope, type SqlDatabase, type SqlScope } from '../../storage/sql/database.ts';
import type { SqlFeatureSchema } from '../../storage/sql/schema.ts';
import type { PubSubItemsTable, PubSubNodesTable, StateDb } from '../../storage/sql/tables.ts';
import { defaultNodeConfig, type NodeConfig } from '../node-config.ts';
import type { NewNode, NodeChange, PubSubStore, StoredItem, StoredNode, SubscriptionOptions } from '../store.ts';

export const PUBSUB_SCHEMA: SqlFeatureSchema = {
  feature: 'pubsub',
  // the trigger below removes an account's PEP service with the account
  requires: [ACCOUNTS_SCHEMA],
  migrations: [{
    description: 'pubsub nodes and items (XEP-0060, XEP-0163 PEP services)',
    statements: ({ schema, type, withoutRowid, id, afterDelete }) => [
      withoutRowid(schema.createTable('pubsub_nodes')
        .addColumn('service', type.text, (col) => col.notNull())
        .addColumn('node', type.text, (col) => col.notNull())
        .addColumn('config', type.text, (col) => col.notNull())
        .addColumn('affiliations', type.text, (col) => col.notNull().defaultTo('{}'))
        .addColumn('subscriptions', type.text, (col) => col.notNull().defaultTo('{}'))
        .addColumn('created_at', type.integer, (col) => col.notNull())
        .addPrimaryKeyConstraint('pubsub_nodes_pk', ['service', 'node'])),
      // seq orders a node's items by publication (a re-published id gets a new seq: newest)
      id(schema.createTable('pubsub_items'), 'seq', { neverReused: true })
        .addColumn('service', type.text, (col) => col.notNull())
        .addColumn('node', type.text, (col) => col.notNull())
        .addColumn('id', type.text, (col) => col.notNull())
        .addColumn('publisher', type.text, (col) => col.notNull())
        .addColumn('published_at', type.integer, (col) => col.notNull())
        .addColumn('payload', type.text, (col) => col.notNull())
        .addUniqueConstraint('pubsub_items_id', ['service', 'node', 'id'])
        .addForeignKeyConstraint('pubsub_items_node', ['service', 'node'], 'pubsub_nodes', ['service', 'node'], (fk) => fk.onDelete('cascade')),
      schema.createIndex('pubsub_items_by_node').on('pubsub_items').columns(['service', 'node', 'seq']),
      // an account's PEP service goes with the account
      ...afterDelete('pubsub_delete_with_account', 'accounts', ['DELETE FROM pubsub_nodes WHERE service = OLD.jid']),
    ],
  }],
};

/** More rows than any node keeps: LIMIT with OFFSET on both dialects (SQLite needs a LIMIT before an OFFSET). */
const ALL_ROWS = Number.MAX_SAFE_INTEGER;

type StoredSubscription = string | { subid: string; pending?: true; options?: SubscriptionOptions };
type SubscriptionFields = Pick<StoredNode, 'subscriptions' | 'pending' | 'subscriptionOptions'>;

function readSubscriptions(text: string): SubscriptionFields {
  const fields = { subscriptions: {} as Record<string, string>, pending: {} as Record<string, string>, subscriptionOptions: {} as Record<string, SubscriptionOptions> };
  for (const [jid, value] of Object.entries(JSON.parse(text) as Record<string, StoredSubscription>)) {
    if (typeof value === 'string') {
      fields.subscriptions[jid] = value;
      continue;
    }
    (value.pending ? fields.pending : fields.subscriptions)[jid] = value.subid;
    if (value.options) fields.subscriptionOptions[jid] = value.options;
  }
  return fields;
}

function writeSubscriptions(fields: Partial<SubscriptionFields>): string {
  const stored: Record<string, StoredSubscription> = {};
  const options = fields.subscriptionOptions ?? {};
  const put = (jid: string, subid: string, pending: boolean) => {
    stored[jid] = !pending && !options[jid] ? subid : { subid, ...(pending ? { pending: true as const } : {}), ...(options[jid] ? { options: options[jid] } : {}) };
  };
  for (const [jid, subid] of Object.entries(fields.subscriptions ?? {})) put(jid, subid, false);
  for (const [jid, subid] of Object.entries(fields.pending ?? {})) put(jid, subid, true);
  return JSON.stringify(stored);
}

function toNode(row: PubSubNodesTable): StoredNode {
  return {
    service: row.service, node: row.node,
    // options added later get their defaults in nodes stored before them
    config: { ...defaultNodeConfig(), ...(JSON.parse(row.config) as Partial<NodeConfig>) },
    affiliations: JSON.parse(row.affiliations), ...readSubscriptions(row.subscriptions), createdAt: row.created_at,
  };
}

/** The columns a change sets: a change of any subscription field writes all three (the others as `current` has them). */
function columnsOf(change: NodeChange, current: StoredNode | null): Partial<Record<'config' | 'affiliations' | 'subscriptions', string>> {
  const sets: Partial<Record<'config' | 'affiliations' | 'subscriptions', string>> = {};
  if (change.config !== undefined) sets.config = JSON.stringify(change.config);
  if (change.affiliations !== undefined) sets.affiliations = JSON.stringify(change.affiliations);
  if (change.subscriptions !== undefined || change.pending !== undefined || change.subscriptionOptions !== undefined) {
    sets.subscriptions = writeSubscriptions({
      subscriptions: change.subscriptions ?? current?.subscriptions,
      pending: change.pending ?? current?.pending,
      subscriptionOptions: change.subscriptionOptions ?? current?.subscriptionOptions,
    });
  }
  return sets;
}

const touchesSubscriptions = (change: NodeChange) =>
  change.subscriptions !== undefined || change.pending !== undefined || change.subscriptionOptions !== undefined;

function toItem(row: Pick<PubSubItemsTable, 'id' | 'payload' | 'publisher' | 'published_at'>): StoredItem {
  return { id: row.id, payload: row.payload, publisher: row.publisher, publishedAt: row.published_at };
}

const NODE_COLUMNS = ['service', 'node', 'config', 'affiliations', 'subscriptions', 'created_at'] as const;
const ITEM_COLUMNS = ['id', 'payload', 'publisher', 'published_at'] as const;

function removeItem(db: StateDb, service: string, node: string, id: string) {
  return db.deleteFrom('pubsub_items').where('service', '=', service).where('node', '=', node).where('id', '=', id).executeTakeFirst();
}

export class SqlPubSubStore implements PubSubStore {
  constructor(private readonly scope: SqlScope) {}

  async getNode(service: string, node: string): Promise<StoredNode | null> {
    const row = await this.scope.db.selectFrom('pubsub_nodes').select(NODE_COLUMNS)
      .where('service', '=', service).where('node', '=', node).executeTakeFirst();
    return row ? toNode(row) : null;
  }

  async listNodes(service: string): Promise<StoredNode[]> {
    const rows = await this.scope.db.selectFrom('pubsub_nodes').select(NODE_COLUMNS).where('service', '=', service).orderBy('node').execute();
    return rows.map(toNode);
  }

  async createNode(service: string, node: string, fields: NewNode): Promise<boolean> {
    const inserted = await this.scope.db.insertInto('pubsub_nodes').values({
      service, node, config: JSON.stringify(fields.config), affiliations: JSON.stringify(fields.affiliations ?? {}),
      subscriptions: writeSubscriptions(fields), created_at: Date.now(),
    }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
    return count(inserted.numInsertedOrUpdatedRows) > 0;
  }

  async updateNode(service: string, node: string, change: NodeChange): Promise<void> {
    // a change of some subscription fields keeps the others: read and written in one transaction
    if (touchesSubscriptions(change)) return void await this.modifyNode(service, node, () => change);
    const sets = columnsOf(change, null);
    if (Object.keys(sets).length === 0) return;
    await this.scope.db.updateTable('pubsub_nodes').set(sets).where('service', '=', service).where('node', '=', node).execute();
  }

  async modifyNode(service: string, node: string, change: (node: StoredNode) => NodeChange | null): Promise<StoredNode | null> {
    return this.scope.atomic(async (db) => {
      const row = await db.selectFrom('pubsub_nodes').select(NODE_COLUMNS).where('service', '=', service).where('node', '=', node).executeTakeFirst();
      if (!row) return null;
      const current = toNode(row);
      const wanted = change(current);
      if (!wanted) return current;
      const sets = columnsOf(wanted, current);
      if (Object.keys(sets).length > 0) {
        await db.updateTable('pubsub_nodes').set(sets).where('service', '=', service).where('node', '=', node).execute();
      }
      return {
        ...current,
        ...(wanted.config ? { config: wanted.config } : {}),
        ...(wanted.affiliations ? { affiliations: wanted.affiliations } : {}),
        ...(sets.subscriptions ? readSubscriptions(sets.subscriptions) : {}),
      };
    });
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('pubsub_nodes').where('service', '=', service).where('node', '=', node).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async publish(service: string, node: string, item: StoredItem, keep: number): Promise<string[]> {
    return this.scope.atomic(async (db) => {
      await removeItem(db, service, node, item.id);
      await db.insertInto('pubsub_items').values({
        service, node, id: item.id, publisher: item.publisher, published_at: item.publishedAt, payload: item.payload,
      }).execute();
      const dropped = (await db.selectFrom('pubsub_items').select('id').where('service', '=', service).where('node', '=', node)
        .orderBy('seq', 'desc').limit(ALL_ROWS).offset(keep).execute()).map((row) => row.id);
      for (const id of dropped) await removeItem(db, service, node, id);
      return dropped;
    });
  }

  async getItems(service: string, node: string, query: { ids?: readonly string[]; max?: number } = {}): Promise<StoredItem[]> {
    const db = this.scope.db;
    if (query.ids) {
      const found: StoredItem[] = [];
      for (const id of query.ids) {
        const row = await db.selectFrom('pubsub_items').select(ITEM_COLUMNS)
          .where('service', '=', service).where('node', '=', node).where('id', '=', id).executeTakeFirst();
        if (row) found.push(toItem(row));
      }
      return found;
    }
    const rows = await db.selectFrom('pubsub_items').select(ITEM_COLUMNS).where('service', '=', service).where('node', '=', node)
      .orderBy('seq', 'desc').limit(query.max === undefined || query.max < 0 ? ALL_ROWS : query.max).execute();
    return rows.map(toItem);
  }

  async lastItems(service: string): Promise<Array<{ node: string; item: StoredItem }>> {
    const rows = await this.scope.db.selectFrom('pubsub_items as i').select(['i.node', 'i.id', 'i.payload', 'i.publisher', 'i.published_at'])
      .where('i.service', '=', service)
      .where('i.seq', '=', (eb) => eb.selectFrom('pubsub_items as j').select((inner) => inner.fn.max('j.seq').as('seq'))
        .whereRef('j.service', '=', 'i.service').whereRef('j.node', '=', 'i.node'))
      .execute();
    return rows.map((row) => ({ node: row.node, item: toItem(row) }));
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    return count((await removeItem(this.scope.db, service, node, id)).numDeletedRows) > 0;
  }

  async purge(service: string, node: string): Promise<number> {
    const deleted = await this.scope.db.deleteFrom('pubsub_items').where('service', '=', service).where('node', '=', node).executeTakeFirst();
    return count(deleted.numDeletedRows);
  }

  async deleteService(service: string): Promise<void> {
    await this.scope.db.deleteFrom('pubsub_nodes').where('service', '=', service).execute();
  }
}

/** The store on the state storage's database (its tables migrated: PUBSUB_SCHEMA). */
export function openSqlPubSubStore(database: SqlDatabase): PubSubStore {
  return new SqlPubSubStore(outsideScope(database));
}
