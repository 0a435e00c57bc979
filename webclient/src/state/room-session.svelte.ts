// The panel's group chat: rooms entered from the XEP-0402 bookmarks at sign-in (and again after a
// reconnection), created, entered by address, left; messages, history and search from the room's
// archive (XEP-0313 at the room's JID); invitations; moderation. The state is in rooms.svelte.ts.
import { StanzaError, type Bookmark } from '@parley/shared';
import type { XmppClient } from '../xmpp/client.ts';
import type { ChatMessage } from '../xmpp/chat.ts';
import type { ArchivePage, ArchiveService, ArchiveSource, SearchOptions } from '../xmpp/archive.ts';
import { BookmarkService } from '../xmpp/bookmarks.ts';
import { EntrySuperseded, RoomService } from '../xmpp/muc.ts';
import { roomAddress, type Invitation, type RoomSettings, type VoiceRequest } from '../xmpp/muc-stanzas.ts';
import type { HistoryPage } from './conversations.svelte.ts';
import { Rooms, enterProblem, privateChatOf, type Occupant, type Room } from './rooms.svelte.ts';
import { reactionSender } from './conversations.svelte.ts';
import { t } from '../i18n/index.svelte.ts';
import { catchUpFromArchive, newestArchived, type ArchivedMessage } from './catch-up.ts';

export interface RoomSessionHooks {
  /** The chat pane shows this room and the page is visible. */
  isViewing: (room: string) => boolean;
  /** A message that names us arrived in a room not on screen (desktop notification, sound). */
  mentioned: (room: Room, message: ChatMessage) => void;
  /** The nickname to use in a room we enter for the first time. */
  defaultNick: () => string;
  /** A private message (§7.5) arrived for a conversation not on screen. */
  privateMessage: (room: Room | undefined, message: ChatMessage) => void;
}

/** Tries with another nickname when ours is taken in a room entered on its own (bookmarks). */
const NICK_ATTEMPTS = 3;

export class RoomSession {
  readonly state = new Rooms();
  /** The room shown in the chat pane. */
  active = $state<string | null>(null);
  private readonly service: RoomService;
  private readonly bookmarks: BookmarkService;
  private readonly historyLoads = new Map<string, Promise<boolean>>();

  constructor(private readonly client: XmppClient, private readonly archive: ArchiveService, private readonly hooks: RoomSessionHooks) {
    this.service = new RoomService(client);
    this.bookmarks = new BookmarkService(client);
    this.wire();
  }

  private wire(): void {
    const { service, state } = this;
    service.on('occupant', (presence, self) => state.applyPresence(presence, self));
    service.on('subject', (room, subject, nick) => state.setSubject(room, subject, nick));
    service.on('message', (message) => {
      const room = state.byJid[message.peer];
      if (!room) return;
      const read = message.direction === 'out' || message.delayed || this.hooks.isViewing(message.peer);
      if (message.direction === 'out' && !message.action) state.conversations.setDelivery(message.peer, message.id, 'delivered');
      if (!state.addMessage(message, read) || read || !message.mentionsMe) return;
      this.hooks.mentioned(room, message);
    });
    service.on('refused', (room, id, condition) => state.conversations.setDelivery(room, id, 'failed', condition));
    // §7.5: a private message opens its conversation (in the Rooms list) and tells the user when not on screen
    service.on('private', (message) => {
      this.openPrivate(message.peer);
      const read = this.hooks.isViewing(message.peer);
      if (!state.conversations.add(message, read) || read || message.delayed) return;
      this.hooks.privateMessage(state.byJid[privateChatOf(message.peer)!.room], message);
    });
    service.on('invitation', (invitation) => state.addInvitation(invitation));
    service.on('voiceRequest', (request) => state.addVoiceRequest(request));
    // XEP-0402 §3.4: a bookmark added or removed on another device of ours shows here at once
    this.bookmarks.on('saved', (bookmark) => this.bookmarkSaved(bookmark));
    this.bookmarks.on('removed', (room) => this.bookmarkRemoved(room));
    this.client.on('status', (status) => {
      if (status !== 'online') state.disconnected();
    });
  }

