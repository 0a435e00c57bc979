// HT-SHA-256-NONE with a non-extractable key: the proofs the server checks (server/src/sasl/hashed-token.ts).
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { FAST_MECHANISM, fastKey, hashedTokenMechanism } from './fast.ts';

const TOKEN = 's3cr3t-token-from-the-server';
const hmac = (label: string) => new Uint8Array(createHmac('sha256', TOKEN).update(label).digest());

describe('HT-SHA-256-NONE', () => {
  it('sends authcid NUL HMAC(token, "Initiator") and checks HMAC(token, "Responder")', async () => {
    const key = await fastKey(TOKEN);
    expect(key.extractable).toBe(false);
    const mechanism = hashedTokenMechanism('alice', { mechanism: FAST_MECHANISM, key, expiry: '' });
    const initial = await mechanism.initial();
    expect(Array.from(initial.subarray(0, 6))).toEqual([...Buffer.from('alice\0')]);
    expect(Array.from(initial.subarray(6))).toEqual(Array.from(hmac('Initiator')));
    await expect(mechanism.success(hmac('Responder'))).resolves.toBeUndefined();
    await expect(mechanism.success(hmac('Initiator'))).rejects.toThrow(/could not prove/);
    await expect(mechanism.success(new Uint8Array())).rejects.toThrow(/could not prove/);
  });
});
