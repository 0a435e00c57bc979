// Salted SCRAM verifiers (RFC 5802 §3): the server stores
// {salt, i, StoredKey, ServerKey} and never the password itself.
import { randomBytes } from 'node:crypto';
import { H, HMAC, Hi, safeEqual, type ScramHash } from './primitives.ts';
import { saslPrep } from './saslprep.ts';

export type { ScramHash };

export interface ScramCredential {
  hash: ScramHash;
  /** base64 */
  salt: string;
  iterations: number;
  /** base64 of H(ClientKey) */
  storedKey: string;
  /** base64 of HMAC(SaltedPassword, "Server Key") */
  serverKey: string;
}

export const DEFAULT_ITERATIONS = 4096; // RFC 7677 §4 minimum recommendation
export const DEFAULT_SALT_BYTES = 16;

/** Derive the raw key pair for a (prepared) password — RFC 5802 §3. */
async function deriveKeys(
  prepared: string,
  hash: ScramHash,
  salt: Buffer,
  iterations: number,
): Promise<{ storedKey: Buffer; serverKey: Buffer }> {
  const saltedPassword = await Hi(hash, prepared, salt, iterations);
  const clientKey = HMAC(hash, saltedPassword, 'Client Key');
  return {
    storedKey: H(hash, clientKey),
    serverKey: HMAC(hash, saltedPassword, 'Server Key'),
  };
}

/**
 * Derive salted verifiers from a password (SASLprep'ed first, RFC 5802 §5.1);
 * never store the password. Default 4096 iterations and a 16-byte random salt.
 * Throws SaslError('malformed-request') if the password cannot be prepared.
 */
export async function deriveScramCredential(
  password: string,
  hash: ScramHash,
  options: { salt?: Buffer; iterations?: number } = {},
): Promise<ScramCredential> {
  const salt = options.salt ?? randomBytes(DEFAULT_SALT_BYTES);
  const iterations = options.iterations ?? DEFAULT_ITERATIONS;
  if (!Number.isInteger(iterations) || iterations < 1) throw new RangeError('iterations must be a positive integer');
  const { storedKey, serverKey } = await deriveKeys(saslPrep(password), hash, salt, iterations);
  return {
    hash,
    salt: salt.toString('base64'),
    iterations,
    storedKey: storedKey.toString('base64'),
    serverKey: serverKey.toString('base64'),
  };
}

/** Verifiers for every supported hash, SHA-1 and SHA-256, each with its own salt. */
export async function deriveAllCredentials(password: string): Promise<ScramCredential[]> {
  return Promise.all([deriveScramCredential(password, 'SHA-1'), deriveScramCredential(password, 'SHA-256')]);
}

/**
 * Verify a plaintext password against a stored credential (used by PLAIN):
 * recompute StoredKey with the stored salt and iteration count and compare in
 * constant time. A password SASLprep rejects cannot match, so yields false.
 */
export async function verifyPassword(password: string, credential: ScramCredential): Promise<boolean> {
  let prepared: string;
  try {
    prepared = saslPrep(password);
  } catch {
    return false;
  }
  const salt = Buffer.from(credential.salt, 'base64');
  const { storedKey } = await deriveKeys(prepared, credential.hash, salt, credential.iterations);
  return safeEqual(storedKey, Buffer.from(credential.storedKey, 'base64'));
}
