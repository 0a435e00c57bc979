// SASL PLAIN (RFC 4616): authzid NUL authcid NUL password. Only over an encrypted stream (RFC 6120 §13.8).
import type { ClientMechanism } from '@parley/shared/sasl/mechanism';
import { saslPrep } from '@parley/shared/sasl/saslprep';

export function plainMechanism(username: string, password: string): ClientMechanism {
  return {
    name: 'PLAIN',
    initial: async () => `\u0000${username}\u0000${saslPrep(password)}`,
    challenge: async () => { throw new Error('PLAIN has no challenges'); },
    success: async () => {},
  };
}
