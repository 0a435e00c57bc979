// What a client stream offers (RFC 6120 §4.3.2): STARTTLS and SASL before authentication; resource
// binding, the optional legacy session and the modules' features after it.
import { NS, xml, type Element } from '@parley/shared';
import type { StreamExtensions, UnauthenticatedStream } from '../core/stream-extensions.ts';
import type { Framing } from './framing.ts';
import { SaslNegotiation, type SaslServices } from './sasl-negotiation.ts';

export interface NegotiationState {
  authenticated: boolean;
  /** STARTTLS is possible on this connection (raw TCP, not yet encrypted). */
  offerStartTls: boolean;
  /** RFC 6120 §5.3.1: TLS is mandatory before anything else. */
  mustStartTls: boolean;
  encrypted: boolean;
}

export function streamFeatures(framing: Framing, state: NegotiationState, sasl: SaslServices, extensions: StreamExtensions,
  stream: UnauthenticatedStream): Element {
  const features = xml('stream:features', framing.streamPrefixDeclaration);
  const add = (child: Element) => { child.parent = features; features.children.push(child); };
  if (!state.authenticated) {
    if (state.offerStartTls) add(xml('starttls', { xmlns: NS.tls }, state.mustStartTls ? xml('required') : null));
    if (!state.mustStartTls) {
      add(SaslNegotiation.featuresElement(sasl, state.encrypted));
      // XEP-0077 §4 and the modules' other pre-authentication features
      for (const feature of extensions.buildUnauthenticatedFeatures(stream)) add(feature);
    }
  } else {
    add(xml('bind', { xmlns: NS.bind }));
    // RFC 6121 Appendix E / RFC 3921 session establishment: still announced, optional.
    add(xml('session', { xmlns: NS.session }, xml('optional')));
    for (const feature of extensions.buildFeatures()) add(feature);
  }
  return features;
}

/**
 * RFC 3921 §3 session establishment, which older clients still send after binding: the feature is
 * announced as optional (RFC 6121 Appendix E), so the request is simply answered with a result.
 */
export function isSessionRequest(element: Element, streamDomain: string): boolean {
  const to = element.attrs.to;
  return element.name === 'iq' && element.attrs.type === 'set' && (to === undefined || to === streamDomain) &&
    element.getChild('session', NS.session) !== undefined;
}
