// A XEP-0045 multi-user chat service on its own domain (conference.<domain>): a component on the
// router's host table. Stanzas to the service itself (disco, the room directory §6.3), to a room
// (room@service: messages, admin and owner iqs…) or to an occupant (room@service/nick: entering,
// nickname changes, private messages, XEP-0410 self-ping) are dispatched to the room they name,
// which is loaded from the store on first use and forgotten when its last occupant leaves.
import { randomBytes } from 'node:crypto';
import { Element, JID, NS, StanzaError, iqResult, tryParseJid, xml } from '@parley/shared';
import { reloadHistory } from './history-archive.ts';
import type { Component } from '../../core/hosts.ts';
import type { Routing } from '../../core/module-api.ts';
import type { ComponentOrigin, Origin } from '../../core/origin.ts';
import type { Logger } from '../../logger.ts';
import type { Archive } from '../../archive/index.ts';
import { defaultConfig, type ConfigLimits } from './room-config.ts';
import { MUC, MUC_ADMIN, MUC_OWNER, MUC_USER, OCCUPANT_ID, Status } from './occupants.ts';
import type { MucOptions } from './options.ts';
import { Room, type RoomServices } from './room.ts';
import { roomIq } from './room-iq.ts';
import { groupchat, invitations, privateMessage } from './room-messages.ts';
import { join, leave, occupantNick, update } from './room-presence.ts';
import { REGISTER } from './room-info.ts';
import { requestForm, voiceForm } from './room-voice.ts';
import type { RoomStore } from './store.ts';

export interface MucServiceOptions {
  readonly name: string;
  /** The account domain it serves (its users create rooms). */
  readonly domain: string;
  readonly router: Routing;
  readonly log: Logger;
  readonly options: MucOptions;
  readonly store: RoomStore;
  readonly archive: Archive | null;
  /** Whether a bare JID is a user of a domain served here (who may create rooms). */
  readonly isLocalUser: (bare: string) => boolean;
}

export class MucService implements Component {
  readonly kind = 'component';
  readonly name: string;
  /** In a cluster each room lives on one node (cluster/room-placement.ts). */
  readonly placement = 'one-node-per-local-part';
  /** Rooms with occupants on this node (a cluster places each room on one node). */
  private readonly rooms = new Map<string, Room>();
  private readonly loading = new Map<string, Promise<Room | undefined>>();
  /** Writes of rooms just forgotten: loading the room again waits for them. */
  private readonly writing = new Map<string, Promise<void>>();
  private readonly services: RoomServices;
  /** Stanzas for one room are handled in arrival order, also while it is loaded. */
  private readonly queues = new Map<string, Promise<void>>();

  constructor(private readonly settings: MucServiceOptions) {
    this.name = settings.name;
    const origin: ComponentOrigin = Object.freeze({ kind: 'component', domain: settings.name });
    const limits: ConfigLimits = {
      maxOccupants: settings.options.maxOccupants, maxHistory: settings.options.maxHistory,
      defaultHistory: Math.min(settings.options.defaultHistory, settings.options.maxHistory), logByDefault: settings.options.logByDefault,
    };
    this.services = {
      router: settings.router, origin, log: settings.log, options: settings.options, limits, store: settings.store,
      archive: settings.archive, serviceAdmins: new Set(settings.options.admins), secret: randomBytes(16).toString('hex'),
      emptied: (room) => this.emptied(room),
    };
  }

  /** Rooms with occupants on this node, and their occupants (the /metrics gauges, index.ts). */
  liveFigures(): { rooms: number; occupants: number } {
    let rooms = 0;
    let occupants = 0;
    for (const room of this.rooms.values()) {
      if (room.occupantCount === 0) continue;
      rooms++;
      occupants += room.occupantCount;
    }
    return { rooms, occupants };
  }

  receive(stanza: Element, from: JID, to: JID, origin: Origin): Promise<void> | void {
    if (to.local === '') return this.toService(stanza, origin);
    // one room's stanzas in order: a join waits for the room's load, later stanzas for the join
    const live = this.rooms.get(to.local);
    const pending = this.queues.get(to.local);
    if (live && !pending) return this.guard(this.toRoom(live, stanza, from, to, origin), stanza, origin);
    const previous = pending ?? Promise.resolve();
    const next = previous.then(() => this.dispatch(stanza, from, to, origin));
    const tail = next.finally(() => {
      if (this.queues.get(to.local) === tail) this.queues.delete(to.local);
    });
    this.queues.set(to.local, tail);
    return tail;
  }

