// What modules add to a client stream: <stream:features/> children (RFC 6120 §4.3.2) after
// authentication, and before it (XEP-0077 in-band registration); handlers for top-level non-stanza
// elements (stream management will register here); and the iqs a stream answers before
// authentication (XEP-0077 §3: registration happens before SASL).
import type { Element } from '@parley/shared';
import type { NonzaHandler } from './module-api.ts';
import type { SessionHandle } from './origin.ts';

/** The stream an iq before authentication came on. */
export interface UnauthenticatedStream {
  /** The served domain the stream was opened to. */
  readonly domain: string;
  readonly remoteAddress: string;
  readonly encrypted: boolean;
}

/** Returns the result payload (or nothing for an empty result), or throws a StanzaError. */
export type UnauthenticatedIqHandler = (stream: UnauthenticatedStream, iq: Element, payload: Element) =>
  Element | null | undefined | void | Promise<Element | null | undefined | void>;

/** Builds a pre-authentication feature for a stream to `domain`, or null when the domain does not offer it. */
export type UnauthenticatedFeature = (stream: UnauthenticatedStream) => Element | null;

export class StreamExtensions {
  private readonly features: Array<() => Element> = [];
  private readonly unauthenticatedFeatures: UnauthenticatedFeature[] = [];
  private readonly nonzas = new Map<string, { handler: NonzaHandler; owner: string }>();
  private readonly unauthenticatedIqs = new Map<string, { handler: UnauthenticatedIqHandler; owner: string }>();

  addFeature(build: () => Element): void {
    this.features.push(build);
  }

  /** The post-authentication feature children, built fresh for each stream. */
  buildFeatures(): Element[] {
    return this.features.map((build) => build());
  }

  addUnauthenticatedFeature(build: UnauthenticatedFeature): void {
    this.unauthenticatedFeatures.push(build);
  }

  /** The pre-authentication feature children a stream to this domain gets (after STARTTLS and SASL). */
  buildUnauthenticatedFeatures(stream: UnauthenticatedStream): Element[] {
    const built: Element[] = [];
    for (const build of this.unauthenticatedFeatures) {
      const feature = build(stream);
      if (feature) built.push(feature);
    }
    return built;
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

  /** An iq payload (by namespace) a stream answers before authentication; a second one throws. */
  addUnauthenticatedIq(xmlns: string, handler: UnauthenticatedIqHandler, owner: string): void {
    const existing = this.unauthenticatedIqs.get(xmlns);
    if (existing) throw new Error(`${owner}: iqs in ${xmlns} before authentication are already handled by ${existing.owner}`);
    this.unauthenticatedIqs.set(xmlns, { handler, owner });
  }

  /** The handler for an iq before authentication (its one payload's namespace), if a module took it. */
  unauthenticatedIq(iq: Element): { handler: UnauthenticatedIqHandler; payload: Element } | undefined {
    if (iq.name !== 'iq' || (iq.attrs.type !== 'get' && iq.attrs.type !== 'set')) return undefined;
    const payload = iq.children.find((child): child is Element => typeof child !== 'string');
    const entry = payload && this.unauthenticatedIqs.get(payload.attrs.xmlns ?? '');
    return entry ? { handler: entry.handler, payload: payload! } : undefined;
  }
}
