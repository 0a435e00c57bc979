// SASL for XMPP client authentication (RFC 6120 §6).
import type { MechanismFactory } from './mechanism.ts';
import { plain } from './plain.ts';
import { scramSha1, scramSha256 } from './scram.ts';

export { SaslError, type SaslCondition } from './errors.ts';
export { saslPrep, prepareUsername } from './saslprep.ts';
export {
  deriveScramCredential,
  deriveAllCredentials,
  verifyPassword,
  type ScramCredential,
  type ScramHash,
} from './credentials.ts';
export type { SaslAccountLookup, SaslStep, SaslMechanism, MechanismFactory } from './mechanism.ts';
export { createScram, scramSha1, scramSha256, type ScramOptions } from './scram.ts';
export { createPlain, plain } from './plain.ts';
export { LoginThrottle, addressKey, type LoginThrottleOptions } from './throttle.ts';

/** Supported mechanisms in server preference order (strongest first, RFC 6120 §6.3.3). */
export const mechanisms: MechanismFactory[] = [scramSha256, scramSha1, plain];
