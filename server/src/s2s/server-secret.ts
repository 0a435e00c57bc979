// The per-server secret dialback keys are derived from (XEP-0185 §3). Made once (32 random bytes) and
// kept in the state storage, so keys stay valid across restarts and every node of a cluster derives
// the same keys: a peer may ask any node to verify a key another node generated (XEP-0220 §2.3).
import { randomBytes } from 'node:crypto';
import type { Storage } from '../storage/index.ts';

const STORE = 's2s';
const OWNER = 'server';
const KEY = 'dialback-secret';

/** The stored secret; the first node to start makes it (in one transaction, so two starting nodes agree). */
export function serverSecret(storage: Storage): Promise<string> {
  return storage.transaction(async (tx) => {
    const store = tx.keyValue.open<string>(STORE);
    const kept = await store.get(OWNER, KEY);
    if (typeof kept === 'string' && kept.length >= 32) return kept;
    const made = randomBytes(32).toString('hex');
    await store.set(OWNER, KEY, made);
    return made;
  });
}