  /** Signed in: the bookmarks' rooms (entering those with autojoin); after a reconnection, the rooms we were in. */
  async sessionStarted(reconnected: boolean): Promise<void> {
    if (!reconnected) {
      const bookmarks = await this.bookmarks.list().catch(() => [] as Bookmark[]);
      for (const bookmark of bookmarks) {
        const room = this.state.add(bookmark.jid, bookmark.nick || this.hooks.defaultNick(), bookmark.name);
        room.autojoin = bookmark.autojoin;
        room.password = bookmark.password;
        if (bookmark.autojoin) room.status = 'entering';
      }
    }
    // A new session is in no room: where each room's conversation catches up from once entered
    // again, taken before the rooms send anything (their history on entering is newer than the gap).
    const caughtUpTo = newestArchived(this.state.conversations);
    const rooms = Object.values(this.state.byJid).filter((room) => room.status === 'entering');
    await Promise.allSettled(rooms.map((room) => this.enterKnown(room.jid, NICK_ATTEMPTS, caughtUpTo.get(room.jid))));
  }

  private bookmarkSaved(bookmark: Bookmark): void {
    const known = this.state.byJid[bookmark.jid];
    const room = this.state.add(bookmark.jid, known?.nick ?? (bookmark.nick || this.hooks.defaultNick()), bookmark.name);
    const wasKept = room.autojoin;
    room.autojoin = bookmark.autojoin;
    room.password = bookmark.password ?? room.password;
    // autojoin: enter a room we are not in (a new bookmark, or one that now asks for it)
    if (bookmark.autojoin && (!known || (!wasKept && room.status === 'out')) && this.client.online) void this.enterKnown(bookmark.jid, NICK_ATTEMPTS);
  }

  /** Removed on another device: the room leaves the list (and we leave the room), as leaving it here would. */
  private bookmarkRemoved(jid: string): void {
    if (!this.state.has(jid)) return;
    this.service.leave(jid);
    this.state.remove(jid);
    if (this.active === jid || (this.active && privateChatOf(this.active)?.room === jid)) this.active = null;
  }

  /** Enter a known room with its nickname (another one when taken, up to `attempts`). */
  private async enterKnown(jid: string, attempts: number, since?: ArchivedMessage): Promise<void> {
    const room = this.state.byJid[jid];
    if (!room) return;
    const wanted = room.nick;
    for (let attempt = 0; attempt < attempts; attempt++) {
      const nick = attempt === 0 ? wanted : `${wanted}${attempt + 1}`;
      try {
        await this.enterRoom(jid, nick, room.password, since);
        return;
      } catch (error) {
        if (!(error instanceof StanzaError) || error.condition !== 'conflict') return;
      }
    }
  }

  /** One attempt; the room shows why it failed. `since`: what the conversation showed last (catch up after it). */
  private async enterRoom(jid: string, nick: string, password?: string, since?: ArchivedMessage): Promise<void> {
    const room = this.state.byJid[jid]!;
    room.status = 'entering';
    room.problem = undefined;
    try {
      // Catching up from the archive: the room sends no history of its own, which would be shown
      // before the gap is filled, placed among the messages of the old session by time stamps of
      // two clocks (the room's, and this page's when those arrived).
      const catchUp = since !== undefined && this.source(jid) !== undefined;
      const entered = await this.service.enter(jid, nick, password, catchUp ? 0 : undefined);
      room.nick = entered.nick;
      room.password = password;
      if (entered.created) await this.service.configure(jid, null); // entering by address never leaves a locked room
      await this.refreshInfo(jid);
      if (catchUp) void this.catchUp(jid, since);
      else if (this.active === jid || this.state.conversations.byPeer[jid]?.history.loaded) void this.loadNewest(jid);
    } catch (error) {
      if (error instanceof EntrySuperseded) return; // a newer attempt answers for the room
      const condition = error instanceof StanzaError ? error.condition : 'undefined-condition';
      room.status = 'failed';
      room.problem = enterProblem(condition, password !== undefined && password !== '');
      throw error;
    }
  }

