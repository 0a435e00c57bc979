// XEP-0440: the channel-binding types the server can bind this connection to, announced as a
// stream feature beside the SASL mechanisms (RFC 6120 and SASL2 alike) so that a client picks a
// type both sides have, and can tell a -PLUS downgrade from a server without binding.
import { NS, xml, type Element } from '@parley/shared';
import type { ChannelBinding } from '../sasl/index.ts';

export function channelBindingFeature(binding: ChannelBinding | null): Element | null {
  if (!binding || binding.types.length === 0) return null;
  return xml('sasl-channel-binding', { xmlns: NS.saslChannelBinding },
    ...binding.types.map((type) => xml('channel-binding', { type })));
}
