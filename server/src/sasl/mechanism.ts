// The contract between the XMPP SASL negotiation (RFC 6120 §6.4) and the
// individual mechanisms. The stream layer base64-decodes <auth/> and
// <response/> payloads (reporting 'incorrect-encoding' itself, §6.5.2) and
// hands mechanisms raw bytes.
import type { ScramCredential, ScramHash } from './credentials.ts';

export interface SaslAccountLookup {
  /** Stored SCRAM credential for a username (localpart, already saslprep'ed / lowercased by caller), or null if no such account. */
  getCredential(username: string, hash: ScramHash): Promise<ScramCredential | null>;
  /**
   * Optional: check a plaintext password elsewhere (the suite's core auth backend, auth/core-backend.ts);
   * used by the delegated PLAIN mechanism. Throws SaslError('temporary-auth-failure') when it cannot tell.
   */
  checkPassword?(username: string, password: string): Promise<boolean>;
}

export type SaslStep =
  /** send <challenge/> with base64(data) (RFC 6120 §6.4.3) */
  | { kind: 'challenge'; data: Buffer }
  /** send <success/>, with base64(data) as additional data if given (RFC 6120 §6.3.10) */
  | { kind: 'success'; username: string; authzid?: string; data?: Buffer };

export interface SaslMechanism {
  /** 'SCRAM-SHA-256', 'SCRAM-SHA-1', 'PLAIN' */
  readonly name: string;
  /** initial response (may be empty Buffer when the client sent '=' or nothing); throws SaslError on failure */
  start(initial: Buffer): Promise<SaslStep>;
  /** next <response/> from the client; throws SaslError */
  step(response: Buffer): Promise<SaslStep>;
}

export interface MechanismFactory {
  name: string;
  /** Offer only after TLS is negotiated (RFC 6120 §6.4.1, §13.8). */
  requiresEncryption: boolean;
  create(accounts: SaslAccountLookup): SaslMechanism;
}
