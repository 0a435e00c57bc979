// XEP-0045 occupants: one per nickname, with the real JIDs behind it (several sessions of one user
// may share a nickname, §7.2 multi-session), its role, its XEP-0421 occupant id, and the
// <x xmlns='muc#user'/> presence other occupants see (§7.2.3, §7.2.4, status codes §15.6.2).
import { createHmac } from 'node:crypto';
import { Element, NS, xml } from '@parley/shared';
import type { Affiliation, Role } from './affiliations.ts';

export const MUC = 'http://jabber.org/protocol/muc';
export const MUC_USER = 'http://jabber.org/protocol/muc#user';
export const MUC_ADMIN = 'http://jabber.org/protocol/muc#admin';
export const MUC_OWNER = 'http://jabber.org/protocol/muc#owner';
export const OCCUPANT_ID = 'urn:xmpp:occupant-id:0';

/** XEP-0045 §15.6.2 status codes this service sends. */
export const Status = {
  realJidVisible: '100', configChanged: '104', self: '110', loggingOn: '170', loggingOff: '171',
  nonAnonymous: '172', semiAnonymous: '173', created: '201', nickModified: '210', banned: '301',
  nickChanged: '303', kicked: '307', affiliationRemoved: '321', membersOnly: '322', shutdown: '332',
  technicalReason: '333',
} as const;

export class Occupant {
  /** Real full JID → the last presence that session sent to the room. */
  readonly sessions = new Map<string, Element>();
  /** XEP-0045 §7.2: per-occupant message rate (token bucket). */
  tokens: number;
  refilled = Date.now();
  /** When the occupant last asked for voice (§7.13; one request per options.voiceRequestInterval). */
  lastVoiceRequest = 0;

  constructor(
    public nick: string,
    /** nicknameKey(nick): what conflicts are decided on (RFC 8266 §2.4). */
    public key: string,
    readonly bare: string,
    public role: Role,
    readonly occupantId: string,
    burst: number,
  ) {
    this.tokens = burst;
  }

  /** The presence the occupant's newest session sent. */
  get presence(): Element | undefined {
    let last: Element | undefined;
    for (const presence of this.sessions.values()) last = presence;
    return last;
  }

  /** Token bucket: true if a message may go now. */
  take(burst: number, perSecond: number, now = Date.now()): boolean {
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilled) / 1000) * perSecond);
    this.refilled = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

/** XEP-0421 §4: stable per room and real bare JID, and revealing neither. */
export function occupantIdFor(roomSecret: string, bareJid: string): string {
  return createHmac('sha256', roomSecret).update(bareJid).digest('base64url').slice(0, 22);
}

export interface ItemDetails {
  affiliation: Affiliation;
  role: Role;
  /** The real JID, where the recipient may see it (§7.2.3 whois). */
  jid?: string;
  nick?: string;
  actor?: string;
  reason?: string;
}

export function itemElement(details: ItemDetails): Element {
  return xml('item', { affiliation: details.affiliation, role: details.role, jid: details.jid, nick: details.nick },
    details.actor ? xml('actor', { nick: details.actor }) : null,
    details.reason ? xml('reason', {}, details.reason) : null);
}

/** Presence children a client sent that are repeated to the room (not its own muc elements). */
export function forwardedPresenceChildren(presence: Element | undefined): Element[] {
  if (!presence) return [];
  const kept: Element[] = [];
  for (const node of presence.children) {
    if (typeof node === 'string') continue;
    const xmlns = node.attrs.xmlns;
    if (xmlns === MUC || xmlns === MUC_USER || xmlns === OCCUPANT_ID) continue;
    kept.push(node);
  }
  return kept;
}

/** The occupant's presence from the room (`from`: room@service/nick), without 'to'. */
export function occupantPresence(
  from: string, type: 'unavailable' | undefined, source: Element | undefined, item: ItemDetails,
  codes: readonly string[], occupantId: string, extra?: Element,
): Element {
  const presence = new Element('presence', { xmlns: NS.client, from, type });
  if (type === undefined) for (const node of forwardedPresenceChildren(source)) presence.children.push(node);
  const x = xml('x', { xmlns: MUC_USER }, itemElement(item), ...codes.map((code) => xml('status', { code })), extra);
  presence.children.push(x);
  presence.children.push(xml('occupant-id', { xmlns: OCCUPANT_ID, id: occupantId }));
  return presence;
}
