// What modules negotiate inside a sign-in: features inline in a SASL2 <authenticate/> (XEP-0388
// §2.3) and in a Bind 2 <bind/> (XEP-0386 §3.2). Modules register through their ModuleContext
// (ctx.sasl2Inline, ctx.bind2Inline) in the stream extensions registry (core/stream-extensions.ts);
// the client stream's SASL2 negotiation (stream/sasl2/negotiation.ts) advertises them and runs
// them once the mechanism succeeded:
//
//   sasl2Inline  a child of <authenticate/>, run before Bind 2: XEP-0198 <resume/> belongs here.
//                What it returns goes into <success/> (<resumed/> or <failed/>); a feature that
//                resumes a session calls context.stream.resume(session), and Bind 2 is skipped.
//   bind2Inline  a child of <bind/>, run once the new resource is bound: XEP-0198 <enable/>,
//                XEP-0280 <enable/>, XEP-0352 <active/>/<inactive/>. What it returns goes into <bound/>.
//
// Everything the session is sent meanwhile (a resumption's unacknowledged stanzas, a module's
// stanza on resource-bind) goes out after <success/> and the stream features that follow it.
import type { Element, JID } from '@parley/shared';
import type { SessionHandle } from './origin.ts';
import type { StreamInfo } from './stream-info.ts';

/** What an inline feature returns: the element for <success/> or <bound/>, or none. */
export type InlineResult = Element | null | void | Promise<Element | null | void>;

/** The client's <user-agent/> (XEP-0388 §2.3): a stable id per installation, and names to show. */
export interface UserAgent {
  readonly id: string | null;
  readonly software: string | null;
  readonly device: string | null;
}

/** The stream once the mechanism succeeded, before <success/> is written. */
export interface SignInStream<Session = SessionHandle> extends StreamInfo {
  /** The authenticated account (bare JID). */
  readonly account: JID;
  /**
   * This stream carries that live session of the account from now on (XEP-0198 resumption inside
   * SASL2; the session's old stream, if still open, ends with <conflict/>). Its full JID becomes the
   * authorization identifier and Bind 2 is skipped (XEP-0386 §3.2). Throws when the session is not
   * a live one of this account.
   */
  resume(session: Session): void;
  /**
   * This stream carries, under `jid` (a full JID of the account), a session handed over by another
   * node of the cluster (XEP-0198 resumption inside SASL2 of a session waiting elsewhere); the new
   * local session, for the handed-over state. Bind 2 is skipped, as for resume().
   */
  resumeMoved(jid: JID): Session;
}

export interface Sasl2InlineContext<Session = SessionHandle> {
  readonly account: JID;
  readonly userAgent: UserAgent | null;
  readonly stream: SignInStream<Session>;
}

export interface Bind2InlineContext<Session = SessionHandle> extends Sasl2InlineContext<Session> {
  /** The session just bound. */
  readonly session: Session;
  readonly jid: JID;
}

export interface Sasl2InlineFeature<Session = SessionHandle> {
  /** The namespace of the <authenticate/> children it takes (and of what it advertises). */
  readonly xmlns: string;
  /** Its child of <authentication><inline/> (XEP-0388 §2.1), or null for none on this stream. */
  advertise(stream: StreamInfo): Element | null;
  /** Before the mechanism runs: throw SaslError to refuse a malformed request at once. Optional. */
  validate?(requests: Element[], stream: StreamInfo): void;
  /**
   * After the mechanism succeeded, before Bind 2; called only when the client sent children in
   * this namespace (`requests`, in document order). What it returns goes into <success/>.
   */
  negotiate(requests: Element[], context: Sasl2InlineContext<Session>): InlineResult;
}

export interface Bind2InlineFeature<Session = SessionHandle> {
  /** Advertised as <feature var=…/> in <bind><inline/> (XEP-0386 §3.1), e.g. 'urn:xmpp:sm:3'. */
  readonly var: string;
  /** The namespace of the <bind/> children it takes; default `var`. */
  readonly xmlns?: string;
  /** Whether to advertise it on this stream (default: yes; XEP-0198 is not offered over BOSH). */
  available?(stream: StreamInfo): boolean;
  /**
   * Once the resource is bound, before <success/> is written; called only when requested. What it
   * returns goes into <bound/> (XEP-0198's <enabled/> or <failed/>); nothing for features that
   * simply succeed (XEP-0280 carbons).
   */
  enable(requests: Element[], context: Bind2InlineContext<Session>): InlineResult;
}
