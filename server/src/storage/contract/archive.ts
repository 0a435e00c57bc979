// The storage contract (index.ts): what the archive keeps in the state storage — XEP-0441
// preferences and the queue in front of an external index.
import { beforeEach, describe, expect, it } from 'vitest';
import type { Storage } from '../types.ts';

export function archiveContract(current: () => Storage): void {
  let storage: Storage;
  beforeEach(() => {
    storage = current();
  });

  describe('archive preferences', () => {
    it('are absent until set, then read back and replaced', async () => {
      expect(await storage.archivePreferences.all()).toEqual(new Map());
      expect(await storage.archivePreferences.get('alice@example.com')).toBeNull();
      const first = { default: 'roster' as const, always: ['bob@example.com', 'carol@example.com/phone'], never: ['eve@example.com'] };
      await storage.archivePreferences.set('alice@example.com', first);
      await storage.archivePreferences.set('bob@example.com', { default: 'never', always: [], never: [] });
      expect(await storage.archivePreferences.get('alice@example.com')).toEqual(first);
      await storage.archivePreferences.set('alice@example.com', { default: 'always', always: [], never: ['eve@example.com'] });
      expect(await storage.archivePreferences.all()).toEqual(new Map([
        ['alice@example.com', { default: 'always', always: [], never: ['eve@example.com'] }],
        ['bob@example.com', { default: 'never', always: [], never: [] }],
      ]));
    });
  });

  describe('archive index queue', () => {
    const doc = (seq: number, text = `entry ${seq}`) => ({ seq, document: JSON.stringify({ seq, text }) });

    it('is empty at first', async () => {
      expect(await storage.archiveIndexQueue.size()).toBe(0);
      expect(await storage.archiveIndexQueue.lowestId()).toBeNull();
      expect(await storage.archiveIndexQueue.highestId()).toBeNull();
      expect(await storage.archiveIndexQueue.highestSeq()).toBe(0);
      expect(await storage.archiveIndexQueue.peek(10, 1_000_000)).toEqual([]);
    });

    it('gives back the oldest entries first, within a count and a size, until they are removed', async () => {
      await storage.archiveIndexQueue.push([doc(10), doc(11)]);
      await storage.archiveIndexQueue.push([doc(12)]);
      expect(await storage.archiveIndexQueue.size()).toBe(3);
      expect(await storage.archiveIndexQueue.highestSeq()).toBe(12);

      const all = await storage.archiveIndexQueue.peek(10, 1_000_000);
      expect(all.map((queued) => [queued.seq, queued.document, queued.attempts])).toEqual([
        [10, doc(10).document, 0], [11, doc(11).document, 0], [12, doc(12).document, 0],
      ]);
      expect(all[0]!.queueId).toBeLessThan(all[1]!.queueId);
      expect(all[1]!.queueId).toBeLessThan(all[2]!.queueId);
      expect(await storage.archiveIndexQueue.lowestId()).toBe(all[0]!.queueId);
      expect(await storage.archiveIndexQueue.highestId()).toBe(all[2]!.queueId);

      expect((await storage.archiveIndexQueue.peek(2, 1_000_000)).map((queued) => queued.seq)).toEqual([10, 11]);
      // at least one entry, however small the budget; then no more than it allows
      expect((await storage.archiveIndexQueue.peek(10, 1)).map((queued) => queued.seq)).toEqual([10]);
      expect((await storage.archiveIndexQueue.peek(10, doc(10).document.length * 2)).map((queued) => queued.seq)).toEqual([10, 11]);

      // the ones after an id (those not yet in flight)
      expect((await storage.archiveIndexQueue.peek(10, 1_000_000, all[0]!.queueId)).map((queued) => queued.seq)).toEqual([11, 12]);
      expect(await storage.archiveIndexQueue.peek(10, 1_000_000, all[2]!.queueId)).toEqual([]);

      await storage.archiveIndexQueue.remove([all[0]!.queueId, all[2]!.queueId]);
      expect((await storage.archiveIndexQueue.peek(10, 1_000_000)).map((queued) => queued.seq)).toEqual([11]);
      expect(await storage.archiveIndexQueue.lowestId()).toBe(all[1]!.queueId);
      expect(await storage.archiveIndexQueue.size()).toBe(1);
    });

    it('counts failed attempts, and drops entries older than a seq', async () => {
      await storage.archiveIndexQueue.push([doc(5), doc(6), doc(7)]);
      const [first, second] = await storage.archiveIndexQueue.peek(2, 1_000_000);
      await storage.archiveIndexQueue.failed([first!.queueId, second!.queueId]);
      await storage.archiveIndexQueue.failed([first!.queueId]);
      expect((await storage.archiveIndexQueue.peek(10, 1_000_000)).map((queued) => queued.attempts)).toEqual([2, 1, 0]);

      expect(await storage.archiveIndexQueue.dropOlderThan(7)).toBe(2);
      expect((await storage.archiveIndexQueue.peek(10, 1_000_000)).map((queued) => queued.seq)).toEqual([7]);
      // ids only grow, also after the oldest went
      await storage.archiveIndexQueue.push([doc(8)]);
      const [seven, eight] = await storage.archiveIndexQueue.peek(10, 1_000_000);
      expect(eight!.queueId).toBeGreaterThan(seven!.queueId);
      expect(eight!.queueId).toBeGreaterThan(second!.queueId);
    });
  });
}
