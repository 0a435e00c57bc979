// The checks every XML stream makes on its peer's header (RFC 6120 §4.8.1), whatever it carries:
// client streams (jabber:client), component streams (XEP-0114, jabber:component:accept), and the
// server-to-server streams (jabber:server) alike.
import { NS, StreamError } from '@parley/shared';

/**
 * RFC 6120 §4.8.1: the root is <stream> in the streams namespace, and the default namespace is the
 * stream's content namespace. Returns the stream error to end the stream with, or null.
 */
export function checkStreamHeader(name: string, attrs: Record<string, string>, contentNamespace: string): StreamError | null {
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? '' : name.slice(0, colon);
  const streamNs = prefix ? attrs[`xmlns:${prefix}`] : attrs.xmlns;
  if (name.slice(prefix ? prefix.length + 1 : 0) !== 'stream' || streamNs !== NS.stream) {
    return new StreamError('invalid-namespace', 'expected <stream:stream/>');
  }
  if (prefix && attrs.xmlns !== contentNamespace) {
    return new StreamError('invalid-namespace', `default namespace must be ${contentNamespace}`);
  }
  return null;
}
