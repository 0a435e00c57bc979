// XEP-0124 §15: the optional key sequence that protects an unencrypted session from injected
// requests. Each request's key hashes (SHA-1, hex) to the previous request's key or newkey.
import { createHash } from 'node:crypto';

export class KeySequence {
  /** What the next key must hash to; undefined while the client uses no keys. */
  constructor(private expected: string | undefined) {}

  /** false when the request breaks the sequence (the session then ends with item-not-found). */
  accept(key: string | undefined, newKey: string | undefined): boolean {
    if (this.expected === undefined && newKey === undefined) return true;
    if (this.expected !== undefined) {
      if (key === undefined || createHash('sha1').update(key).digest('hex') !== this.expected.toLowerCase()) return false;
    }
    this.expected = newKey ?? key;
    return true;
  }
}
