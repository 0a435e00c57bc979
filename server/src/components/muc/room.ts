// One XEP-0045 room: its stored state (configuration, subject, affiliations), its occupants and
// their sessions, its history, and how it sends: one stanza serialized once for all recipients,
// only 'to' differing (local sessions through the router's serialized delivery, remote ones routed).
//
// A room lives on one node at a time (the node that loaded it; in a cluster a room placement
// decides which, and the others forward through the router). Nothing here is module-level state.
import { Element, JID, escapeXML, serialize } from '@parley/shared';
import type { Routing } from '../../core/module-api.ts';
import type { ComponentOrigin } from '../../core/origin.ts';
import type { Logger } from '../../logger.ts';
import type { Archive } from '../../archive/index.ts';
import { defaultRole, type Affiliation, type Role } from './affiliations.ts';
import { RoomHistory } from './history.ts';
import { Occupant, occupantIdFor, occupantPresence, Status, type ItemDetails } from './occupants.ts';
import type { ConfigLimits, RoomConfig } from './room-config.ts';
import type { AffiliationRecord, RoomStore, StoredRoom } from './store.ts';
import type { MucOptions } from './options.ts';

export interface RoomServices {
  readonly router: Routing;
  readonly origin: ComponentOrigin;
  readonly log: Logger;
  readonly options: MucOptions;
  readonly limits: ConfigLimits;
  readonly store: RoomStore;
  readonly archive: Archive | null;
  /** Owners of every room (options.admins). */
  readonly serviceAdmins: ReadonlySet<string>;
  /** The key occupant ids are derived from (per service). */
  readonly secret: string;
  /** The room has no occupants left (the service forgets it; a temporary room is gone, §10.1.3). */
  emptied(room: Room): void;
}

export class Room {
  readonly jid: JID;
  config: RoomConfig;
  subject: { text: string; nick: string } | null;
  readonly created: number;
  readonly affiliations: Map<string, AffiliationRecord>;
  group: string | undefined;
  /** XEP-0486 avatar hash ('' for none). */
  avatarHash: string;
  /** Occupants by nicknameKey. */
  readonly occupants = new Map<string, Occupant>();
  /** Occupants by real full JID. */
  readonly bySession = new Map<string, Occupant>();
  /** Each session's ` to="…"` attribute, escaped once (the fan-out inserts it into every stanza). */
  private readonly addressing = new Map<string, string>();
  readonly history: RoomHistory;
  /** §10.1.1: a new room refuses entry until its owner configures it (or asks for an instant room). */
  locked = false;
  destroyed = false;
  private saving: Promise<void> = Promise.resolve();
  private readonly idSecret: string;

  constructor(jid: JID, stored: StoredRoom, readonly services: RoomServices) {
    this.jid = jid;
    this.config = stored.config;
    this.subject = stored.subject;
    this.created = stored.created;
    this.affiliations = new Map(Object.entries(stored.affiliations));
    this.group = stored.group;
    this.avatarHash = stored.avatarHash ?? '';
    this.history = new RoomHistory(Math.min(stored.config.historyLength, services.options.maxHistory));
    this.idSecret = `${services.secret}\0${jid.bare}`;
  }

  get log(): Logger {
    return this.services.log;
  }

  affiliationOf(bare: string): Affiliation {
    if (this.services.serviceAdmins.has(bare)) return 'owner';
    return this.affiliations.get(bare)?.affiliation ?? 'none';
  }

  /** Bare JIDs with this affiliation (service admins are owners without being listed). */
  withAffiliation(affiliation: Affiliation): string[] {
    const jids: string[] = [];
    for (const [jid, record] of this.affiliations) if (record.affiliation === affiliation) jids.push(jid);
    return jids.sort();
  }

  setAffiliation(bare: string, affiliation: Affiliation, reason?: string): void {
    const record = this.affiliations.get(bare);
    if (affiliation === 'none') {
      this.affiliations.delete(bare); // a registered nickname goes with the membership (§7.10)
      return;
    }
    this.affiliations.set(bare, { affiliation, nick: affiliation === 'outcast' ? undefined : record?.nick, reason });
  }

  /** §7.10 the user whose registered nickname this is. */
  nickOwner(key: string, keyOf: (nick: string) => string): string | undefined {
    for (const [jid, record] of this.affiliations) if (record.nick && keyOf(record.nick) === key) return jid;
    return undefined;
  }

  defaultRoleFor(affiliation: Affiliation): Role {
    return defaultRole(affiliation, this.config.moderated);
  }

  occupantId(bare: string): string {
    return occupantIdFor(this.idSecret, bare);
  }

  newOccupant(nick: string, key: string, bare: string, role: Role): Occupant {
    return new Occupant(nick, key, bare, role, this.occupantId(bare), this.services.options.messageBurst);
  }

  get occupantCount(): number {
    return this.occupants.size;
  }

  /** §7.2.3: whether `recipient` sees real JIDs. */
  seesRealJids(recipient: Occupant): boolean {
    return this.config.whois === 'anyone' || recipient.role === 'moderator';
  }

  occupantJid(nick: string): string {
    return `${this.jid.bare}/${nick}`;
  }

  /** The <item/> of an occupant for one recipient. */
  item(occupant: Occupant, withJid: boolean, session?: string, extra?: Partial<ItemDetails>): ItemDetails {
    return {
      affiliation: this.affiliationOf(occupant.bare), role: occupant.role,
      jid: withJid ? session ?? [...occupant.sessions.keys()].at(-1) : undefined, ...extra,
    };
  }

  // ---- sending ----

  /** Sends a stanza (without 'to') to one real JID. */
  sendTo(to: string, stanza: Element): void {
    this.sendSerialized(to, serialize(stanza), stanza);
  }

