// Session creation (XEP-0124 §7.1/§7.2, XEP-0206 §3/§4): what the client asks for, bounded by our
// configuration, and the attributes of the session creation response.
import type { Config } from '../../config.ts';
import { BOSH_VERSION, NS_XBOSH, attribute, xboshAttribute, type TerminalCondition } from './bosh-body.ts';

export type BoshConfig = Config['bosh'];

/** XEP-0124 §14.1: rids stay below 2^53 so that every client can count them exactly. */
const MAX_RID = Number.MAX_SAFE_INTEGER;
const INTEGER = /^[0-9]{1,16}$/;
/** A Content-Type a client may ask for with 'content' (§7.1); anything else is ignored. */
const CONTENT_TYPE = /^[A-Za-z0-9!#$&^_.+-]+\/[A-Za-z0-9!#$&^_.+-]+(\s*;\s*[A-Za-z0-9_-]+=[A-Za-z0-9_.-]+)*$/;
export const DEFAULT_CONTENT_TYPE = 'text/xml; charset=utf-8';

export interface SessionParameters {
  rid: number;
  /** Seconds a request may be held. */
  wait: number;
  /** Requests held at once; 0 for a polling session (§12). */
  hold: number;
  /** The rid window and the cap on simultaneous requests (§11, §14.2). */
  requests: number;
  inactivity: number;
  polling: number;
  /** 0 when pausing is off. */
  maxPause: number;
  /** The client asked for acknowledgements (§9). */
  acks: boolean;
  /** No 'ver': the client expects HTTP error codes (§17.1). */
  legacy: boolean;
  ver: string;
  contentType: string;
  /** 'xmpp:version' for the XMPP stream (XEP-0206 §3), '1.0' when absent. */
  xmppVersion: string;
  to: string | undefined;
  lang: string | undefined;
  /** The first key of the optional key sequence (§15). */
  newKey: string | undefined;
}

/** A non-negative integer attribute, `fallback` when absent, NaN when malformed. */
export function integerAttribute(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return INTEGER.test(value) ? Number(value) : Number.NaN;
}

export function parseRid(value: string | undefined): number {
  const rid = integerAttribute(value, Number.NaN);
  return rid > 0 && rid <= MAX_RID ? rid : Number.NaN;
}

/** Negotiate a new session from the creation request's attributes, or say which condition refuses it. */
export function negotiate(attrs: Record<string, string>, config: BoshConfig): SessionParameters | TerminalCondition {
  const rid = parseRid(attrs.rid);
  const requestedWait = integerAttribute(attrs.wait, config.maxWait);
  const requestedHold = integerAttribute(attrs.hold, 1);
  if (Number.isNaN(rid) || Number.isNaN(requestedWait) || Number.isNaN(requestedHold)) return 'bad-request';
  // §7.1: 'to' names the domain; a connection manager that serves only its own domains requires it.
  if (!attrs.to) return 'improper-addressing';
  const wait = Math.min(requestedWait, config.maxWait);
  // §7.2: hold never above what the client asked; §12: wait or hold 0 asks for a polling session.
  const hold = wait === 0 ? 0 : Math.min(requestedHold, config.maxHold, config.maxRequests - 1);
  // §7.2 recommends hold + 1 (at least 2: one held, one carrying data).
  const requests = Math.min(Math.max(hold + 1, 2), config.maxRequests);
  const polling = config.polling;
  // §12: a polling session gets a longer inactivity period than its polling interval.
  const inactivity = hold === 0 ? config.maxInactivity + polling : config.maxInactivity;
  const content = attrs.content;
  return {
    rid, wait, hold, requests, inactivity, polling,
    maxPause: config.maxPause,
    acks: attrs.ack === '1',
    legacy: attrs.ver === undefined,
    ver: lowerVersion(attrs.ver ?? BOSH_VERSION, BOSH_VERSION),
    contentType: content && CONTENT_TYPE.test(content) ? content : DEFAULT_CONTENT_TYPE,
    xmppVersion: xboshAttribute(attrs, 'version') ?? '1.0',
    to: attrs.to,
    lang: attrs['xml:lang'],
    newKey: attrs.newkey,
  };
}

/** The session creation response's attributes (§7.2, XEP-0206 §4), `from` being the served domain. */
export function creationAttributes(sid: string, params: SessionParameters, from: string, secure: boolean): string {
  let out = attribute('sid', sid) + attribute('wait', params.wait) + attribute('hold', params.hold) +
    attribute('requests', params.requests) + attribute('inactivity', params.inactivity) +
    attribute('polling', params.polling) + attribute('ver', params.ver) + attribute('from', from) +
    // XEP-0206: the XMPP stream version, and restartlogic: we do honour xmpp:restart
    ` xmlns:xmpp='${NS_XBOSH}'` + attribute('xmpp:version', '1.0') + attribute('xmpp:restartlogic', 'true');
  if (params.maxPause > 0) out += attribute('maxpause', params.maxPause);
  // §9.1: acknowledging requests, starting with the creation request's rid
  if (params.acks) out += attribute('ack', params.rid);
  if (secure) out += attribute('secure', 'true');
  return out;
}

/** §7.2: the highest version both sides support ("major.minor", each an integer). */
function lowerVersion(theirs: string, ours: string): string {
  const [a1 = 0, a2 = 0] = theirs.split('.').map((part) => Number.parseInt(part, 10) || 0);
  const [b1 = 0, b2 = 0] = ours.split('.').map(Number);
  return a1 < b1 || (a1 === b1 && a2 < b2) ? `${a1}.${a2}` : ours;
}
