// How a stream is opened, closed and annotated on each transport, for a content namespace
// (jabber:client now; jabber:server and jabber:component:accept streams later).
// TCP (RFC 6120 §4): one long <stream:stream> document.
// WebSocket (RFC 7395 §3.3): each frame is a whole element; <open/> and <close/> replace the stream tags.
// BOSH (XEP-0124/0206): the stream opens and closes through <body/> attributes; nothing is written for the tags.
import { NS } from '@parley/shared';

export interface StreamHeaderFields {
  id: string;
  from: string;
  to?: string;
  lang: string;
}

export interface Framing {
  readonly parserMode: 'stream' | 'framed';
  /** The stream's default namespace: what stanzas must be in, and what an unqualified frame is read as. */
  readonly contentNamespace: string;
  header(fields: StreamHeaderFields): string;
  footer(): string;
  /** Attributes that make a stream-namespaced element (features, error) self-contained. */
  readonly streamPrefixDeclaration: Record<string, string>;
  /** Each message the transport delivers is one whole element (RFC 7395 §3.3.3), checked as such. */
  readonly elementPerMessage?: boolean;
}

export function tcpFraming(contentNamespace: string): Framing {
  return {
    parserMode: 'stream',
    contentNamespace,
    header: ({ id, from, to, lang }) =>
      `<?xml version='1.0'?><stream:stream xmlns='${contentNamespace}' xmlns:stream='${NS.stream}' id='${id}' from='${from}'${to ? ` to='${escapeQuote(to)}'` : ''} version='1.0' xml:lang='${escapeQuote(lang)}'>`,
    footer: () => '</stream:stream>',
    streamPrefixDeclaration: {},
  };
}

export function websocketFraming(contentNamespace: string): Framing {
  return {
    parserMode: 'framed',
    contentNamespace,
    header: ({ id, from, to, lang }) =>
      `<open xmlns='${NS.framing}' id='${id}' from='${from}'${to ? ` to='${escapeQuote(to)}'` : ''} version='1.0' xml:lang='${escapeQuote(lang)}'/>`,
    footer: () => `<close xmlns='${NS.framing}'/>`,
    streamPrefixDeclaration: { 'xmlns:stream': NS.stream },
    elementPerMessage: true,
  };
}

export function boshFraming(contentNamespace: string): Framing {
  return {
    // BOSH parses request bodies itself (transport/bosh/); 'stream' keeps RFC 7395 <open/>/<close/>
    // inside a <body/> from being taken as stream tags by the stream.
    parserMode: 'stream',
    contentNamespace,
    header: () => '',
    footer: () => '',
    streamPrefixDeclaration: { 'xmlns:stream': NS.stream },
  };
}

/** The client-to-server framings (RFC 6120 §4.8.2: jabber:client). */
export const c2sFraming = {
  tcp: tcpFraming(NS.client),
  websocket: websocketFraming(NS.client),
  bosh: boshFraming(NS.client),
} as const;

function escapeQuote(value: string): string {
  return value.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