  private async dispatch(stanza: Element, from: JID, to: JID, origin: Origin): Promise<void> {
    try {
      let room = this.rooms.get(to.local) ?? await this.load(to.local);
      if (!room) {
        if (stanza.name === 'presence' && stanza.attrs.type === undefined && to.resource !== '') room = await this.create(to.local, from, stanza);
        else throw new StanzaError('item-not-found', 'no such room');
      }
      await this.toRoom(room, stanza, from, to, origin);
    } catch (error) {
      this.answerError(stanza, error, origin);
    }
  }

  private guard(work: Promise<void> | void, stanza: Element, origin: Origin): Promise<void> | void {
    if (work instanceof Promise) return work.catch((error: unknown) => this.answerError(stanza, error, origin));
    return work;
  }

  private answerError(stanza: Element, error: unknown, origin: Origin): void {
    if (!(error instanceof StanzaError)) {
      this.settings.log.error({ err: error }, 'MUC stanza handling failed');
      error = new StanzaError('internal-server-error');
    }
    void this.settings.router.bounce(stanza, error as StanzaError, origin);
  }

  private load(name: string): Promise<Room | undefined> {
    let loading = this.loading.get(name);
    if (!loading) {
      const jid = new JID(name, this.name);
      const written = this.writing.get(name) ?? Promise.resolve();
      loading = written.then(() => this.settings.store.get(jid.bare)).then(async (stored) => {
        if (!stored) return undefined;
        const live = this.rooms.get(name);
        if (live) return live;
        const room = new Room(jid, stored, this.services);
        await reloadHistory(room);
        this.rooms.set(name, room);
        return room;
      }).finally(() => this.loading.delete(name));
      this.loading.set(name, loading);
    }
    return loading;
  }

  /** The room if it exists (loaded from the store when needed). */
  async existingRoom(name: string): Promise<Room | undefined> {
    return this.rooms.get(name) ?? this.load(name);
  }

  /** A room loaded for a change while nobody is in it is not kept in memory. */
  releaseIfEmpty(room: Room): void {
    if (room.occupantCount === 0) this.emptied(room);
  }

  /** A directory group's room: the existing one, or a new persistent, members-only, hidden room. */
  async roomForGroup(name: string, group: string): Promise<Room> {
    const existing = await this.existingRoom(name);
    if (existing) return existing;
    const config = { ...defaultConfig(this.services.limits), name: group, persistent: true, membersOnly: true, public: false };
    const room = new Room(new JID(name, this.name), { config, subject: null, created: Date.now(), affiliations: {}, group }, this.services);
    this.rooms.set(name, room);
    await room.save();
    return room;
  }

  /** §10.1.1 the first presence to a room that does not exist creates it, its sender the owner. */
  private async create(name: string, from: JID, presence: Element): Promise<Room> {
    const options = this.settings.options;
    const admin = this.services.serviceAdmins.has(from.bare);
    if (!admin) {
      if (options.roomCreation === 'admins' || !this.settings.isLocalUser(from.bare)) throw new StanzaError('not-allowed', 'you may not create rooms on this service');
      // the count read after every room write asked for before this presence (a room configured a
      // moment ago counts; on PostgreSQL the read could otherwise overtake the write on another connection)
      await this.writesSettled();
      if (await this.settings.store.ownedBy(from.bare) >= options.maxRoomsPerUser) {
        throw new StanzaError('resource-constraint', `a user owns at most ${options.maxRoomsPerUser} rooms`);
      }
    }
    const jid = new JID(name, this.name);
    const room = new Room(jid, { config: defaultConfig(this.services.limits), subject: null, created: Date.now(), affiliations: { [from.bare]: { affiliation: 'owner' } } }, this.services);
    // §10.1.1: a client that speaks MUC gets a locked room to configure; an old groupchat 1.0 client an instant room
    room.locked = presence.getChild('x', MUC) !== undefined;
    this.rooms.set(name, room);
    return room;
  }

  /** Resolves once the writes asked for so far, of the rooms in memory and of those just released, are done. */
  private async writesSettled(): Promise<void> {
    const writes: Array<Promise<void>> = [...this.writing.values()];
    for (const room of this.rooms.values()) writes.push(room.settled());
    await Promise.all(writes);
  }

