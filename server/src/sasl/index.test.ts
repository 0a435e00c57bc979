import { describe, expect, it } from 'vitest';
import { mechanisms } from './index.ts';
import { MemoryAccounts } from './test-accounts.ts';

describe('mechanism registry', () => {
  it('lists mechanisms in preference order', () => {
    expect(mechanisms.map((m) => m.name)).toEqual(['SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN']);
    expect(mechanisms.map((m) => m.requiresEncryption)).toEqual([false, false, true]);
  });

  it('creates independent mechanism instances', () => {
    const accounts = new MemoryAccounts();
    for (const factory of mechanisms) {
      const a = factory.create(accounts);
      expect(a.name).toBe(factory.name);
      expect(factory.create(accounts)).not.toBe(a);
    }
  });
});
