// SQLite PubSubStore (pubsub/store.ts): nodes with their configuration, affiliations and
// subscriptions as JSON, items in publication order (seq), trimmed to the node's limit in the
// publishing transaction.
import type BetterSqlite3 from 'better-sqlite3';
import type { SqliteConnection } from '../../storage/sqlite/connection.ts';
import { migrate, type FeatureSchema } from '../../storage/sqlite/migrations.ts';
import { ACCOUNTS_SCHEMA } from '../../storage/sqlite/accounts.ts';
import { defaultNodeConfig, type NodeConfig } from '../node-config.ts';
import type { NewNode, PubSubStore, StoredItem, StoredNode } from '../store.ts';

export const PUBSUB_SCHEMA: FeatureSchema = {
  feature: 'pubsub',
  // the trigger below removes an account's PEP service with the account
  requires: [ACCOUNTS_SCHEMA],
  migrations: [{
    description: 'pubsub nodes and items (XEP-0060, XEP-0163 PEP services)',
    up(db) {
      db.exec(`
        CREATE TABLE pubsub_nodes (
          service       TEXT NOT NULL,
          node          TEXT NOT NULL,
          config        TEXT NOT NULL,
          affiliations  TEXT NOT NULL DEFAULT '{}',
          subscriptions TEXT NOT NULL DEFAULT '{}',
          created_at    INTEGER NOT NULL,
          PRIMARY KEY (service, node)
        ) WITHOUT ROWID;
        -- seq orders a node's items by publication (a re-published id gets a new seq: newest)
        CREATE TABLE pubsub_items (
          seq          INTEGER PRIMARY KEY AUTOINCREMENT,
          service      TEXT NOT NULL,
          node         TEXT NOT NULL,
          id           TEXT NOT NULL,
          publisher    TEXT NOT NULL,
          published_at INTEGER NOT NULL,
          payload      TEXT NOT NULL,
          UNIQUE (service, node, id),
          FOREIGN KEY (service, node) REFERENCES pubsub_nodes (service, node) ON DELETE CASCADE
        );
        CREATE INDEX pubsub_items_by_node ON pubsub_items (service, node, seq);
        -- an account's PEP service goes with the account
        CREATE TRIGGER pubsub_delete_with_account AFTER DELETE ON accounts BEGIN
          DELETE FROM pubsub_nodes WHERE service = OLD.jid;
        END;
      `);
    },
  }],
};

interface NodeRow { service: string; node: string; config: string; affiliations: string; subscriptions: string; created_at: number }
interface ItemRow { id: string; payload: string; publisher: string; published_at: number }

function toNode(row: NodeRow): StoredNode {
  return {
    service: row.service, node: row.node,
    // options added later get their defaults in nodes stored before them
    config: { ...defaultNodeConfig(), ...(JSON.parse(row.config) as Partial<NodeConfig>) },
    affiliations: JSON.parse(row.affiliations), subscriptions: JSON.parse(row.subscriptions), createdAt: row.created_at,
  };
}

function toItem(row: ItemRow): StoredItem {
  return { id: row.id, payload: row.payload, publisher: row.publisher, publishedAt: row.published_at };
}

const NODE_COLUMNS = 'service, node, config, affiliations, subscriptions, created_at';
const ITEM_COLUMNS = 'id, payload, publisher, published_at';

export class SqlitePubSubStore implements PubSubStore {
  private readonly statements;
  private readonly publishItem: (service: string, node: string, item: StoredItem, keep: number) => string[];

