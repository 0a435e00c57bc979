// What modules add to a client stream after authentication: <stream:features/> children (RFC 6120
// §4.3.2) and handlers for top-level non-stanza elements (stream management will register here).
import type { Element } from '@parley/shared';
import type { FeatureBuilder, NegotiationNonzaHandler, NegotiatingStream, NonzaHandler, StreamInfo } from './module-api.ts';
import type { SessionHandle } from './origin.ts';

export class StreamExtensions {
  private readonly features: FeatureBuilder[] = [];
  private readonly nonzas = new Map<string, { handler: NonzaHandler; owner: string }>();
  private readonly negotiationNonzas = new Map<string, { handler: NegotiationNonzaHandler; owner: string }>();

  addFeature(build: FeatureBuilder): void {
    this.features.push(build);
  }

  /** The post-authentication feature children for this stream, built fresh (a builder may offer nothing on it). */
  buildFeatures(stream: StreamInfo): Element[] {
    const built: Element[] = [];
    for (const build of this.features) {
      const feature = build(stream);
      if (feature) built.push(feature);
    }
    return built;
  }

  /** A nonza after authentication and before binding (XEP-0198 <resume/>). */
  addNegotiationNonza(xmlns: string, name: string, handler: NegotiationNonzaHandler, owner: string): void {
    const key = `${xmlns} ${name}`;
    const existing = this.negotiationNonzas.get(key);
    if (existing) throw new Error(`${owner}: <${name} xmlns='${xmlns}'/> before binding is already handled by ${existing.owner}`);
    this.negotiationNonzas.set(key, { handler, owner });
  }

  /** false when no module handles the element before binding. */
  handleNegotiationNonza(stream: NegotiatingStream, element: Element): boolean {
    const entry = this.negotiationNonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!entry) return false;
    entry.handler(stream, element);
    return true;
  }

  addNonza(xmlns: string, name: string, handler: NonzaHandler, owner: string): void {
    const key = `${xmlns} ${name}`;
    const existing = this.nonzas.get(key);
    if (existing) throw new Error(`${owner}: <${name} xmlns='${xmlns}'/> is already handled by ${existing.owner}`);
    this.nonzas.set(key, { handler, owner });
  }

  /** false when no module handles the element. */
  handleNonza(session: SessionHandle, element: Element): boolean {
    const entry = this.nonzas.get(`${element.attrs.xmlns} ${element.name}`);
    if (!entry) return false;
    entry.handler(session, element);
    return true;
  }
}