  private async refreshInfo(jid: string): Promise<void> {
    const info = await this.service.info(jid).catch(() => null);
    const room = this.state.byJid[jid];
    if (!info || !room) return;
    const { features: _features, ...rest } = info;
    room.info = rest;
    if (info.name) room.name = info.name;
  }

  /**
   * Enter a room by its address (from the dialog or an invitation): an unknown room is not
   * created here. Throws an Error whose message says what went wrong, in words.
   */
  async enter(jid: string, nick: string, password?: string): Promise<void> {
    const exists = await this.service.info(jid).then(() => true, (error: unknown) => {
      if (error instanceof StanzaError && error.condition === 'item-not-found') return false;
      return true; // let the room itself answer
    });
    if (!exists) throw new Error(t('rooms.error.notFound'));
    const known = this.state.has(jid);
    const room = this.state.add(jid, nick);
    try {
      await this.enterRoom(jid, nick, password || undefined);
    } catch (error) {
      const problem = room.problem ?? t('rooms.error.other');
      if (!known) this.state.remove(jid);
      const condition = error instanceof StanzaError ? error.condition : '';
      throw Object.assign(new Error(problem), { condition });
    }
    await this.keep(jid);
  }

  /** The address a room of this name would get on our chat service. */
  async addressFor(name: string): Promise<string | null> {
    return roomAddress(name, await this.service.chatService());
  }

  /** Create a room: instant (null settings) or configured. Returns its address. */
  async create(name: string, settings: RoomSettings | null): Promise<string> {
    const jid = await this.addressFor(name);
    if (!jid) throw new Error(t('rooms.error.badName'));
    const taken = await this.service.info(jid).then(() => true, () => false);
    if (taken) throw new Error(t('rooms.error.taken'));
    const room = this.state.add(jid, this.hooks.defaultNick(), name.trim());
    room.status = 'entering';
    try {
      const entered = await this.service.enter(jid, room.nick);
      room.nick = entered.nick;
      await this.service.configure(jid, settings ?? null);
      await this.refreshInfo(jid);
    } catch (error) {
      const condition = error instanceof StanzaError ? error.condition : 'undefined-condition';
      this.service.leave(jid);
      this.state.remove(jid);
      throw new Error(enterProblem(condition, false));
    }
    room.name = name.trim();
    this.state.conversations.byPeer[jid]!.history.loaded = true;
    this.state.conversations.byPeer[jid]!.history.complete = true;
    await this.keep(jid);
    return jid;
  }

  /** XEP-0402: in the bookmarks with autojoin, so that our other devices enter it too. */
  private async keep(jid: string): Promise<void> {
    const room = this.state.byJid[jid];
    if (!room) return;
    room.autojoin = true;
    await this.bookmarks.save({ jid, name: room.name, autojoin: true, nick: room.nick, password: room.password }).catch(() => {});
  }

  /** Leave the room and forget it (its bookmark too). */
  async leave(jid: string): Promise<void> {
    this.service.leave(jid);
    this.state.remove(jid);
    if (this.active === jid || (this.active && privateChatOf(this.active)?.room === jid)) this.active = null;
    await this.bookmarks.remove(jid).catch(() => {});
  }

  /** Accept an invitation: enter the room (with the password it gave). */
  async accept(invitation: Invitation, nick = this.hooks.defaultNick()): Promise<void> {
    await this.enter(invitation.room, nick, invitation.password);
    this.state.dropInvitation(invitation.room);
  }

  decline(invitation: Invitation): void {
    this.service.decline(invitation);
    this.state.dropInvitation(invitation.room);
  }

  /** What the composer holds: a new message, or the correction of the one being edited (XEP-0308). */
  send(jid: string, body: string): void {
    const text = body.trim();
    if (!text || this.state.byJid[jid]?.status !== 'in') return;
    const conversation = this.state.conversations.byPeer[jid];
    const editing = conversation?.editing;
    if (conversation) conversation.editing = undefined;
    if (editing) {
      if (text !== editing.body) this.state.addMessage(this.service.correct(jid, editing.id, text), true);
      return;
    }
    this.state.addMessage(this.service.send(jid, text), true);
  }