  constructor(private readonly db: BetterSqlite3.Database) {
    this.statements = {
      node: db.prepare<[string, string], NodeRow>(`SELECT ${NODE_COLUMNS} FROM pubsub_nodes WHERE service = ? AND node = ?`),
      nodes: db.prepare<[string], NodeRow>(`SELECT ${NODE_COLUMNS} FROM pubsub_nodes WHERE service = ? ORDER BY node`),
      create: db.prepare<[string, string, string, string, string, number]>(
        `INSERT INTO pubsub_nodes (${NODE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`),
      deleteNode: db.prepare<[string, string]>('DELETE FROM pubsub_nodes WHERE service = ? AND node = ?'),
      deleteService: db.prepare<[string]>('DELETE FROM pubsub_nodes WHERE service = ?'),
      removeItem: db.prepare<[string, string, string]>('DELETE FROM pubsub_items WHERE service = ? AND node = ? AND id = ?'),
      insertItem: db.prepare<[string, string, string, string, number, string]>(
        'INSERT INTO pubsub_items (service, node, id, publisher, published_at, payload) VALUES (?, ?, ?, ?, ?, ?)'),
      overLimit: db.prepare<[string, string, number], string>(
        'SELECT id FROM pubsub_items WHERE service = ? AND node = ? ORDER BY seq DESC LIMIT -1 OFFSET ?').pluck(),
      newest: db.prepare<[string, string, number], ItemRow>(
        `SELECT ${ITEM_COLUMNS} FROM pubsub_items WHERE service = ? AND node = ? ORDER BY seq DESC LIMIT ?`),
      byId: db.prepare<[string, string, string], ItemRow>(`SELECT ${ITEM_COLUMNS} FROM pubsub_items WHERE service = ? AND node = ? AND id = ?`),
      last: db.prepare<[string], ItemRow & { node: string }>(
        `SELECT node, ${ITEM_COLUMNS} FROM pubsub_items i WHERE service = ?
           AND seq = (SELECT MAX(seq) FROM pubsub_items j WHERE j.service = i.service AND j.node = i.node)`),
      purge: db.prepare<[string, string]>('DELETE FROM pubsub_items WHERE service = ? AND node = ?'),
    };
    const s = this.statements;
    this.publishItem = db.transaction((service: string, node: string, item: StoredItem, keep: number) => {
      s.removeItem.run(service, node, item.id);
      s.insertItem.run(service, node, item.id, item.publisher, item.publishedAt, item.payload);
      const dropped = s.overLimit.all(service, node, keep);
      for (const id of dropped) s.removeItem.run(service, node, id);
      return dropped;
    });
  }

  async getNode(service: string, node: string): Promise<StoredNode | null> {
    const row = this.statements.node.get(service, node);
    return row ? toNode(row) : null;
  }

  async listNodes(service: string): Promise<StoredNode[]> {
    return this.statements.nodes.all(service).map(toNode);
  }

  async createNode(service: string, node: string, fields: NewNode): Promise<boolean> {
    return this.statements.create.run(service, node, JSON.stringify(fields.config), JSON.stringify(fields.affiliations ?? {}),
      JSON.stringify(fields.subscriptions ?? {}), Date.now()).changes > 0;
  }

  async updateNode(service: string, node: string, change: Partial<NewNode>): Promise<void> {
    const sets: string[] = [];
    const values: string[] = [];
    for (const key of ['config', 'affiliations', 'subscriptions'] as const) {
      if (change[key] === undefined) continue;
      sets.push(`${key} = ?`);
      values.push(JSON.stringify(change[key]));
    }
    if (sets.length === 0) return;
    this.db.prepare(`UPDATE pubsub_nodes SET ${sets.join(', ')} WHERE service = ? AND node = ?`).run(...values, service, node);
  }

  async deleteNode(service: string, node: string): Promise<boolean> {
    return this.statements.deleteNode.run(service, node).changes > 0;
  }

  async publish(service: string, node: string, item: StoredItem, keep: number): Promise<string[]> {
    return this.publishItem(service, node, item, keep);
  }

  async getItems(service: string, node: string, query: { ids?: readonly string[]; max?: number } = {}): Promise<StoredItem[]> {
    if (query.ids) {
      const found: StoredItem[] = [];
      for (const id of query.ids) {
        const row = this.statements.byId.get(service, node, id);
        if (row) found.push(toItem(row));
      }
      return found;
    }
    return this.statements.newest.all(service, node, query.max ?? -1).map(toItem);
  }

  async lastItems(service: string): Promise<Array<{ node: string; item: StoredItem }>> {
    return this.statements.last.all(service).map((row) => ({ node: row.node, item: toItem(row) }));
  }

  async retract(service: string, node: string, id: string): Promise<boolean> {
    return this.statements.removeItem.run(service, node, id).changes > 0;
  }

  async purge(service: string, node: string): Promise<number> {
    return this.statements.purge.run(service, node).changes;
  }

  async deleteService(service: string): Promise<void> {
    this.statements.deleteService.run(service);
  }
}

/**
 * Opens the store (migrating its tables) on the state storage's connection; its methods wait while
 * a storage transaction is open, as the state stores' do (storage/sqlite/connection.ts).
 */
export function openSqlitePubSubStore(connection: SqliteConnection): PubSubStore {
  migrate(connection.db, PUBSUB_SCHEMA);
  return connection.guard(new SqlitePubSubStore(connection.db));
}
