// FAST tokens (XEP-0484): issued after a full authentication, checked by the HT-* mechanisms
// (sasl/hashed-token.ts), rotated, invalidated by the client, revoked by the admin, and ended with
// the password (storage: a new password removes the account's tokens).
//
// What is stored is SHA-256(token), never the token. The HT mechanisms key an HMAC with the token,
// and RFC 2104 §2 replaces a key longer than the hash's block size (64 bytes for SHA-256) by its
// hash: with tokens of more than 64 bytes, HMAC(token, m) = HMAC(SHA-256(token), m), so the stored
// hash is all the server needs. It is still the key to the HMAC: whoever reads the database can
// sign in as the token's owner until the token expires, as with any token the server must verify.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import type { FastTokenRecord, FastTokenStore } from '../storage/index.ts';
import { SaslError } from '../sasl/errors.ts';
import { safeEqual } from '../sasl/primitives.ts';

/** 60 random bytes, 80 characters in base64url: more than SHA-256's 64-byte block (see above). */
const TOKEN_BYTES = 60;
const SHA256_BLOCK_BYTES = 64;

export interface FastTokenOptions {
  /** How long a token is valid (XEP-0484 §4.2: a deployment's policy on inactive devices). */
  lifetimeSeconds: number;
  /** A token older than this is replaced by a new one at its next use (XEP-0484 §3.5). */
  rotateAfterSeconds: number;
}

export interface IssuedToken {
  token: string;
  mechanism: string;
  expiry: Date;
}

/** One HT authentication to verify (sasl/hashed-token.ts fills it in). */
export interface TokenProof {
  jid: string;
  clientId: string;
  mechanism: string;
  /** HMAC(token, "Initiator" || cb-data) as the client sent it. */
  initiatorHash: Buffer;
  channelBindingData: Buffer;
  /** XEP-0484 §3.6: the client signs out; the token ends with this use. */
  invalidate: boolean;
}

export interface VerifiedToken {
  /** HMAC(token, "Responder" || cb-data), the server's half of mutual authentication. */
  responderHash: Buffer;
  /** The token is due for rotation: issue a new one in <success/>. */
  rotate: boolean;
}

/** A token as listed for the user or the admin: who holds it, not what it is. */
export interface FastTokenInfo {
  clientId: string;
  slot: FastTokenRecord['slot'];
  mechanism: string;
  userAgent: string | null;
  issuedAt: Date;
  expiresAt: Date;
}

function keyHashOf(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function hmac(key: Buffer, label: string, channelBindingData: Buffer): Buffer {
  return createHmac('sha256', key).update(label).update(channelBindingData).digest();
}

export class FastTokens {
  constructor(
    private readonly store: FastTokenStore,
    private readonly options: FastTokenOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * A new token for the client, in its 'new' slot: the token it may hold already stays valid until
   * the new one is used (XEP-0484 §3.5), and an earlier token that was never used is replaced.
   */
  async issue(jid: string, clientId: string, mechanism: string, userAgent: string | null): Promise<IssuedToken> {
    const token = randomBytes(TOKEN_BYTES).toString('base64url');
    if (Buffer.byteLength(token) <= SHA256_BLOCK_BYTES) throw new Error('FAST token too short to be kept as its hash');
    const issuedAt = this.now();
    const expiresAt = issuedAt + this.options.lifetimeSeconds * 1000;
    await this.store.removeExpired(issuedAt);
    await this.store.putNew({
      jid, clientId, mechanism, keyHash: keyHashOf(token).toString('base64'), issuedAt, expiresAt, userAgent,
    });
    return { token, mechanism, expiry: new Date(expiresAt) };
  }

  /**
   * Checks a proof against the client's 'new' token, then its 'current' one (XEP-0484 §5.1),
   * each bound to the mechanism it was issued for. Throws not-authorized when none matches and
   * credentials-expired for a matching token past its expiry (XEP-0484 §4.2).
   */
  async verify(proof: TokenProof): Promise<VerifiedToken> {
    const now = this.now();
    let match: FastTokenRecord | null = null;
    for (const record of await this.store.forClient(proof.jid, proof.clientId)) {
      if (record.mechanism !== proof.mechanism) continue;
      const expected = hmac(Buffer.from(record.keyHash, 'base64'), 'Initiator', proof.channelBindingData);
      // Constant time (XEP-0484 §5.1); go through every slot whatever matches first.
      if (safeEqual(expected, proof.initiatorHash) && !match) match = record;
    }
    if (!match) throw new SaslError('not-authorized');
    if (match.expiresAt <= now) {
      await this.store.remove(match.jid, match.clientId, match.slot);
      throw new SaslError('credentials-expired', 'the token has expired; sign in with your password');
    }
    const key = Buffer.from(match.keyHash, 'base64');
    const responderHash = hmac(key, 'Responder', proof.channelBindingData);
    if (proof.invalidate) {
      // §3.6: the client is signing out; nothing it was given for this device stays valid.
      await this.store.remove(match.jid, match.clientId);
      return { responderHash, rotate: false };
    }
    // §3.5: using the new token retires every older one of the same client.
    if (match.slot === 'new') await this.store.promote(match.jid, match.clientId);
    return { responderHash, rotate: now - match.issuedAt >= this.options.rotateAfterSeconds * 1000 };
  }

  async list(jid: string): Promise<FastTokenInfo[]> {
    const now = this.now();
    return (await this.store.forAccount(jid)).filter((record) => record.expiresAt > now).map((record) => ({
      clientId: record.clientId, slot: record.slot, mechanism: record.mechanism, userAgent: record.userAgent,
      issuedAt: new Date(record.issuedAt), expiresAt: new Date(record.expiresAt),
    }));
  }

  /** Revokes one client's tokens, or all of the account's; returns how many went. */
  revoke(jid: string, clientId?: string): Promise<number> {
    return clientId === undefined ? this.store.removeAccount(jid) : this.store.remove(jid, clientId);
  }
}

/** The client half of an HT exchange, for tests and tools: HMAC(token, label || cb-data). */
export function hashedToken(token: string, label: 'Initiator' | 'Responder', channelBindingData = Buffer.alloc(0)): Buffer {
  return createHmac('sha256', Buffer.from(token, 'utf8')).update(label).update(channelBindingData).digest();
}
