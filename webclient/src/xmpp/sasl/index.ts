// Choosing a SASL mechanism from what the server offers (RFC 6120 §6.3.3) and what the user gave.
import { AuthenticationError } from '../errors.ts';
import type { ClientMechanism } from '@parley/shared/sasl/mechanism';
import { scramMechanism, webCryptoAvailable, type ScramHash } from '@parley/shared/sasl/scram';
import { t } from '../../i18n/index.svelte.ts';
import { oauthBearerMechanism } from './oauthbearer.ts';
import { plainMechanism } from './plain.ts';
import type { FastCredential } from './fast.ts';

export type { ClientMechanism } from '@parley/shared/sasl/mechanism';
export { encodePayload, decodePayload } from '@parley/shared/sasl/encoding';

/** A password, a bearer token from the host page, or a FAST token kept by the browser (SASL2 only). */
export type Credentials = { password: string } | { token: string } | { fast: FastCredential };

/**
 * A token goes with OAUTHBEARER only; a password with SCRAM-SHA-256, then SCRAM-SHA-1, then PLAIN
 * when the stream is encrypted (RFC 6120 §13.8: no PLAIN in the clear).
 */
export function chooseMechanism(offered: string[], credentials: Credentials, account: { local: string; bare: string }, secure: boolean): ClientMechanism {
  if ('fast' in credentials) throw new AuthenticationError('fast-unsupported');
  if ('token' in credentials) {
    // Servers offer OAUTHBEARER only over encrypted streams, like PLAIN (a bearer token is a password).
    if (!offered.includes('OAUTHBEARER')) throw new AuthenticationError(secure ? 'token-unsupported' : 'token-needs-encryption');
    return oauthBearerMechanism(account.bare, credentials.token);
  }
  if (offered.includes('SCRAM-SHA-256')) return scram('SHA-256', account.local, credentials.password);
  if (offered.includes('SCRAM-SHA-1')) return scram('SHA-1', account.local, credentials.password);
  if (offered.includes('PLAIN')) {
    if (!secure) throw new AuthenticationError('encryption-required');
    return plainMechanism(account.local, credentials.password);
  }
  throw new AuthenticationError('no-mechanism');
}

/** SCRAM needs WebCrypto, which a browser gives to secure pages only: the user is told in their language. */
function scram(hash: ScramHash, username: string, password: string): ClientMechanism {
  if (!webCryptoAvailable()) throw new Error(t('error.https'));
  return scramMechanism(hash, username, password);
}
