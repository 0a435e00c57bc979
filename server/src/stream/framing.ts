// How a stream is opened, closed and annotated on each transport.
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
  header(fields: StreamHeaderFields): string;
  footer(): string;
  /** Attributes that make a stream-namespaced element (features, error) self-contained. */
  readonly streamPrefixDeclaration: Record<string, string>;
  /** Each message the transport delivers is one whole element (RFC 7395 §3.3.3), checked as such. */
  readonly elementPerMessage?: boolean;
}

export const tcpFraming: Framing = {
  parserMode: 'stream',
  header: ({ id, from, to, lang }) =>
    `<?xml version='1.0'?><stream:stream xmlns='${NS.client}' xmlns:stream='${NS.stream}' id='${id}' from='${from}'${to ? ` to='${escapeQuote(to)}'` : ''} version='1.0' xml:lang='${escapeQuote(lang)}'>`,
  footer: () => '</stream:stream>',
  streamPrefixDeclaration: {},
};

export const websocketFraming: Framing = {
  parserMode: 'framed',
  header: ({ id, from, to, lang }) =>
    `<open xmlns='${NS.framing}' id='${id}' from='${from}'${to ? ` to='${escapeQuote(to)}'` : ''} version='1.0' xml:lang='${escapeQuote(lang)}'/>`,
  footer: () => `<close xmlns='${NS.framing}'/>`,
  streamPrefixDeclaration: { 'xmlns:stream': NS.stream },
  elementPerMessage: true,
};

export const boshFraming: Framing = {
  // BOSH parses request bodies itself (transport/bosh/); 'stream' keeps RFC 7395 <open/>/<close/>
  // inside a <body/> from being taken as stream tags by the session.
  parserMode: 'stream',
  header: () => '',
  footer: () => '',
  streamPrefixDeclaration: { 'xmlns:stream': NS.stream },
};

function escapeQuote(value: string): string {
  return value.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}