  private emptied(room: Room): void {
    const name = room.jid.local;
    if (this.rooms.get(name) === room) this.rooms.delete(name);
    const written = room.settled();
    this.writing.set(name, written);
    void written.finally(() => {
      if (this.writing.get(name) === written) this.writing.delete(name);
    });
    if (!room.config.persistent && !room.destroyed) {
      room.destroyed = true;
      // a temporary room's vCard (XEP-0486) goes with it
      if (room.avatarHash) void this.settings.store.setVcard(room.jid.bare, null);
    }
  }

  private toRoom(room: Room, stanza: Element, from: JID, to: JID, origin: Origin): Promise<void> | void {
    try {
      if (stanza.name === 'presence') return this.presence(room, stanza, from, to);
      if (stanza.name === 'message') return this.message(room, stanza, from, to, origin);
      if (stanza.name === 'iq') return this.iq(room, stanza, from, to, origin);
    } catch (error) {
      this.answerError(stanza, error, origin);
    }
  }

  private presence(room: Room, stanza: Element, from: JID, to: JID): void {
    const type = stanza.attrs.type;
    const occupant = room.bySession.get(from.full);
    if (type === 'error') {
      // an occupant whose client bounces the room's stanzas is gone (status 333)
      if (occupant) leave(room, occupant, from.full, null, [Status.technicalReason]);
      return;
    }
    if (type === 'unavailable') {
      if (occupant) leave(room, occupant, from.full, stanza);
      else room.checkEmpty();
      return;
    }
    if (type !== undefined) return; // subscriptions and probes mean nothing to a room
    if (to.resource === '') throw new StanzaError('jid-malformed', 'a nickname is needed: room@service/nick');
    if (occupant) return update(room, occupant, stanza, from, to);
    const created = room.occupantCount === 0 && room.locked;
    try {
      join(room, stanza, from, to, created);
    } finally {
      // a room created for a join that failed does not stay, a stored one is not kept in memory
      this.releaseIfEmpty(room);
    }
  }

  private message(room: Room, stanza: Element, from: JID, to: JID, origin: Origin): void {
    const type = stanza.attrs.type;
    const occupant = room.bySession.get(from.full);
    if (type === 'error') {
      if (occupant && to.resource === '') leave(room, occupant, from.full, null, [Status.technicalReason]);
      return;
    }
    if (to.resource !== '') return privateMessage(room, stanza, from, to);
    if (type === 'groupchat') return groupchat(room, stanza, from, origin);
    const x = stanza.getChild('x', MUC_USER);
    if (x && invitations(room, x, from)) return;
    // §7.13, §8.6 voice requests and their approvals
    const form = requestForm(stanza);
    if (form) return voiceForm(room, form, from);
    throw new StanzaError('bad-request', 'messages to a room are of type groupchat, or invitations');
  }

  private iq(room: Room, stanza: Element, from: JID, to: JID, origin: Origin): Promise<void> | void {
    const type = stanza.attrs.type;
    if (to.resource !== '') return this.occupantIq(room, stanza, from, to, origin);
    if (type === 'result' || type === 'error') return;
    return roomIq(room, stanza, from).then((payload) => {
      if (payload !== 'handled') this.reply(iqResult(stanza, payload ?? null), origin);
    }, (error: unknown) => this.answerError(stanza, error, origin));
  }

