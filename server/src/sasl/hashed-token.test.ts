// HT-SHA-256-* (draft-schmaus-kitten-sasl-ht-08): the message format and the channel binding
// each variant hashes in; the token check itself is auth/fast-tokens.ts.
import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { ChannelBinding } from './channel-binding.ts';
import { SaslError } from './errors.ts';
import { hashedTokenMechanism, offeredHashedTokenMechanisms } from './hashed-token.ts';
import type { HashedTokenProof, SaslAccountLookup } from './mechanism.ts';

const TOKEN = 'a'.repeat(80);
const hmac = (label: string, cb: Buffer = Buffer.alloc(0)): Buffer => createHmac('sha256', TOKEN).update(label).update(cb).digest();
const exporter = Buffer.alloc(32, 1);
const endPoint = Buffer.alloc(32, 2);
const binding: ChannelBinding = {
  types: ['tls-exporter', 'tls-server-end-point'],
  data: (type) => (type === 'tls-exporter' ? exporter : endPoint),
};

/** Accepts exactly HMAC(TOKEN, "Initiator" || cb) for 'juliet'. */
const accounts: SaslAccountLookup & { proofs: HashedTokenProof[] } = {
  proofs: [],
  getCredential: async () => null,
  async verifyHashedToken(username, proof) {
    this.proofs.push(proof);
    if (username !== 'juliet' || !proof.initiatorHash.equals(hmac('Initiator', proof.channelBindingData))) throw new SaslError('not-authorized');
    return hmac('Responder', proof.channelBindingData);
  },
};

const message = (user: string, hash: Buffer) => Buffer.concat([Buffer.from(`${user}\0`), hash]);

async function condition(promise: Promise<unknown>): Promise<string> {
  const error = await promise.then(() => null, (e: unknown) => e);
  expect(error).toBeInstanceOf(SaslError);
  return (error as SaslError).condition;
}

describe('HT-SHA-256', () => {
  for (const [name, cb] of [['HT-SHA-256-NONE', Buffer.alloc(0)], ['HT-SHA-256-EXPR', exporter], ['HT-SHA-256-ENDP', endPoint]] as const) {
    it(`${name}: one round trip, the responder hash as additional data`, async () => {
      const mechanism = hashedTokenMechanism(name)!.create(accounts, { channelBinding: binding, plusOffered: true });
      const step = await mechanism.start(message('juliet', hmac('Initiator', cb)));
      expect(step).toEqual({ kind: 'success', username: 'juliet', data: hmac('Responder', cb) });
      expect(accounts.proofs.at(-1)!.mechanism).toBe(name);
    });
  }

  it('a proof without the binding data fails for a binding variant', async () => {
    const mechanism = hashedTokenMechanism('HT-SHA-256-EXPR')!.create(accounts, { channelBinding: binding, plusOffered: true });
    expect(await condition(mechanism.start(message('juliet', hmac('Initiator'))))).toBe('not-authorized');
  });

  it('a binding variant on a connection without that binding is malformed', async () => {
    const mechanism = hashedTokenMechanism('HT-SHA-256-ENDP')!.create(accounts, { channelBinding: null, plusOffered: false });
    expect(await condition(mechanism.start(message('juliet', hmac('Initiator', endPoint))))).toBe('malformed-request');
  });

  it('malformed messages', async () => {
    for (const bad of [Buffer.alloc(0), Buffer.from('juliet'), message('', hmac('Initiator')), message('juliet', Buffer.alloc(31)),
      Buffer.concat([Buffer.from([0xff, 0xfe, 0]), hmac('Initiator')])]) {
      const mechanism = hashedTokenMechanism('HT-SHA-256-NONE')!.create(accounts);
      expect(await condition(mechanism.start(bad))).toBe('malformed-request');
    }
  });

  it('no second step', async () => {
    const mechanism = hashedTokenMechanism('HT-SHA-256-NONE')!.create(accounts);
    await mechanism.start(message('juliet', hmac('Initiator')));
    expect(await condition(mechanism.step(Buffer.from('x')))).toBe('malformed-request');
  });

  it('offers the binding variants only with their binding, channel binding first', () => {
    expect(offeredHashedTokenMechanisms({ channelBinding: null, plusOffered: false })).toEqual(['HT-SHA-256-NONE']);
    expect(offeredHashedTokenMechanisms({ channelBinding: { types: ['tls-server-end-point'], data: () => endPoint }, plusOffered: true }))
      .toEqual(['HT-SHA-256-ENDP', 'HT-SHA-256-NONE']);
    expect(hashedTokenMechanism('HT-SHA-256-UNIQ')).toBeNull();
  });
});
