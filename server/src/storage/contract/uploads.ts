// The storage contract (index.ts): XEP-0363 upload slots and files (components/upload/).
import { beforeEach, describe, expect, it } from 'vitest';
import type { Storage, Upload } from '../types.ts';

export function uploadsContract(current: () => Storage): void {
  let storage: Storage;
  beforeEach(() => {
    storage = current();
  });

  const slot = (id: string, size: number, now: number, owner = 'alice@example.com'): Omit<Upload, 'state' | 'storedAt'> =>
    ({ id, owner, filename: `${id}.bin`, size, contentType: 'application/octet-stream', createdAt: now, slotExpiresAt: now + 1000 });

  describe('uploads', () => {
    it('reserve within the quota, counting stored files, uploads under way and live slots', async () => {
      const now = 1_000_000;
      expect(await storage.uploads.reserve(slot('a', 600, now), 1000, now)).toBe(true);
      expect(await storage.uploads.reserve(slot('b', 500, now), 1000, now)).toBe(false);
      expect(await storage.uploads.reserve(slot('c', 400, now), 1000, now)).toBe(true);
      expect(await storage.uploads.usage('alice@example.com', now)).toBe(1000);
      // another owner has a quota of their own
      expect(await storage.uploads.reserve(slot('d', 900, now, 'bob@example.com'), 1000, now)).toBe(true);
      // an expired, unused slot no longer counts
      expect(await storage.uploads.usage('alice@example.com', now + 1000)).toBe(0);
    });

    it('a slot is claimed once, before it expires; completing stores it', async () => {
      const now = 2_000_000;
      await storage.uploads.reserve(slot('once', 10, now), 100, now);
      expect(await storage.uploads.claim('once', now + 1)).toBe(true);
      expect(await storage.uploads.claim('once', now + 2)).toBe(false);
      await storage.uploads.complete('once', now + 3);
      expect(await storage.uploads.get('once')).toMatchObject({ state: 'stored', storedAt: now + 3, size: 10 });
      await storage.uploads.reserve(slot('late', 10, now), 100, now);
      expect(await storage.uploads.claim('late', now + 1000)).toBe(false);
      expect(await storage.uploads.claim('missing', now)).toBe(false);
    });

    it('prune drops expired slots, stuck uploads and files past retention, and returns them', async () => {
      const now = 3_000_000;
      await storage.uploads.reserve(slot('unused', 1, now), 100, now);
      await storage.uploads.reserve(slot('stuck', 1, now), 100, now);
      await storage.uploads.claim('stuck', now);
      await storage.uploads.reserve(slot('old', 1, now), 100, now);
      await storage.uploads.claim('old', now);
      await storage.uploads.complete('old', now);
      await storage.uploads.reserve(slot('fresh', 1, now + 5000), 100, now + 5000);
      await storage.uploads.claim('fresh', now + 5000);
      await storage.uploads.complete('fresh', now + 5000);
      const pruned = await storage.uploads.prune(now + 2000, 500, now + 1);
      expect(pruned.map((upload) => upload.id).sort()).toEqual(['old', 'stuck', 'unused']);
      expect(await storage.uploads.get('fresh')).toBeDefined();
      expect(await storage.uploads.prune(now + 2000, 500, null)).toEqual([]);
    });
  });
}
