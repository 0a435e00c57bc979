// What modules add to a client stream, phase by phase, in one registry per server (modules
// register through their ModuleContext; stream/c2s-stream.ts, stream/stream-features.ts and the
// SASL2 negotiation read it):
//
//   before authentication  <stream:features/> children after STARTTLS and SASL (XEP-0077's
//                          <register/>), and the iqs a stream answers then (XEP-0077 §3:
//                          registration happens before SASL)
//   inside a sign-in       SASL2 inline features (XEP-0388 §2.3: XEP-0198 resumption) and Bind 2
//                          inline features (XEP-0386 §3.2: XEP-0198, XEP-0280, XEP-0352);
//                          their contracts are in core/sign-in-extensions.ts
//   authenticated, unbound nonzas before resource binding (XEP-0198 <resume/>)
//   after authentication   <stream:features/> children (RFC 6120 §4.3.2), and nonzas on a bound
//                          stream (XEP-0198 <r/>, <a/>; XEP-0352 <active/>)
//
// Every builder sees the stream as StreamInfo (transport, encryption, domain, address), whatever
// the phase. One handler per element or namespace: a second registration throws, naming the owner.
import type { Element } from '@parley/shared';
import type { FeatureBuilder, FeaturePhase, NegotiationNonzaHandler, NegotiatingStream, NonzaHandler, StreamInfo } from './stream-info.ts';
import type { SessionHandle } from './origin.ts';
import type { Bind2InlineFeature, Sasl2InlineFeature } from './sign-in-extensions.ts';

/** Answers an iq before authentication: the result payload (or nothing for an empty result), or throws a StanzaError. */
export type UnauthenticatedIqHandler = (stream: StreamInfo, iq: Element, payload: Element) =>
  Element | null | undefined | void | Promise<Element | null | undefined | void>;

interface Owned<T> {
  readonly handler: T;
  readonly owner: string;
}

/** `Session` is what the sign-in features get (a session handle; the SASL2 unit test uses its own). */
export class StreamExtensions<Session = SessionHandle> {
  private readonly features: Record<FeaturePhase, FeatureBuilder[]> = { unauthenticated: [], authenticated: [] };
  private readonly unauthenticatedIqs = new Map<string, Owned<UnauthenticatedIqHandler>>();
  private readonly sasl2 = new Map<string, Owned<Sasl2InlineFeature<Session>>>();
  private readonly bind2 = new Map<string, Owned<Bind2InlineFeature<Session>>>();
  private readonly negotiationNonzas = new Map<string, Owned<NegotiationNonzaHandler>>();
  private readonly nonzas = new Map<string, Owned<NonzaHandler>>();

  addFeature(build: FeatureBuilder, phase: FeaturePhase = 'authenticated'): void {
    this.features[phase].push(build);
  }

  /** The feature children of this phase for this stream, built fresh (a builder may offer nothing on it). */
  buildFeatures(stream: StreamInfo, phase: FeaturePhase = 'authenticated'): Element[] {
    const built: Element[] = [];
    for (const build of this.features[phase]) {
      const feature = build(stream);
      if (feature) built.push(feature);
    }
    return built;
  }

  /** An iq payload (by namespace) a stream answers before authentication. */
  addUnauthenticatedIq(xmlns: string, handler: UnauthenticatedIqHandler, owner: string): void {
    claim(this.unauthenticatedIqs, xmlns, handler, owner, `iqs in ${xmlns} before authentication`);
  }

  /** The handler for an iq get/set before authentication (its one payload's namespace), if a module took it. */
  unauthenticatedIq(iq: Element): { handler: UnauthenticatedIqHandler; payload: Element } | undefined {
    if (iq.name !== 'iq' || (iq.attrs.type !== 'get' && iq.attrs.type !== 'set')) return undefined;
    const payload = iq.children.find((child): child is Element => typeof child !== 'string');
    const entry = payload && this.unauthenticatedIqs.get(payload.attrs.xmlns ?? '');
    return entry ? { handler: entry.handler, payload: payload! } : undefined;
  }

  addSasl2Inline(feature: Sasl2InlineFeature<Session>, owner: string): void {
    claim(this.sasl2, feature.xmlns, feature, owner, `SASL2 inline ${feature.xmlns}`);
  }

  addBind2Inline(feature: Bind2InlineFeature<Session>, owner: string): void {
    const xmlns = feature.xmlns ?? feature.var;
    claim(this.bind2, xmlns, feature, owner, `Bind 2 inline ${xmlns}`);
  }

  /** In registration order, as they run. */
  sasl2Features(): Sasl2InlineFeature<Session>[] {
    return [...this.sasl2.values()].map((entry) => entry.handler);
  }

  sasl2Feature(xmlns: string): Sasl2InlineFeature<Session> | undefined {
    return this.sasl2.get(xmlns)?.handler;
  }

  bind2Features(): Bind2InlineFeature<Session>[] {
    return [...this.bind2.values()].map((entry) => entry.handler);
  }

  bind2Feature(xmlns: string): Bind2InlineFeature<Session> | undefined {
    return this.bind2.get(xmlns)?.handler;
  }

  /** A nonza after authentication and before binding (XEP-0198 <resume/>). */
  addNegotiationNonza(xmlns: string, name: string, handler: NegotiationNonzaHandler, owner: string): void {
    claim(this.negotiationNonzas, `${xmlns} ${name}`, handler, owner, `<${name} xmlns='${xmlns}'/> before binding`);
  }

  /** false when no module handles the element before binding. */
  handleNegotiationNonza(stream: NegotiatingStream, element: Element): boolean {
    const entry = this.negotiationNonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!entry) return false;
    entry.handler(stream, element);
    return true;
  }

  addNonza(xmlns: string, name: string, handler: NonzaHandler, owner: string): void {
    claim(this.nonzas, `${xmlns} ${name}`, handler, owner, `<${name} xmlns='${xmlns}'/>`);
  }

  /** false when no module handles the element. */
  handleNonza(session: SessionHandle, element: Element): boolean {
    const entry = this.nonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!entry) return false;
    entry.handler(session, element);
    return true;
  }
}

function claim<T>(registry: Map<string, Owned<T>>, key: string, handler: T, owner: string, what: string): void {
  const existing = registry.get(key);
  if (existing) throw new Error(`${owner}: ${what} is already handled by ${existing.owner}`);
  registry.set(key, { handler, owner });
}
