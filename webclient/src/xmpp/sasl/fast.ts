// XEP-0484 FAST with the Hashed Token mechanism HT-SHA-256-NONE (draft-schmaus-kitten-sasl-ht §3):
//   C: authcid NUL HMAC(token, "Initiator")      S (success data): HMAC(token, "Responder")
// The token never leaves the browser's key store as text: it becomes a non-extractable WebCrypto
// HMAC key as soon as the server gives it (lib/fast-store.ts keeps that key in IndexedDB).
import { utf8 } from '@parley/shared/sasl/encoding';
import type { BytesMechanism } from './sasl2.ts';

/** The only HT variant a browser can use: WebSocket and BOSH have no channel binding (TLS ends in the browser). */
export const FAST_MECHANISM = 'HT-SHA-256-NONE';

export interface FastCredential {
  mechanism: string;
  /** HMAC-SHA-256 key made from the token; not extractable. */
  key: CryptoKey;
  /** XEP-0082 DateTime from the server's <token expiry/>. */
  expiry: string;
}

/** Turn the token the server sent into a key that can sign but never be read back. */
export async function fastKey(token: string): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', utf8(token), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

async function sign(key: CryptoKey, label: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, utf8(label)));
}

export function hashedTokenMechanism(username: string, credential: FastCredential): BytesMechanism {
  return {
    name: credential.mechanism,
    async initial() {
      const name = utf8(`${username}\u0000`);
      const proof = await sign(credential.key, 'Initiator');
      const message = new Uint8Array(name.length + proof.length);
      message.set(name);
      message.set(proof, name.length);
      return message;
    },
    challenge: async () => { throw new Error(`${credential.mechanism} has no challenges`); },
    // The server proves it holds the token too (mutual authentication, draft §3).
    async success(data) {
      const expected = await sign(credential.key, 'Responder');
      if (data.length !== expected.length || data.some((byte, i) => byte !== expected[i])) {
        throw new Error('FAST: the server could not prove it knows the token');
      }
    },
  };
}
