// The storage contract (index.ts): Storage.transaction() — all or nothing, serializable, never seen
// half done from outside.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../types.ts';
import { item } from './state.ts';

export function transactionContract(current: () => Storage): void {
  let storage: Storage;
  beforeEach(() => {
    storage = current();
  });

  describe('transactions', () => {
    const alice = 'alice@example.com';

    it('keep every change and return what the work returned', async () => {
      const version = await storage.transaction(async (tx) => {
        await tx.roster.put(alice, item('bob@example.com', { ask: true }));
        await tx.subscriptionRequests.put(alice, 'carol@example.com', '<presence/>', 1);
        return tx.roster.put(alice, item('carol@example.com', { subscription: 'from' }));
      });
      expect((await storage.roster.get(alice)).version).toBe(version);
      expect((await storage.roster.get(alice)).items.map((entry) => entry.jid)).toEqual(['bob@example.com', 'carol@example.com']);
      expect(await storage.subscriptionRequests.count(alice)).toBe(1);
    });

    it('keep nothing when the work throws, and rethrow', async () => {
      await storage.roster.put(alice, item('bob@example.com'));
      const before = await storage.roster.get(alice);
      await storage.subscriptionRequests.put(alice, 'carol@example.com', '<presence/>', 1);
      const failure = new Error('changed my mind');
      await expect(storage.transaction(async (tx) => {
        await tx.roster.put(alice, item('bob@example.com', { subscription: 'both' }));
        await tx.roster.put(alice, item('dave@example.com'));
        await tx.subscriptionRequests.remove(alice, 'carol@example.com');
        await tx.keyValue.open('notes').set(alice, 'k', 'v');
        throw failure;
      })).rejects.toBe(failure);
      expect(await storage.roster.get(alice)).toEqual(before);
      expect(await storage.subscriptionRequests.count(alice)).toBe(1);
      expect(await storage.keyValue.open('notes').get(alice, 'k')).toBeUndefined();
    });

    it('are serializable: concurrent read-modify-write transactions lose no update', async () => {
      const counter = storage.keyValue.open<number>('counter');
      await counter.set(alice, 'n', 0);
      await Promise.all(Array.from({ length: 25 }, () => storage.transaction(async (tx) => {
        const store = tx.keyValue.open<number>('counter');
        const value = (await store.get(alice, 'n'))!;
        await store.set(alice, 'n', value + 1);
      })));
      expect(await counter.get(alice, 'n')).toBe(25);
    });

    it('are never seen half done from outside', async () => {
      const done = storage.transaction(async (tx) => {
        await tx.roster.put(alice, item('bob@example.com'));
        await tx.roster.put(alice, item('carol@example.com'));
        await tx.roster.put(alice, item('dave@example.com'));
      });
      // started while the transaction runs
      const seen = await Promise.all([storage.roster.count(alice), storage.roster.get(alice).then((roster) => roster.items.length)]);
      await done;
      for (const count of seen) expect([0, 3]).toContain(count);
      expect(await storage.roster.count(alice)).toBe(3);
    });

    it('leave the stores usable after one failed', async () => {
      await expect(storage.transaction(async () => {
        throw new Error('nothing done');
      })).rejects.toThrow('nothing done');
      await storage.transaction((tx) => tx.vcards.set(alice, '<vCard xmlns="vcard-temp"/>'));
      expect(await storage.vcards.get(alice)).toBe('<vCard xmlns="vcard-temp"/>');
    });
  });
}
