// The contract between the XMPP SASL negotiation (RFC 6120 §6.4) and the
// individual mechanisms. The stream layer base64-decodes <auth/> and
// <response/> payloads (reporting 'incorrect-encoding' itself, §6.5.2) and
// hands mechanisms raw bytes.
import type { ChannelBinding } from './channel-binding.ts';
import type { ScramCredential, ScramHash } from './credentials.ts';

export interface SaslAccountLookup {
  /** Stored SCRAM credential for a username (localpart, already saslprep'ed / lowercased by caller), or null if no such account. */
  getCredential(username: string, hash: ScramHash): Promise<ScramCredential | null>;
  /**
   * Optional: check a plaintext password elsewhere (the suite's core auth backend, auth/core-backend.ts);
   * used by the delegated PLAIN mechanism. Throws SaslError('temporary-auth-failure') when it cannot tell.
   */
  checkPassword?(username: string, password: string): Promise<boolean>;
  /**
   * Optional: verify a FAST token proof (XEP-0484) for a username, used by the HT-* mechanisms:
   * the responder hash to send back, or a SaslError (not-authorized, credentials-expired).
   */
  verifyHashedToken?(username: string, proof: HashedTokenProof): Promise<Buffer>;
}

/** What an HT-* mechanism (sasl/hashed-token.ts) asks the token store to check. */
export interface HashedTokenProof {
  mechanism: string;
  /** HMAC(token, "Initiator" || cb-data) */
  initiatorHash: Buffer;
  channelBindingData: Buffer;
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

/** What a mechanism may know of the connection it runs on. */
export interface MechanismContext {
  /** The connection's channel binding (TLS only), or null. */
  channelBinding: ChannelBinding | null;
  /**
   * A -PLUS mechanism was offered on this stream: a SCRAM client that says 'y' ("I could bind, but
   * you cannot") then faces a downgrade and must fail (RFC 5802 §6).
   */
  plusOffered: boolean;
}

export const NO_CHANNEL_BINDING: MechanismContext = { channelBinding: null, plusOffered: false };

export interface MechanismFactory {
  name: string;
  /** Offer only after TLS is negotiated (RFC 6120 §6.4.1, §13.8). */
  requiresEncryption: boolean;
  /** Offer only on a connection with channel binding data (the -PLUS variants, RFC 5802 §6). */
  requiresChannelBinding?: boolean;
  create(accounts: SaslAccountLookup, context?: MechanismContext): SaslMechanism;
}

/** Whether a mechanism can be offered on a connection (RFC 6120 §6.4.1, RFC 5802 §6). */
export function canOffer(factory: MechanismFactory, encrypted: boolean, channelBinding: ChannelBinding | null): boolean {
  if (factory.requiresEncryption && !encrypted) return false;
  return !factory.requiresChannelBinding || (channelBinding !== null && channelBinding.types.length > 0);
}