  /** XEP-0410 §4 self-ping is answered by the room; other iqs to an occupant go to it (§7.5 iq routing). */
  private occupantIq(room: Room, stanza: Element, from: JID, to: JID, origin: Origin): void {
    const sender = room.bySession.get(from.full);
    const target = room.occupants.get(occupantNick(to.resource).key);
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') {
      // an answer from an occupant to an iq another occupant sent it: back to that occupant's session
      const asker = room.occupants.get(occupantNick(to.resource).key);
      if (sender && asker) {
        const reply = new Element('iq', { ...stanza.attrs, from: room.occupantJid(sender.nick), to: undefined });
        reply.children = stanza.children;
        room.sendTo([...asker.sessions.keys()].at(-1)!, reply);
      }
      return;
    }
    // XEP-0410 §3: a ping from someone not in the room is not-acceptable; other requests of a
    // non-occupant are bad requests (XEP-0045 §6.6 disco of occupants)
    if (!sender) {
      if (stanza.getChild('ping', NS.ping)) throw new StanzaError('not-acceptable', 'you are not an occupant of this room');
      throw new StanzaError('bad-request', 'only occupants may address occupants');
    }
    if (!target) throw new StanzaError('item-not-found', 'no such occupant');
    if (target === sender && stanza.getChild('ping', NS.ping)) {
      this.reply(iqResult(stanza, null), origin);
      return;
    }
    const forwarded = new Element('iq', { ...stanza.attrs, from: room.occupantJid(sender.nick), to: undefined });
    forwarded.children = stanza.children;
    room.sendTo([...target.sessions.keys()].at(-1)!, forwarded);
  }

  private reply(reply: Element, origin: Origin): void {
    reply.attrs.xmlns = NS.client;
    if (origin.kind === 'client' && reply.attrs.to === origin.jid.full) {
      origin.deliver(reply);
      return;
    }
    const to = tryParseJid(reply.attrs.to);
    if (to) void this.settings.router.route(reply, new JID('', this.name), to, this.services.origin);
  }

  // ---- the service itself ----

  private async toService(stanza: Element, origin: Origin): Promise<void> {
    if (stanza.name !== 'iq') {
      if (stanza.name === 'message' && stanza.attrs.type !== 'error') this.answerError(stanza, new StanzaError('service-unavailable'), origin);
      return;
    }
    const type = stanza.attrs.type;
    if (type === 'result' || type === 'error') return;
    const payload = stanza.children.find((node): node is Element => typeof node !== 'string');
    const xmlns = payload?.attrs.xmlns;
    try {
      if (type === 'get' && xmlns === NS.discoInfo && payload!.name === 'query') {
        if (payload!.attrs.node) throw new StanzaError('item-not-found');
        this.reply(iqResult(stanza, xml('query', { xmlns: NS.discoInfo },
          xml('identity', { category: 'conference', type: 'text', name: 'Chatrooms' }),
          ...[NS.discoInfo, NS.discoItems, MUC, MUC_USER, MUC_ADMIN, MUC_OWNER, OCCUPANT_ID, NS.stanzaIds, REGISTER, NS.ping, ...(this.settings.archive ? [NS.mam] : [])]
            .sort().map((feature) => xml('feature', { var: feature })))), origin);
        return;
      }
      if (type === 'get' && xmlns === NS.discoItems && payload!.name === 'query') {
        if (payload!.attrs.node) throw new StanzaError('item-not-found');
        this.reply(iqResult(stanza, xml('query', { xmlns: NS.discoItems }, ...(await this.directory()))), origin);
        return;
      }
      if (type === 'get' && xmlns === NS.ping) {
        this.reply(iqResult(stanza, null), origin);
        return;
      }
      throw new StanzaError('service-unavailable');
    } catch (error) {
      this.answerError(stanza, error, origin);
    }
  }

  /** §6.3 the room directory: public rooms, stored or live, with their names. */
  private async directory(): Promise<Element[]> {
    const rooms = new Map<string, { name: string; public: boolean }>();
    for (const { room, value } of await this.settings.store.list(this.name)) rooms.set(room, { name: value.config.name, public: value.config.public });
    for (const room of this.rooms.values()) {
      if (!room.locked && !room.destroyed) rooms.set(room.jid.bare, { name: room.config.name, public: room.config.public });
    }
    return [...rooms].filter(([, info]) => info.public).sort(([a], [b]) => a.localeCompare(b))
      .map(([jid, info]) => xml('item', { jid, name: info.name || jid.slice(0, jid.indexOf('@')) }));
  }

  /**
   * A user's session is gone without leaving (its node of the cluster was lost): it leaves the rooms
   * of this node as with unavailable presence (XEP-0045 §7.14), so the others see it go.
   */
  sessionGone(session: JID): void {
    for (const room of [...this.rooms.values()]) {
      for (const occupant of room.occupantsOf(session.bare)) {
        if (!occupant.sessions.has(session.full)) continue;
        const leaving = xml('presence', { xmlns: NS.client, type: 'unavailable', from: session.full, to: room.occupantJid(occupant.nick) });
        void this.receive(leaving, session, new JID(room.jid.local, this.name, occupant.nick), Object.freeze({ kind: 'server' as const }));
      }
    }
  }

  /** Ends every occupant's visit (the server stops: status 332). */
  shutdown(): void {
    for (const room of [...this.rooms.values()]) {
      for (const occupant of [...room.occupants.values()]) room.expel(occupant, [Status.shutdown]);
    }
  }

}