  /** Edit one of our messages in the room (the last one when none is given); false when there is none. */
  edit(jid: string, message?: ChatMessage): boolean {
    const conversation = this.state.conversations.byPeer[jid];
    const target = message ?? conversation?.messages.findLast((m) => m.direction === 'out' && !m.retracted);
    if (!conversation || !target || target.direction !== 'out' || target.retracted || this.state.byJid[jid]?.status !== 'in') return false;
    conversation.editing = target;
    conversation.draft = target.body;
    return true;
  }

  cancelEdit(jid: string): void {
    const conversation = this.state.conversations.byPeer[jid];
    if (!conversation?.editing) return;
    conversation.editing = undefined;
    conversation.draft = '';
  }

  /** XEP-0444 §4.1: a reaction in a room names the message by the room's stanza-id (none: no reactions). */
  canReact(jid: string, message: ChatMessage): boolean {
    return message.archiveId !== undefined && this.state.byJid[jid]?.status === 'in';
  }

  /** Add or take back one reaction of ours (the whole set goes out, XEP-0444 §3). */
  toggleReaction(jid: string, message: ChatMessage, reaction: string): void {
    if (!this.canReact(jid, message)) return;
    const mine = message.reactions?.[reactionSender({ direction: 'out' })] ?? [];
    const next = mine.includes(reaction) ? mine.filter((r) => r !== reaction) : [...mine, reaction];
    this.state.addMessage(this.service.react(jid, message.archiveId!, next), true);
  }

  /** §7.13 ask the moderators for voice. */
  requestVoice(jid: string): void {
    const room = this.state.byJid[jid];
    if (!room || !this.state.isVisitor(jid)) return;
    this.service.requestVoice(jid);
    room.voiceAsked = true;
  }

  /** §8.6 give voice (or not) to a visitor who asked. */
  answerVoice(request: VoiceRequest, allow: boolean): void {
    if (this.state.isModerator(request.room)) this.service.answerVoice(request, allow);
    this.state.dropVoiceRequest(request);
  }

  // ---- private messages (§7.5) ----

  /** The conversation with an occupant (room@service/nick), kept beside the rooms; no archive of its own here. */
  openPrivate(jid: string): void {
    const conversation = this.state.conversations.open(jid);
    conversation.history.loaded = true;
    conversation.history.complete = true;
  }

  sendPrivate(jid: string, body: string): void {
    const text = body.trim();
    const chat = privateChatOf(jid);
    if (!text || !chat || !this.state.isPresent(chat)) return;
    this.state.addMessage(this.service.sendPrivate(jid, text), true);
  }

  closePrivate(jid: string): void {
    this.state.conversations.close(jid);
    if (this.active === jid) this.active = null;
  }

  setDraft(jid: string, text: string): void {
    const conversation = this.state.conversations.byPeer[jid];
    if (conversation) conversation.draft = text;
  }

  setSubject(jid: string, subject: string): void {
    if (this.state.canChangeSubject(jid)) this.service.setSubject(jid, subject.trim());
  }

  invite(jid: string, contacts: string[], reason?: string): void {
    for (const contact of contacts) this.service.invite(jid, contact, reason || undefined);
  }

  kick(jid: string, occupant: Occupant, reason?: string): Promise<void> {
    return this.service.kick(jid, occupant.nick, reason);
  }

  ban(jid: string, occupant: Occupant, reason?: string): Promise<void> {
    if (!occupant.jid) return Promise.reject(new Error(t('rooms.error.other')));
    return this.service.setAffiliation(jid, occupant.jid, 'outcast', reason);
  }

  /** XEP-0425: a moderator removes a message for everyone (by the room's stanza-id). */
  retract(jid: string, message: ChatMessage): Promise<void> {
    if (!message.archiveId) return Promise.resolve();
    return this.service.moderate(jid, message.archiveId);
  }

