// HT-SHA-256-NONE with a non-extractable key: the proofs the server checks (server/src/sasl/hashed-token.ts).
import { describe, expect, it } from 'vitest';
import { utf8 } from '@parley/shared/sasl/encoding';
import { FAST_MECHANISM, fastKey, hashedTokenMechanism } from './fast.ts';

const TOKEN = 's3cr3t-token-from-the-server';
/** The server's side, with a key of its own (extractable, the test's). */
async function hmac(label: string): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey('raw', utf8(TOKEN), { name: 'HMAC', hash: 'SHA-256' }, true, ['sign']);
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(label)));
}

describe('HT-SHA-256-NONE', () => {
  it('sends authcid NUL HMAC(token, "Initiator") and checks HMAC(token, "Responder")', async () => {
    const key = await fastKey(TOKEN);
    expect(key.extractable).toBe(false);
    const mechanism = hashedTokenMechanism('alice', { mechanism: FAST_MECHANISM, key, expiry: '' });
    const initial = await mechanism.initial();
    expect(Array.from(initial.subarray(0, 6))).toEqual(Array.from(utf8('alice\u0000')));
    expect(Array.from(initial.subarray(6))).toEqual(Array.from(await hmac('Initiator')));
    await expect(mechanism.success(await hmac('Responder'))).resolves.toBeUndefined();
    await expect(mechanism.success(await hmac('Initiator'))).rejects.toThrow(/could not prove/);
    await expect(mechanism.success(new Uint8Array())).rejects.toThrow(/could not prove/);
  });
});
