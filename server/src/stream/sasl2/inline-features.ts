// The extension points of sign-in: features negotiated inside a SASL2 <authenticate/> (XEP-0388
// §2.3 "inline") and inside a Bind 2 <bind/> (XEP-0386 §3.2). Modules register here; the SASL2
// negotiation (negotiation.ts) advertises them and runs them after authentication succeeded.
//
//   registerSasl2Inline  a child of <authenticate/>, run before Bind 2: XEP-0198 <resume/> belongs here
//                        (its <resumed/> or <failed/> goes into <success/>; a resumption skips Bind 2).
//   registerBind2Inline  a child of <bind/>, run once the new resource is bound: XEP-0198 <enable/>,
//                        XEP-0280 <enable/>, XEP-0352 <active/>/<inactive/>; what it returns goes into <bound/>.
//
// `Stream` and `Session` are the stream and session types of the wiring (the client stream and its
// bound session), left open here so that this file depends on neither.
import type { Element, JID } from '@parley/shared';
import type { ChannelBinding } from '../../sasl/index.ts';
import type { UserAgent } from './user-agent.ts';

/** What the negotiation knows of the stream it runs on. */
export interface Sasl2Connection {
  /** The served domain the stream is for ('to'). */
  readonly domain: string;
  /** The bare JID the client named in the stream's 'from' (XEP-0388 §2.1), if any. */
  readonly from: string | undefined;
  readonly encrypted: boolean;
  readonly remoteAddress: string;
  readonly channelBinding: ChannelBinding | null;
}

export interface Sasl2InlineContext<Stream> {
  /** The authenticated account (bare JID). */
  readonly account: JID;
  /** The client's <user-agent/> (XEP-0388 §2.3), if it sent one. */
  readonly userAgent: UserAgent | null;
  readonly stream: Stream;
  readonly connection: Sasl2Connection;
}

/** What a SASL2 inline feature adds to the outcome. */
export interface Sasl2InlineResult<Session> {
  /** Children of <success/> (e.g. XEP-0198 <resumed/> or <failed/>). */
  elements?: Element[];
  /**
   * This feature put a session back on the stream (XEP-0198 resumption: the feature re-attaches it):
   * the stream carries that session from now on, its full JID becomes the authorization identifier
   * and Bind 2 is skipped (XEP-0386 §3.2, note).
   */
  resumed?: { session: Session; jid: JID };
}

export interface Sasl2InlineFeature<Stream, Session> {
  /** The namespace of the <authenticate/> children it takes (and of what it advertises). */
  readonly xmlns: string;
  /** Its advertisement inside <authentication><inline/>, or null for none on this stream. */
  advertise(connection: Sasl2Connection): Element | null;
  /**
   * Before the mechanism runs: throw SaslError to refuse a malformed request at once (nothing else
   * has happened yet). Optional.
   */
  validate?(requests: Element[], connection: Sasl2Connection): void;
  /**
   * After the authentication succeeded, before Bind 2 and before <success/> is written; called
   * only when the client sent children in this namespace (`requests`, in document order).
   */
  negotiate(requests: Element[], context: Sasl2InlineContext<Stream>): Promise<Sasl2InlineResult<Session> | void> | Sasl2InlineResult<Session> | void;
}

export interface Bind2InlineContext<Stream, Session> extends Sasl2InlineContext<Stream> {
  /** The session just bound (its full JID is session's). */
  readonly session: Session;
  readonly jid: JID;
}

export interface Bind2InlineFeature<Stream, Session> {
  /** The feature advertised as <feature var=…/> in <bind><inline/> (XEP-0386 §3.1), e.g. 'urn:xmpp:sm:3'. */
  readonly var: string;
  /** The namespace of the <bind/> children it takes; default `var`. */
  readonly xmlns?: string;
  /** Whether to advertise it on this stream (default: yes). */
  available?(connection: Sasl2Connection): boolean;
  /**
   * Once the resource is bound, before <success/> is written: enable the feature on the session.
   * What it returns goes into <bound/> (XEP-0198's <enabled/> or <failed/>); nothing for features
   * that must simply succeed (XEP-0280 carbons). Called only when requested.
   */
  enable(requests: Element[], context: Bind2InlineContext<Stream, Session>): Promise<Element | null | void> | Element | null | void;
}

/** The registry, one per server. Features run in registration order. */
export class SignInExtensions<Stream, Session> {
  private readonly sasl2 = new Map<string, { feature: Sasl2InlineFeature<Stream, Session>; owner: string }>();
  private readonly bind2 = new Map<string, { feature: Bind2InlineFeature<Stream, Session>; owner: string }>();

  /** A second feature for the same namespace throws. */
  registerSasl2Inline(feature: Sasl2InlineFeature<Stream, Session>, owner = 'core'): void {
    const existing = this.sasl2.get(feature.xmlns);
    if (existing) throw new Error(`${owner}: SASL2 inline ${feature.xmlns} is already handled by ${existing.owner}`);
    this.sasl2.set(feature.xmlns, { feature, owner });
  }

  /** A second feature for the same namespace throws. */
  registerBind2Inline(feature: Bind2InlineFeature<Stream, Session>, owner = 'core'): void {
    const xmlns = feature.xmlns ?? feature.var;
    const existing = this.bind2.get(xmlns);
    if (existing) throw new Error(`${owner}: Bind 2 inline ${xmlns} is already handled by ${existing.owner}`);
    this.bind2.set(xmlns, { feature, owner });
  }

  sasl2Features(): Iterable<Sasl2InlineFeature<Stream, Session>> {
    return [...this.sasl2.values()].map((entry) => entry.feature);
  }

  sasl2Feature(xmlns: string): Sasl2InlineFeature<Stream, Session> | undefined {
    return this.sasl2.get(xmlns)?.feature;
  }

  bind2Features(): Iterable<Bind2InlineFeature<Stream, Session>> {
    return [...this.bind2.values()].map((entry) => entry.feature);
  }

  bind2Feature(xmlns: string): Bind2InlineFeature<Stream, Session> | undefined {
    return this.bind2.get(xmlns)?.feature;
  }
}

/** Children of an element grouped by namespace, in document order (an inline feature may take several). */
export function childrenByNamespace(parent: Element): Map<string, Element[]> {
  const groups = new Map<string, Element[]>();
  for (const child of parent.children) {
    if (typeof child === 'string') continue;
    const xmlns = child.getNS() ?? '';
    let group = groups.get(xmlns);
    if (!group) groups.set(xmlns, group = []);
    group.push(child);
  }
  return groups;
}
