// The storage contract (index.ts): FAST tokens (XEP-0484) in their two slots per client, and their
// end with the account's password or the account itself.
import { beforeEach, describe, expect, it } from 'vitest';
import type { NewFastToken, ScramCredential, Storage } from '../types.ts';

const ALICE = 'alice@example.com';
const credential: ScramCredential = { hash: 'SHA-256', salt: 'c2FsdA==', iterations: 4096, storedKey: 'c3Rvcg==', serverKey: 'c2Vydg==' };

function token(overrides: Partial<NewFastToken> = {}): NewFastToken {
  return {
    jid: ALICE, clientId: 'phone', mechanism: 'HT-SHA-256-NONE', keyHash: 'aGFzaDE=', issuedAt: 1000, expiresAt: 5000,
    userAgent: 'Client on phone', ...overrides,
  };
}

export function fastTokenContract(current: () => Storage): void {
  let storage: Storage;
  describe('FAST tokens', () => {
    beforeEach(async () => {
      storage = current();
      await storage.accounts.create(ALICE, [credential]);
    });

    it("a new token waits in the 'new' slot, replacing an unused one, until promoted to 'current'", async () => {
      await storage.fastTokens.putNew(token());
      await storage.fastTokens.putNew(token({ keyHash: 'aGFzaDI=' }));
      expect((await storage.fastTokens.forClient(ALICE, 'phone')).map((t) => [t.slot, t.keyHash])).toEqual([['new', 'aGFzaDI=']]);
      expect(await storage.fastTokens.promote(ALICE, 'phone')).toBe(true);
      await storage.fastTokens.putNew(token({ keyHash: 'aGFzaDM=' }));
      expect((await storage.fastTokens.forClient(ALICE, 'phone')).map((t) => [t.slot, t.keyHash])).toEqual([['new', 'aGFzaDM='], ['current', 'aGFzaDI=']]);
      expect(await storage.fastTokens.promote(ALICE, 'phone')).toBe(true);
      expect((await storage.fastTokens.forClient(ALICE, 'phone')).map((t) => [t.slot, t.keyHash])).toEqual([['current', 'aGFzaDM=']]);
      expect(await storage.fastTokens.promote(ALICE, 'phone')).toBe(false);
    });

    it('lists by account, removes by client, slot, account and expiry', async () => {
      await storage.fastTokens.putNew(token());
      await storage.fastTokens.putNew(token({ clientId: 'laptop', expiresAt: 2000 }));
      expect((await storage.fastTokens.forAccount(ALICE)).map((t) => t.clientId)).toEqual(['laptop', 'phone']);
      expect(await storage.fastTokens.removeExpired(2000)).toBe(1);
      expect(await storage.fastTokens.remove(ALICE, 'phone', 'current')).toBe(0);
      expect(await storage.fastTokens.remove(ALICE, 'phone')).toBe(1);
      await storage.fastTokens.putNew(token());
      expect(await storage.fastTokens.removeAccount(ALICE)).toBe(1);
    });

    it('a new password or a deleted account ends them', async () => {
      await storage.fastTokens.putNew(token());
      await storage.accounts.setCredentials(ALICE, [credential]);
      expect(await storage.fastTokens.forAccount(ALICE)).toEqual([]);
      await storage.fastTokens.putNew(token());
      await storage.accounts.delete(ALICE);
      expect(await storage.fastTokens.forAccount(ALICE)).toEqual([]);
    });
  });
}
