// Which node each connected external component (XEP-0114) is on, since when and from where, kept in
// the state storage (key-value store `components.connections`) so that every node, and the CLI,
// sees it: written when a handshake is accepted, removed when the stream ends (only by the node
// that wrote it: a component that reconnected elsewhere keeps its newer record). A node that dies
// without closing leaves its records until those components connect again. Stanza counts stay with
// the node that carries the stream (components/external.ts).
import type { KeyValueStore, StateStores } from '../storage/index.ts';

export interface ComponentConnectionRecord {
  node: string;
  connectedSince: string;
  address: string;
}

const OWNER = '';

export class ComponentConnectionRecords {
  private readonly store: KeyValueStore<ComponentConnectionRecord>;

  constructor(storage: Pick<StateStores, 'keyValue'>) {
    this.store = storage.keyValue.open<ComponentConnectionRecord>('components.connections');
  }

  async set(domain: string, record: ComponentConnectionRecord): Promise<void> {
    await this.store.set(OWNER, domain, record);
  }

  /** Removes the record if `node` wrote it. */
  async clear(domain: string, node: string): Promise<void> {
    if ((await this.store.get(OWNER, domain))?.node === node) await this.store.delete(OWNER, domain);
  }

  async all(): Promise<Map<string, ComponentConnectionRecord>> {
    return new Map((await this.store.list(OWNER)).map((entry) => [entry.key, entry.value]));
  }
}
