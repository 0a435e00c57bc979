// The cryptographic building blocks of SCRAM (RFC 5802 §2.2), on node:crypto.
import { createHash, createHmac, pbkdf2, timingSafeEqual } from 'node:crypto';

/** The hash functions SCRAM is used with here (RFC 5802 SCRAM-SHA-1, RFC 7677 SCRAM-SHA-256). */
export type ScramHash = 'SHA-1' | 'SHA-256';

/** node:crypto digest name for a SCRAM hash (RFC 5802 §4, RFC 7677 §2). */
export function digestName(hash: ScramHash): 'sha1' | 'sha256' {
  return hash === 'SHA-1' ? 'sha1' : 'sha256';
}

/** Output length in bytes of H(). */
export function digestLength(hash: ScramHash): number {
  return hash === 'SHA-1' ? 20 : 32;
}

/** H(str) */
export function H(hash: ScramHash, data: Buffer): Buffer {
  return createHash(digestName(hash)).update(data).digest();
}

/** HMAC(key, str) */
export function HMAC(hash: ScramHash, key: Buffer, data: Buffer | string): Buffer {
  return createHmac(digestName(hash), key).update(data).digest();
}

/** Hi(str, salt, i) — PBKDF2 with HMAC as the PRF and dkLen = output length of H(). */
export function Hi(hash: ScramHash, password: string, salt: Buffer, iterations: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, digestLength(hash), digestName(hash), (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

/** Octet-wise exclusive or of two equal-length buffers. */
export function xor(a: Buffer, b: Buffer): Buffer {
  if (a.length !== b.length) throw new RangeError('xor: length mismatch');
  const out = Buffer.alloc(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

/** Constant-time comparison that tolerates (and rejects) differing lengths. */
export function safeEqual(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Strict base64 (RFC 4648 §4) decoding: canonical padding only, no
 * whitespace or URL-safe alphabet. Returns null on any deviation, since
 * Buffer.from(…, 'base64') silently ignores garbage.
 */
export function decodeBase64(s: string): Buffer | null {
  if (s.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(s)) return null;
  const buf = Buffer.from(s, 'base64');
  return buf.toString('base64') === s ? buf : null;
}
