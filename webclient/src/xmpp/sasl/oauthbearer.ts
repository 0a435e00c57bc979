// SASL OAUTHBEARER (RFC 7628 §3.1): a bearer token from the host page (single sign-on).
import type { ClientMechanism } from '@parley/shared/sasl/mechanism';
import { escapeSaslName } from '@parley/shared/sasl/scram';

export function oauthBearerMechanism(authzid: string, token: string): ClientMechanism {
  return {
    name: 'OAUTHBEARER',
    initial: async () => `n,a=${escapeSaslName(authzid)},\u0001auth=Bearer ${token}\u0001\u0001`,
    // RFC 7628 §3.2.3: an error challenge (JSON status) is answered with a lone %x01; failure follows.
    challenge: async () => '\u0001',
    success: async () => {},
  };
}
