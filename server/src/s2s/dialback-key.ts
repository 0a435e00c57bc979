// XEP-0220 dialback keys, generated as XEP-0185 §3 says: HMAC-SHA256 of
// "{Receiving Server} {Originating Server} {Stream ID}" keyed with SHA-256 of a secret only this
// server knows. Every node of a cluster must derive the same key (a peer may ask another node to
// verify it), so the secret lives in the state store shared by all nodes (s2s/server-secret.ts).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export class DialbackKeys {
  private readonly hmacKey: Buffer;

  constructor(secret: string) {
    this.hmacKey = createHash('sha256').update(secret).digest();
  }

  /** The key the originating server sends in <db:result/> and the authoritative server checks in <db:verify/>. */
  generate(receiving: string, originating: string, streamId: string): string {
    return createHmac('sha256', this.hmacKey).update(`${receiving} ${originating} ${streamId}`).digest('hex');
  }

  /** Whether `key` is ours for this stream (compared in constant time). */
  verify(receiving: string, originating: string, streamId: string, key: string): boolean {
    const expected = Buffer.from(this.generate(receiving, originating, streamId));
    const given = Buffer.from(key.trim());
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