  /** `xml` is `stanza` serialized without 'to'; 'to' goes in right after the element name. */
  sendSerialized(to: string, xml: string, stanza: Element): void {
    const at = stanza.name.length + 1;
    const attribute = this.addressing.get(to) ?? ` to="${escapeXML(to)}"`;
    const addressed = xml.slice(0, at) + attribute + xml.slice(at);
    if (this.services.router.deliverSerialized(to, addressed)) return;
    const target = realJid(to);
    const copy = new Element(stanza.name, { ...stanza.attrs, to });
    copy.children = stanza.children;
    void this.services.router.route(copy, new JID(this.jid.local, this.jid.domain, ''), target, this.services.origin);
  }

  /** To every session of every occupant (optionally but one occupant), serialized once. */
  broadcast(stanza: Element, except?: Occupant): void {
    const xml = serialize(stanza);
    for (const occupant of this.occupants.values()) {
      if (occupant === except) continue;
      for (const session of occupant.sessions.keys()) this.sendSerialized(session, xml, stanza);
    }
  }

  /**
   * An occupant's presence to everyone in the room: the variant with the real JID to those who see
   * it (§7.2.3), without to the others, and the self-presence (status 110 and `selfCodes`) to its sessions.
   */
  broadcastPresence(occupant: Occupant, type: 'unavailable' | undefined, codes: readonly string[], selfCodes: readonly string[], extra?: Partial<ItemDetails>, payload?: Element): void {
    const from = this.occupantJid(occupant.nick);
    const source = occupant.presence;
    const withJid = occupantPresence(from, type, source, this.item(occupant, true, undefined, extra), codes, occupant.occupantId, payload);
    const withoutJid = occupantPresence(from, type, source, this.item(occupant, false, undefined, extra), codes, occupant.occupantId, payload);
    const withXml = serialize(withJid);
    const withoutXml = serialize(withoutJid);
    const broadcastRole = type === 'unavailable' || this.config.presenceBroadcast.includes(occupant.role);
    for (const other of this.occupants.values()) {
      if (other === occupant || !broadcastRole) continue;
      const sees = this.seesRealJids(other);
      for (const session of other.sessions.keys()) this.sendSerialized(session, sees ? withXml : withoutXml, sees ? withJid : withoutJid);
    }
    const self = occupantPresence(from, type, source, this.item(occupant, true, undefined, extra), [...codes, Status.self, ...selfCodes], occupant.occupantId, payload);
    const selfXml = serialize(self);
    for (const session of occupant.sessions.keys()) this.sendSerialized(session, selfXml, self);
  }

  // ---- occupants ----

  addSession(occupant: Occupant, session: string, presence: Element): void {
    occupant.sessions.set(session, presence);
    this.occupants.set(occupant.key, occupant);
    this.bySession.set(session, occupant);
    this.addressing.set(session, ` to="${escapeXML(session)}"`);
  }

  /** Removes every session of the occupant; the room may be empty afterwards. */
  removeOccupant(occupant: Occupant): void {
    for (const session of occupant.sessions.keys()) this.removeSession(session);
    occupant.sessions.clear();
    this.occupants.delete(occupant.key);
  }

  /** One session of an occupant is gone (the caller removes it from the occupant). */
  removeSession(session: string): void {
    this.bySession.delete(session);
    this.addressing.delete(session);
  }

  /** The occupant (and the room, if it is empty) goes: an unavailable presence with these codes to all. */
  expel(occupant: Occupant, codes: readonly string[], extra?: Partial<ItemDetails>): void {
    this.broadcastPresence(occupant, 'unavailable', codes, [], { ...extra, role: 'none' });
    this.removeOccupant(occupant);
    this.checkEmpty();
  }

  checkEmpty(): void {
    if (this.occupants.size === 0) this.services.emptied(this);
  }

  occupantsOf(bare: string): Occupant[] {
    return [...this.occupants.values()].filter((occupant) => occupant.bare === bare);
  }

  // ---- persistence ----

  stored(): StoredRoom {
    return {
      config: this.config, subject: this.subject, created: this.created,
      affiliations: Object.fromEntries(this.affiliations), ...(this.group ? { group: this.group } : {}),
      ...(this.avatarHash ? { avatarHash: this.avatarHash } : {}),
    };
  }

  /** Persistent rooms are written after every change, one write at a time, in order. */
  save(): Promise<void> {
    if (!this.config.persistent || this.destroyed) return this.saving;
    const snapshot = this.stored();
    this.saving = this.saving.then(() => this.services.store.put(this.jid.bare, snapshot))
      .catch((err: unknown) => this.log.error({ err, room: this.jid.bare }, 'storing a room failed'));
    return this.saving;
  }

  /** Resolves once every write asked for so far is done (a room loaded again reads what it wrote). */
  settled(): Promise<void> {
    return this.saving;
  }

  /** A room that stops being persistent, or is destroyed, leaves the store. */
  forget(): Promise<void> {
    this.saving = this.saving.then(() => this.services.store.delete(this.jid.bare))
      .catch((err: unknown) => this.log.error({ err, room: this.jid.bare }, 'removing a room failed'));
    return this.saving;
  }
}

/** A real JID the room sends to: it came from the router as a parsed JID, so it needs no checks again. */
function realJid(text: string): JID {
  const slash = text.indexOf('/');
  const bare = slash < 0 ? text : text.slice(0, slash);
  const at = bare.indexOf('@');
  return new JID(at < 0 ? '' : bare.slice(0, at), at < 0 ? bare : bare.slice(at + 1), slash < 0 ? '' : text.slice(slash + 1));
}
