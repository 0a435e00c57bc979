// What modules see of a client stream and how they hook into it, phase by phase: the contracts
// shared by the module API (module-api.ts), the stream extensions registry (stream-extensions.ts)
// and the sign-in features (sign-in-extensions.ts); stream/c2s-stream.ts implements them.
import type { Element, JID } from '@parley/shared';
import type { SessionHandle } from './origin.ts';

/** A top-level non-stanza element on a bound stream (stream management's <enable/>, <r/>, <a/>…). */
export type NonzaHandler = (session: SessionHandle, element: Element) => void;

/**
 * What a module sees of a client stream, in every phase of it (core/stream-extensions.ts): its
 * stream features, its iqs before authentication, its SASL2 and Bind 2 inline features.
 */
export interface StreamInfo {
  /** 'tcp', 'websocket', 'bosh' */
  readonly transport: string;
  readonly encrypted: boolean;
  /** The served domain the stream was opened to ('to'). */
  readonly domain: string;
  readonly remoteAddress: string;
  /**
   * The session the stream carries once one is bound (Bind 2, or resumed inside SASL2), for the
   * features that are not offered again for what it has enabled already.
   */
  readonly session?: SessionHandle | null;
}

/**
 * Builds a <stream:features/> child for a stream; null: not offered on it (XEP-0198 is not offered
 * over BOSH, XEP-0077's <register/> only where registration is open).
 */
export type FeatureBuilder = (stream: StreamInfo) => Element | null;

/** Which <stream:features/> a feature goes into: before authentication (after STARTTLS and SASL) or after it. */
export type FeaturePhase = 'unauthenticated' | 'authenticated';

/** An authenticated client stream before resource binding (stream/c2s-stream.ts implements it). */
export interface NegotiatingStream extends StreamInfo {
  /** The authenticated account (bare JID). */
  readonly account: JID;
  /** Write a nonza (through the held output, like anything the stream writes: stream/output-gate.ts). */
  sendNonza(nonza: Element): void;
  /**
   * XEP-0198 §5: take over this live session of this node (same account) instead of binding a new
   * one; the session's old stream, if still open, ends. The stream is bound from then on.
   */
  resume(session: SessionHandle): void;
  /**
   * XEP-0198 §5 across nodes: bind this account's full JID, whose session another node of the
   * cluster handed over, for the state it carried to be put on the new session.
   */
  resumeMoved(jid: JID): SessionHandle;
}

/** A nonza after authentication and before binding (XEP-0198 <resume/>). */
export type NegotiationNonzaHandler = (stream: NegotiatingStream, element: Element) => void;
