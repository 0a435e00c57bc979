// A raw BOSH client (XEP-0124/0206) over Node's fetch: it writes <body/> wrappers by hand so the
// tests can send what real clients never do (lost responses, rids out of order, bad XML).
import { parse, type Element } from 'ltx';
import { scramMechanism } from '@parley/shared/sasl/scram';
import { decodePayload, encodePayload } from '@parley/shared/sasl/encoding';
import type { TestServer } from './server.ts';

export const NS_HTTPBIND = 'http://jabber.org/protocol/httpbind';
export const NS_XBOSH = 'urn:xmpp:xbosh';

export interface BoshReply {
  status: number;
  headers: Headers;
  text: string;
  /** The parsed <body/> (undefined when the reply was not XML). */
  body: Element | undefined;
  attrs: Record<string, string>;
  /** Payload elements inside the body. */
  payloads: Element[];
}

/** A test server, or any Parley process whose ports are known. */
type ServerPorts = Pick<TestServer, 'ports'>;

export function boshUrl(server: ServerPorts): string {
  return `http://127.0.0.1:${server.ports.http}/http-bind`;
}

/** POST raw text to the endpoint. */
export async function postRaw(server: ServerPorts, text: string,
  init: { headers?: Record<string, string>; signal?: AbortSignal; url?: string } = {}): Promise<BoshReply> {
  const response = await fetch(init.url ?? boshUrl(server), {
    method: 'POST', body: text, headers: { 'Content-Type': 'text/xml; charset=utf-8', ...init.headers }, signal: init.signal,
  });
  const replyText = await response.text();
  let body: Element | undefined;
  try {
    body = replyText.startsWith('<') ? parse(replyText) as Element : undefined;
  } catch {
    body = undefined;
  }
  const payloads = body ? body.children.filter((node): node is Element => typeof node !== 'string') : [];
  return { status: response.status, headers: response.headers, text: replyText, body, attrs: (body?.attrs ?? {}) as Record<string, string>, payloads };
}

/** `<body attrs…>payload</body>` in the httpbind namespace (attribute values escaped). */
export function bodyXml(attrs: Record<string, string | number | undefined>, payload = ''): string {
  let out = `<body xmlns='${NS_HTTPBIND}' xmlns:xmpp='${NS_XBOSH}'`;
  for (const [name, value] of Object.entries(attrs)) {
    if (value !== undefined) out += ` ${name}='${String(value).replace(/&/g, '&amp;').replace(/'/g, '&apos;').replace(/</g, '&lt;')}'`;
  }
  return payload ? `${out}>${payload}</body>` : `${out}/>`;
}

export interface SessionOptions {
  wait?: number;
  hold?: number;
  to?: string;
  ack?: boolean;
  ver?: string | null;
  extra?: Record<string, string>;
}

let ridSeed = 1_000_000 + Math.floor(Math.random() * 1_000_000);

/** One BOSH session driven by hand: `rid` is the last rid used. */
export class BoshSession {
  rid: number;
  sid = '';
  jid = '';
  creation!: BoshReply;

  constructor(readonly server: ServerPorts) {
    ridSeed += 1000;
    this.rid = ridSeed;
  }

  static async open(server: ServerPorts, options: SessionOptions = {}): Promise<BoshSession> {
    const session = new BoshSession(server);
    session.creation = await postRaw(server, bodyXml({
      rid: session.rid, to: options.to ?? 'example.com', wait: options.wait ?? 10, hold: options.hold ?? 1,
      ver: options.ver === null ? undefined : (options.ver ?? '1.11'), 'xml:lang': 'en', 'xmpp:version': '1.0',
      ack: options.ack ? '1' : undefined, ...options.extra,
    }));
    session.sid = session.creation.attrs.sid ?? '';
    return session;
  }

  /** Send the next request (rid + 1 unless given) with these payloads and attributes. */
  send(payload = '', attrs: Record<string, string | number | undefined> = {}, init: { signal?: AbortSignal } = {}): Promise<BoshReply> {
    const rid = attrs.rid ?? ++this.rid;
    return postRaw(this.server, bodyXml({ rid, sid: this.sid, ...attrs }, payload), init);
  }

  /** Log in with SCRAM-SHA-256, restart (XEP-0206 §5) and bind; stanzas arriving meanwhile are kept out of the way. */
  async login(jid: string, password: string, resource = 'bosh'): Promise<string> {
    const [username] = jid.split('@') as [string];
    const scram = scramMechanism('SHA-256', username, password);
    const challenge = await this.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='SCRAM-SHA-256'>${encodePayload(await scram.initial())}</auth>`);
    const first = challenge.payloads.find((p) => p.name === 'challenge');
    if (!first) throw new Error(`no SASL challenge: ${challenge.text}`);
    const response = encodePayload(await scram.challenge(decodePayload(first.getText())));
    const success = await this.send(`<response xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>${response}</response>`);
    const ok = success.payloads.find((p) => p.name === 'success');
    if (!ok) throw new Error(`SASL failed: ${success.text}`);
    await scram.success(decodePayload(ok.getText()));
    const restarted = await this.send('', { to: 'example.com', 'xml:lang': 'en', 'xmpp:restart': 'true' });
    if (!restarted.payloads.some((p) => p.name === 'stream:features')) throw new Error(`no features after restart: ${restarted.text}`);
    const bound = await this.send(`<iq type='set' id='bind1' xmlns='jabber:client'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>${resource}</resource></bind></iq>`);
    const result = bound.payloads.find((p) => p.name === 'iq');
    this.jid = result?.getChild('bind')?.getChildText('jid') ?? '';
    if (!this.jid) throw new Error(`bind failed: ${bound.text}`);
    return this.jid;
  }
}

/** Resolves after `ms`. */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
