// The XEP-0124 §6 <body/> wrapper: reading a request body, writing response bodies.
// Responses are built by string concatenation around payloads the session already serialized.
import { NS, type Element } from '@parley/shared';
import { StreamParser } from '@parley/shared';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
/** XEP-0206 attributes (xmpp:version, xmpp:restart, xmpp:restartlogic). */
export const NS_XBOSH = 'urn:xmpp:xbosh';
/** Highest BOSH version we speak (XEP-0124 §7.1 'ver'). */
export const BOSH_VERSION = '1.11';

/** XEP-0124 §17.2 terminal binding conditions (those we send). */
export type TerminalCondition =
  | 'bad-request' | 'host-unknown' | 'improper-addressing' | 'internal-server-error' | 'item-not-found'
  | 'other-request' | 'policy-violation' | 'remote-stream-error' | 'system-shutdown' | 'undefined-condition';

export interface BoshRequest {
  /** The <body/> attributes as written (prefixed ones under their prefix). */
  attrs: Record<string, string>;
  /** Child elements, detached from the body, to hand to the session in order. */
  payloads: Element[];
}

/** A body that could not be read: not well-formed, too large, or not a <body/> of httpbind. */
export class BodyError extends Error {
  constructor(readonly condition: 'bad-request' | 'policy-violation', message: string) {
    super(message);
  }
}

/**
 * Reads one request body with the strict stream parser (RFC 6120 §11 restrictions apply to BOSH
 * too: no comments, PIs, DTDs, XEP-0124 §6). One reader is shared: parsing is synchronous.
 */
export class BodyReader {
  private parsed: Element | null = null;
  private elements = 0;
  private failure: BodyError | null = null;
  private readonly parser: StreamParser;

  constructor(maxBodySize: number) {
    this.parser = new StreamParser({
      onStreamStart: () => {},
      onStreamEnd: () => {},
      onElement: (element) => {
        this.elements++;
        this.parsed = element;
      },
      onError: (condition, text) => {
        this.failure = new BodyError(condition === 'policy-violation' ? 'policy-violation' : 'bad-request', text);
      },
    }, { mode: 'framed', maxElementSize: maxBodySize });
  }

  read(text: string): BoshRequest {
    this.parsed = null;
    this.elements = 0;
    this.failure = null;
    this.parser.reset();
    this.parser.write(text);
    const body = this.parsed as Element | null;
    const failure = this.failure as BodyError | null;
    // an unfinished element leaves the parser mid-document: reset drops it
    this.parser.reset();
    if (failure) throw failure;
    if (!body || this.elements !== 1) throw new BodyError('bad-request', 'the request must hold exactly one <body/>');
    if (body.name !== 'body' || body.attrs.xmlns !== NS_HTTPBIND) throw new BodyError('bad-request', `expected <body xmlns='${NS_HTTPBIND}'/>`);
    const payloads: Element[] = [];
    for (const node of body.children) {
      if (typeof node === 'string') {
        // §6: the wrapper holds no character data (whitespace between payloads is tolerated)
        if (node.trim() !== '') throw new BodyError('bad-request', 'character data in <body/>');
        continue;
      }
      adoptPayload(body, node);
      payloads.push(node);
    }
    return { attrs: body.attrs as Record<string, string>, payloads };
  }
}

/**
 * Make a payload self-contained: XEP-0206 §2 notes that clients leave stanzas unqualified (or in
 * the httpbind namespace), meaning jabber:client; a prefix declared on the body moves down.
 */
function adoptPayload(body: Element, payload: Element): void {
  payload.parent = null as unknown as Element;
  const ns = payload.attrs.xmlns;
  if (ns === undefined || ns === NS_HTTPBIND) payload.attrs.xmlns = NS.client;
  const colon = payload.name.indexOf(':');
  if (colon !== -1) {
    const key = `xmlns:${payload.name.slice(0, colon)}`;
    if (payload.attrs[key] === undefined && body.attrs[key] !== undefined) payload.attrs[key] = body.attrs[key];
  }
}

/** An attribute of the XEP-0206 namespace, whatever prefix the client bound to it. */
export function xboshAttribute(attrs: Record<string, string>, local: string): string | undefined {
  if (attrs['xmlns:xmpp'] === NS_XBOSH) return attrs[`xmpp:${local}`];
  for (const key in attrs) {
    if (key.startsWith('xmlns:') && attrs[key] === NS_XBOSH) return attrs[`${key.slice(6)}:${local}`];
  }
  return undefined;
}

/** The sid named by a body we could not parse, so that its session can be terminated (XEP-0124 §17.2). */
export function sidHint(text: string): string | undefined {
  const start = text.slice(0, 2048);
  const end = start.indexOf('>');
  return /\ssid\s*=\s*["']([A-Za-z0-9_-]{1,64})["']/.exec(end === -1 ? start : start.slice(0, end))?.[1];
}

// Every response body declares the stream prefix: XEP-0206 §2 requires it around <stream:features/>,
// and it costs less to always write it than to look for one.
const OPEN = `<body xmlns='${NS_HTTPBIND}' xmlns:stream='${NS.stream}'`;
const EMPTY = `${OPEN}/>`;

/** A response body: `attributes` is '' or pre-rendered ` name='value'` pairs; `payload` is serialized XML. */
export function responseBody(attributes: string, payload: string): string {
  if (payload === '') return attributes === '' ? EMPTY : `${OPEN}${attributes}/>`;
  return `${OPEN}${attributes}>${payload}</body>`;
}

/** ` name='value'` with the value escaped for a single-quoted attribute. */
export function attribute(name: string, value: string | number): string {
  const text = String(value);
  return ` ${name}='${/[&<>'"]/.test(text) ? text.replace(/[&<>'"]/g, (c) => `&#${c.charCodeAt(0)};`) : text}'`;
}

/** XEP-0124 §17.2: `<body type='terminate' condition='…'/>`, with payloads for remote-stream-error. */
export function terminateBody(condition?: TerminalCondition, payload = ''): string {
  return responseBody(` type='terminate'${condition ? ` condition='${condition}'` : ''}`, payload);
}

/**
 * XEP-0124 §17.1: a legacy client (no 'ver' in its session request) gets the deprecated HTTP
 * codes for these three conditions instead of a terminal binding condition.
 */
export const LEGACY_HTTP_STATUS: Partial<Record<TerminalCondition, string>> = {
  'bad-request': '400 Bad Request',
  'policy-violation': '403 Forbidden',
  'item-not-found': '404 Not Found',
};