  // ---- the chat pane ----

  open(jid: string): void {
    if (privateChatOf(jid)) this.openPrivate(jid);
    this.active = jid;
    this.markReadIfViewing(jid);
    const conversation = this.state.conversations.open(jid);
    if (!conversation.history.loaded) void this.loadNewest(jid);
  }

  markReadIfViewing(jid: string): void {
    if (this.hooks.isViewing(jid)) this.state.markRead(jid);
  }

  private source(jid: string): ArchiveSource | undefined {
    if (privateChatOf(jid)) return undefined; // a private conversation: what this session saw
    return this.state.byJid[jid]?.info?.archived === false ? undefined : { jid, map: this.service.archiveMapper(jid) };
  }

  private loadNewest(jid: string): Promise<boolean> {
    return this.loadPage(jid, false, (source) => this.archive.history(jid, '', undefined, source));
  }

  /**
   * What the room's archive has after `newest` (shown before this session entered the room), so
   * that its conversation has no gap; a gap too long to fill starts again from the newest page.
   */
  private async catchUp(jid: string, newest: ArchivedMessage): Promise<void> {
    const source = this.source(jid); // (entered without history only when there is an archive)
    if (!source || this.historyLoads.has(jid) || !this.client.online) return;
    const load = catchUpFromArchive(this.state.conversations, this.archive, jid, newest, source).then((caughtUp) => {
      if (caughtUp) this.markReadIfViewing(jid);
      return caughtUp;
    }, () => false).finally(() => this.historyLoads.delete(jid));
    this.historyLoads.set(jid, load);
    if (!(await load)) await this.loadNewest(jid);
  }

  loadOlder(jid: string): Promise<boolean> {
    const history = this.state.conversations.open(jid).history;
    if (!history.loaded) return this.loadNewest(jid);
    if (history.complete || history.cursor === undefined) return Promise.resolve(false);
    const cursor = history.cursor;
    return this.loadPage(jid, true, (source) => this.archive.history(jid, cursor, undefined, source));
  }

  /** One archive request per room at a time; a room without an archive has the history it sent on entering. */
  private loadPage(jid: string, older: boolean, fetch: (source: ArchiveSource) => Promise<HistoryPage>): Promise<boolean> {
    const history = this.state.conversations.open(jid).history;
    const source = this.source(jid);
    if (!source) {
      history.loaded = true;
      history.complete = true;
      return Promise.resolve(false);
    }
    if (this.historyLoads.has(jid) || !this.client.online || this.state.byJid[jid]?.status !== 'in') return Promise.resolve(false);
    history.loading = true;
    history.error = undefined;
    const load = fetch(source).then((page) => {
      this.state.conversations.addHistory(jid, page, older);
      return true;
    }, (error: Error) => {
      history.error = error.message || t('error.history');
      return false;
    }).finally(() => {
      history.loading = false;
      this.historyLoads.delete(jid);
    });
    this.historyLoads.set(jid, load);
    return load;
  }

  /** XEP-0431 search in the room's archive. */
  search(jid: string, text: string, options: SearchOptions): Promise<ArchivePage> {
    const source = this.source(jid);
    if (!source) return Promise.resolve({ messages: [], complete: true });
    return this.archive.search(text, options, source);
  }

  /** Open a search result: the room with the history around it. */
  async openResult(result: ChatMessage): Promise<void> {
    const jid = result.peer;
    this.open(jid);
    const conversation = this.state.conversations.open(jid);
    const shown = () => conversation.messages.find((m) => m.archiveId !== undefined && m.archiveId === result.archiveId);
    if (!shown() && result.archiveId) {
      const archiveId = result.archiveId;
      await this.historyLoads.get(jid);
      if (!shown()) await this.loadPage(jid, false, (source) => this.archive.around(jid, archiveId, undefined, source));
    }
    const target = shown();
    if (target) this.state.conversations.focusMessage(jid, target.id);
  }
}
