// SASLprep (RFC 4013), the stringprep profile used for SCRAM (RFC 5802 §5.1)
// and PLAIN (RFC 4616 §2) user names and passwords.
import saslprepLib from '@mongodb-js/saslprep';
import { SaslError } from './errors.ts';

/**
 * Prepare a string per RFC 4013 §2 (mapping, NFKC, prohibited output,
 * bidi checks). Unassigned code points are rejected, as required for
 * "stored strings" (RFC 3454 §7) such as passwords we derive verifiers from.
 * Throws SaslError('malformed-request') when the string cannot be prepared.
 */
export function saslPrep(s: string): string {
  try {
    return saslprepLib(s);
  } catch (err) {
    throw new SaslError('malformed-request', `SASLprep failed: ${(err as Error).message}`);
  }
}

/**
 * Normalise an authentication identity into the account key handed to
 * SaslAccountLookup: SASLprep, then lower-case (XMPP localparts are
 * case-insensitive, RFC 7622 §3.2). Empty results are malformed.
 */
export function prepareUsername(s: string): string {
  const prepared = saslPrep(s).toLowerCase();
  if (prepared.length === 0) throw new SaslError('malformed-request', 'empty username');
  return prepared;
}
