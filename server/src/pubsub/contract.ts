// The PubSubStore contract: what every backend of pubsub/store.ts keeps true (SQLite now: sqlite/store.test.ts;
// the PostgreSQL backend of the cluster issue runs it too).
import { beforeEach, describe, expect, it } from 'vitest';
import { defaultNodeConfig } from './node-config.ts';
import type { PubSubStore, StoredItem } from './store.ts';

export interface PubSubContractBackend {
  store: PubSubStore;
  /** Deletes an account the way the state storage does (its service must go with it). */
  deleteAccount(jid: string): Promise<void>;
  createAccount(jid: string): Promise<void>;
  dispose(): Promise<void>;
}

const item = (id: string, at = Date.now()): StoredItem => ({ id, payload: `<x xmlns="urn:example">${id}</x>`, publisher: 'alice@example.com', publishedAt: at });

export function pubSubStoreContract(name: string, open: () => Promise<PubSubContractBackend>): void {
  describe(`PubSubStore (${name})`, () => {
    let backend: PubSubContractBackend;
    let store: PubSubStore;
    beforeEach(async () => {
      backend = await open();
      store = backend.store;
      return () => backend.dispose();
    });

    it('creates a node once; lists, updates and deletes it with its items', async () => {
      expect(await store.createNode('alice@example.com', 'n', { config: defaultNodeConfig() })).toBe(true);
      expect(await store.createNode('alice@example.com', 'n', { config: defaultNodeConfig() })).toBe(false);
      await store.updateNode('alice@example.com', 'n', { affiliations: { 'bob@example.com': 'member' }, subscriptions: { 'bob@example.com/x': 's1' } });
      const node = (await store.getNode('alice@example.com', 'n'))!;
      expect(node.config).toEqual(defaultNodeConfig());
      expect(node.affiliations).toEqual({ 'bob@example.com': 'member' });
      expect(node.subscriptions).toEqual({ 'bob@example.com/x': 's1' });
      expect(node.pending).toEqual({});
      expect((await store.listNodes('alice@example.com')).map((n) => n.node)).toEqual(['n']);
      await store.publish('alice@example.com', 'n', item('a'), 10);
      expect(await store.deleteNode('alice@example.com', 'n')).toBe(true);
      expect(await store.getNode('alice@example.com', 'n')).toBeNull();
      expect(await store.getItems('alice@example.com', 'n')).toEqual([]);
      expect(await store.deleteNode('alice@example.com', 'n')).toBe(false);
    });

    it('keeps pending subscriptions and subscription options apart from active ones; modifyNode changes a node atomically', async () => {
      await store.createNode('pubsub.example.com', 'n', { config: defaultNodeConfig(), subscriptions: { 'bob@example.com': 's1' } });
      await store.updateNode('pubsub.example.com', 'n', { pending: { 'carol@example.com/x': 's2' }, subscriptionOptions: { 'carol@example.com/x': { deliver: false } } });
      let node = (await store.getNode('pubsub.example.com', 'n'))!;
      // a change of the pending ones keeps the active ones
      expect(node.subscriptions).toEqual({ 'bob@example.com': 's1' });
      expect(node.pending).toEqual({ 'carol@example.com/x': 's2' });
      expect(node.subscriptionOptions).toEqual({ 'carol@example.com/x': { deliver: false } });
      // twenty concurrent read-modify-writes: none is lost
      await Promise.all(Array.from({ length: 20 }, (_, i) => store.modifyNode('pubsub.example.com', 'n',
        (current) => ({ subscriptions: { ...current.subscriptions, [`u${i}@example.com`]: `s-${i}` } }))));
      node = (await store.getNode('pubsub.example.com', 'n'))!;
      expect(Object.keys(node.subscriptions)).toHaveLength(21);
      expect(node.pending).toEqual({ 'carol@example.com/x': 's2' });
      const approved = await store.modifyNode('pubsub.example.com', 'n', (current) => ({
        subscriptions: { ...current.subscriptions, 'carol@example.com/x': current.pending['carol@example.com/x']! }, pending: {},
      }));
      expect(approved!.subscriptions['carol@example.com/x']).toBe('s2');
      expect(approved!.pending).toEqual({});
      expect(approved!.subscriptionOptions).toEqual({ 'carol@example.com/x': { deliver: false } });
      expect((await store.getNode('pubsub.example.com', 'n'))!.subscriptions['carol@example.com/x']).toBe('s2');
      expect(await store.modifyNode('pubsub.example.com', 'missing', () => ({ pending: {} }))).toBeNull();
      const unchanged = await store.modifyNode('pubsub.example.com', 'n', () => null);
      expect(unchanged!.pending).toEqual({});
    });

    it('keeps the newest items up to the limit, a re-published id becoming the newest', async () => {
      await store.createNode('alice@example.com', 'n', { config: defaultNodeConfig() });
      expect(await store.publish('alice@example.com', 'n', item('a'), 2)).toEqual([]);
      await store.publish('alice@example.com', 'n', item('b'), 2);
      expect(await store.publish('alice@example.com', 'n', item('c'), 2)).toEqual(['a']);
      await store.publish('alice@example.com', 'n', item('b'), 2);
      expect((await store.getItems('alice@example.com', 'n')).map((i) => i.id)).toEqual(['b', 'c']);
      expect((await store.getItems('alice@example.com', 'n', { max: 1 })).map((i) => i.id)).toEqual(['b']);
      expect((await store.getItems('alice@example.com', 'n', { ids: ['c', 'zz'] })).map((i) => i.id)).toEqual(['c']);
      expect(await store.retract('alice@example.com', 'n', 'c')).toBe(true);
      expect(await store.retract('alice@example.com', 'n', 'c')).toBe(false);
      expect(await store.purge('alice@example.com', 'n')).toBe(1);
    });

    it('gives the newest item of each node; services are apart; an account takes its service along', async () => {
      await backend.createAccount('alice@example.com');
      for (const node of ['n1', 'n2', 'empty']) await store.createNode('alice@example.com', node, { config: defaultNodeConfig() });
      await store.createNode('bob@example.com', 'n1', { config: defaultNodeConfig() });
      await store.publish('alice@example.com', 'n1', item('old'), 5);
      await store.publish('alice@example.com', 'n1', item('new'), 5);
      await store.publish('alice@example.com', 'n2', item('only'), 5);
      await store.publish('bob@example.com', 'n1', item('bobs'), 5);
      const last = (await store.lastItems('alice@example.com')).map(({ node, item: i }) => `${node}=${i.id}`).sort();
      expect(last).toEqual(['n1=new', 'n2=only']);
      await backend.deleteAccount('alice@example.com');
      expect(await store.listNodes('alice@example.com')).toEqual([]);
      expect((await store.getItems('bob@example.com', 'n1')).map((i) => i.id)).toEqual(['bobs']);
      await store.deleteService('bob@example.com');
      expect(await store.listNodes('bob@example.com')).toEqual([]);
    });
  });
}
