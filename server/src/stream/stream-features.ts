// What a client stream offers (RFC 6120 §4.3.2): STARTTLS, SASL, SASL2 (XEP-0388 §2.1), the
// channel-binding types (XEP-0440) and the modules' features (XEP-0077) before authentication;
// resource binding, the optional legacy session and the modules' features after it.
import { NS, xml, type Element } from '@parley/shared';
import type { StreamExtensions } from '../core/stream-extensions.ts';
import type { SessionHandle } from '../core/origin.ts';
import type { Framing } from './framing.ts';
import { channelBindingFeature } from './channel-binding-feature.ts';
import { SaslNegotiation } from './sasl-negotiation.ts';
import { Sasl2Negotiation, type Sasl2Offer, type Sasl2Services } from './sasl2/negotiation.ts';

export interface NegotiationState extends Sasl2Offer {
  authenticated: boolean;
  /** A session is bound already (Bind 2, or one resumed inside SASL2): no resource binding to offer. */
  bound: boolean;
  /** STARTTLS is possible on this connection (raw TCP, not yet encrypted). */
  offerStartTls: boolean;
  /** RFC 6120 §5.3.1: TLS is mandatory before anything else. */
  mustStartTls: boolean;
  encrypted: boolean;
  /** 'tcp', 'websocket', 'bosh': modules offer some features on some transports only. */
  transport: string;
  /** The session bound (Bind 2, or resumed inside SASL2), if any. */
  session: SessionHandle | null;
}

export function streamFeatures(framing: Framing, state: NegotiationState, sasl: Sasl2Services<SessionHandle>, extensions: StreamExtensions): Element {
  const features = xml('stream:features', framing.streamPrefixDeclaration);
  const add = (child: Element | null) => {
    if (!child) return;
    child.parent = features;
    features.children.push(child);
  };
  if (!state.authenticated) {
    if (state.offerStartTls) add(xml('starttls', { xmlns: NS.tls }, state.mustStartTls ? xml('required') : null));
    if (!state.mustStartTls) {
      add(SaslNegotiation.featuresElement(sasl, state.encrypted, state.channelBinding));
      add(Sasl2Negotiation.advertise(sasl, state));
      add(channelBindingFeature(state.channelBinding));
      // XEP-0077 §4 and the modules' other pre-authentication features
      for (const feature of extensions.buildFeatures(state, 'unauthenticated')) add(feature);
    }
  } else {
    if (!state.bound) {
      add(xml('bind', { xmlns: NS.bind }));
      // RFC 6121 Appendix E / RFC 3921 session establishment: still announced, optional.
      add(xml('session', { xmlns: NS.session }, xml('optional')));
    }
    for (const feature of extensions.buildFeatures(state, 'authenticated')) add(feature);
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
