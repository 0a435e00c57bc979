// Bind 2 (XEP-0386): its advertisement, and the resource it binds.
import { createHash, randomBytes } from 'node:crypto';
import { NS, normalizeResource, xml, type Element, type JID } from '@parley/shared';
import type { StreamInfo } from '../../core/module-api.ts';
import type { StreamExtensions } from '../../core/stream-extensions.ts';

/** A tag longer than this is left out of the resource (it is only a hint for people, §3.2.1). */
const MAX_TAG_LENGTH = 64;

/** XEP-0386 §3.1: <bind/> in the SASL2 inline features, listing what can be enabled with it. */
export function bind2Advertisement<Session>(extensions: StreamExtensions<Session>, stream: StreamInfo): Element {
  const features = extensions.bind2Features().filter((feature) => feature.available?.(stream) ?? true);
  return xml('bind', { xmlns: NS.bind2 },
    features.length > 0 ? xml('inline', null, ...features.map((feature) => xml('feature', { var: feature.var }))) : null);
}

/**
 * The resource for a Bind 2 request (XEP-0386 §3.2.1): "<tag>/<id>", the id stable for the same
 * account and client (user-agent id), so that a client's new session replaces its old one under the
 * RFC 6120 §7.7.2.2 conflict rule (§3.2: "SHOULD terminate any earlier sessions from the same
 * client"). The id is a hash: the user-agent id itself is never shown (§3.2.1).
 */
export function bind2Resource(tag: string | undefined, account: JID, clientId: string | null): string {
  const id = clientId === null
    ? randomBytes(9).toString('base64url')
    : createHash('sha256').update(`bind2\0${account.bare}\0${clientId}`).digest().subarray(0, 9).toString('base64url');
  const prefix = tag?.trim();
  if (!prefix || prefix.length > MAX_TAG_LENGTH) return id;
  try {
    return normalizeResource(`${prefix}/${id}`);
  } catch {
    return id;
  }
}
