// The client side of SASL SCRAM-SHA-1 and SCRAM-SHA-256 (RFC 5802, RFC 7677) with WebCrypto
// (browsers and Node 20), without channel binding ('n,,'): the one SCRAM client of the web client,
// the test helpers and the load generator.
import type { ClientMechanism } from './mechanism.ts';
import { fromBase64, toBase64, utf8 } from './encoding.ts';
import { saslPrep } from './saslprep.ts';

export type ScramHash = 'SHA-1' | 'SHA-256';

/** Iteration counts outside this range are refused: too few is weak, too many freezes the page. */
const MIN_ITERATIONS = 1;
const MAX_ITERATIONS = 10_000_000;
const GS2_HEADER = 'n,,';

/** RFC 5802 §5.1: ',' and '=' in a saslname are written =2C and =3D. */
export function escapeSaslName(name: string): string {
  return name.replace(/=/g, '=3D').replace(/,/g, '=2C');
}

function parseAttributes(message: string): Map<string, string> {
  const attributes = new Map<string, string>();
  for (const part of message.split(',')) {
    const eq = part.indexOf('=');
    if (eq === 1) attributes.set(part[0]!, part.slice(2));
  }
  return attributes;
}

/** WebCrypto is there (browsers give it to secure pages only: HTTPS or localhost). */
export function webCryptoAvailable(): boolean {
  return globalThis.crypto?.subtle !== undefined;
}

function subtle(): SubtleCrypto {
  if (!webCryptoAvailable()) throw new Error('This page must be served over HTTPS to sign in (WebCrypto is unavailable).');
  return globalThis.crypto.subtle;
}

async function hmac(hash: ScramHash, key: Uint8Array<ArrayBuffer>, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  const cryptoKey = await subtle().importKey('raw', key, { name: 'HMAC', hash }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', cryptoKey, data));
}

async function digest(hash: ScramHash, data: Uint8Array<ArrayBuffer>): Promise<Uint8Array<ArrayBuffer>> {
  return new Uint8Array(await subtle().digest(hash, data));
}

async function pbkdf2(hash: ScramHash, password: string, salt: Uint8Array<ArrayBuffer>, iterations: number): Promise<Uint8Array<ArrayBuffer>> {
  const key = await subtle().importKey('raw', utf8(password), 'PBKDF2', false, ['deriveBits']);
  const bits = hash === 'SHA-1' ? 160 : 256;
  return new Uint8Array(await subtle().deriveBits({ name: 'PBKDF2', hash, salt, iterations }, key, bits));
}

async function salted(hash: ScramHash, password: string, salt: string, iterations: number,
  cache: SaltedPasswordCache | undefined): Promise<Uint8Array<ArrayBuffer>> {
  if (!cache) return pbkdf2(hash, saslPrep(password), fromBase64(salt), iterations);
  const key = `${hash}\u0000${salt}\u0000${iterations}\u0000${password}`;
  let derived = cache.get(key);
  if (!derived) {
    derived = pbkdf2(hash, saslPrep(password), fromBase64(salt), iterations);
    cache.set(key, derived);
  }
  return derived;
}

function xor(a: Uint8Array<ArrayBuffer>, b: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}

function randomNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return toBase64(bytes);
}

/**
 * Salted passwords by hash, salt, iteration count and password: a load generator that logs many
 * sessions into few accounts derives each once. It keeps passwords in memory: not for browsers.
 */
export type SaltedPasswordCache = Map<string, Promise<Uint8Array<ArrayBuffer>>>;

export interface ScramOptions {
  saltedPasswords?: SaltedPasswordCache;
}

/** `nonce` is for tests (RFC test vectors); real use leaves it random. */
export function scramMechanism(hash: ScramHash, username: string, password: string, nonce = randomNonce(),
  options: ScramOptions = {}): ClientMechanism {
  const clientFirstBare = `n=${escapeSaslName(username)},r=${nonce}`;
  let expectedServerSignature: string | null = null;
  return {
    name: `SCRAM-${hash}`,
    initial: async () => GS2_HEADER + clientFirstBare,
    async challenge(serverFirst) {
      if (expectedServerSignature !== null) throw new Error('SCRAM: unexpected second challenge');
      const attributes = parseAttributes(serverFirst);
      const serverNonce = attributes.get('r');
      const salt = attributes.get('s');
      const iterations = Number(attributes.get('i'));
      if (attributes.has('m')) throw new Error('SCRAM: unsupported mandatory extension');
      if (!serverNonce?.startsWith(nonce) || serverNonce.length === nonce.length) throw new Error('SCRAM: bad server nonce');
      if (!salt) throw new Error('SCRAM: no salt');
      if (!Number.isInteger(iterations) || iterations < MIN_ITERATIONS || iterations > MAX_ITERATIONS) {
        throw new Error('SCRAM: unacceptable iteration count');
      }
      const saltedPassword = await salted(hash, password, salt, iterations, options.saltedPasswords);
      const clientKey = await hmac(hash, saltedPassword, utf8('Client Key'));
      const storedKey = await digest(hash, clientKey);
      const clientFinalWithoutProof = `c=${toBase64(utf8(GS2_HEADER))},r=${serverNonce}`;
      const authMessage = utf8(`${clientFirstBare},${serverFirst},${clientFinalWithoutProof}`);
      const clientSignature = await hmac(hash, storedKey, authMessage);
      const serverKey = await hmac(hash, saltedPassword, utf8('Server Key'));
      expectedServerSignature = toBase64(await hmac(hash, serverKey, authMessage));
      return `${clientFinalWithoutProof},p=${toBase64(xor(clientKey, clientSignature))}`;
    },
    async success(serverFinal) {
      // RFC 5802 §5: the client MUST verify the server signature: a server that knows it holds our keys.
      const attributes = parseAttributes(serverFinal);
      if (attributes.has('e')) throw new Error(`SCRAM: server error ${attributes.get('e')}`);
      if (expectedServerSignature === null || attributes.get('v') !== expectedServerSignature) {
        throw new Error('SCRAM: the server signature does not verify');
      }
    },
  };
}
