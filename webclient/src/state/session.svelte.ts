// A signed-in panel: the XMPP client and its services, mirrored into reactive state for the
// components, and the actions the components call. Order matters where commented.
import type { ChatState } from '@parley/shared';
import { XmppClient, type ConnectionStatus, type StatusDetail, type TransportKind } from '../xmpp/client.ts';
import { RosterService } from '../xmpp/roster.ts';
import { PresenceService, type OwnPresence } from '../xmpp/presence.ts';
import { ChatService, type ChatMessage } from '../xmpp/chat.ts';
import { ArchiveService } from '../xmpp/archive.ts';
import { InboxService } from '../xmpp/inbox-service.ts';
import { AvatarService } from '../xmpp/avatars.ts';
import { PepAvatars } from '../xmpp/pep-avatars.ts';
import { panelCaps } from '../xmpp/caps.ts';
import { Uploader } from '../xmpp/upload.ts';
import { Uploads } from './uploads.svelte.ts';
import { answerQueries } from '../xmpp/responder.ts';
import { BlockingService } from '../xmpp/blocking.ts';
import { enableCarbons } from '../xmpp/carbons.ts';
import { NS, xml } from '@parley/shared';
import type { Credentials } from '../xmpp/sasl/index.ts';
import type { Endpoints } from '../lib/endpoints.ts';
import { displayName } from '../lib/identity.ts';
import { avatarFromFile } from '../lib/image.ts';
import { notify } from '../lib/notifications.ts';
import { chime } from '../lib/attention.ts';
import { Contacts } from './contacts.svelte.ts';
import { Conversations, type ConversationSummary, type HistoryPage } from './conversations.svelte.ts';
import { ArchiveSearch } from './search.svelte.ts';
import { RoomSession } from './room-session.svelte.ts';
import { catchUpFromArchive, newestArchived, type ArchivedMessage } from './catch-up.ts';
import { t } from '../i18n/index.svelte.ts';

export interface SessionOptions {
  jid: string;
  credentials: Credentials | (() => Promise<Credentials>);
  endpoints: Endpoints;
  storage?: Storage | null;
  transports?: TransportKind[];
  /** SASL2 user agent (its id binds FAST tokens) and whether to ask for a token ("stay signed in"). */
  userAgent?: { id: string; software: string; device?: string };
  requestToken?: boolean;
}

export class ChatSession {
  status = $state<ConnectionStatus>('offline');
  statusDetail = $state<StatusDetail>({});
  transport = $state<TransportKind | null>(null);
  own = $state<OwnPresence>({ availability: 'available', status: '' });
  me = $state<{ jid: string; name: string; photo?: string }>({ jid: '', name: '' });
  activePeer = $state<string | null>(null);
  /** Bumped when something outside the panel (the host page) asks to show a chat. */
  openRequests = $state(0);
  /** The chat pane is on screen (wide layout, or the narrow layout showing the chat). */
  chatVisible = $state(true);
  notificationsEnabled = $state(false);
  soundEnabled = $state(false);
  /** Bare JIDs we block (XEP-0191), sorted; follows changes made on our other devices. */
  blocked = $state<string[]>([]);
  /** The server has an XEP-0363 upload service: files can be sent. */
  canUpload = $state(false);
  readonly contacts = new Contacts();
  readonly conversations = new Conversations();
  readonly search: ArchiveSearch;
  readonly uploads: Uploads;
  /** Group chat (XEP-0045): rooms, their messages, invitations. */
  readonly rooms: RoomSession;

  readonly client: XmppClient;
  private readonly roster: RosterService;
  private readonly presence: PresenceService;
  private readonly chat: ChatService;
  private readonly avatars: AvatarService;
  private readonly pepAvatars: PepAvatars;
  /** Our XEP-0115 caps, computed once (WebCrypto is asynchronous). */
  private readonly caps = panelCaps().catch(() => null);
  private readonly archive: ArchiveService;
  private readonly inbox: InboxService;
  private readonly blocking: BlockingService;
  private readonly historyLoads = new Map<string, Promise<boolean>>();
  /** The newest message per peer we sent a displayed marker for. */
  private readonly displayedSent = new Map<string, string>();
  private readonly storage: Storage | null;
  private stopSaving: () => void = () => {};

  constructor(options: SessionOptions) {
    this.storage = options.storage ?? null;
    this.client = new XmppClient({
      jid: options.jid, credentials: options.credentials, transports: options.transports,
      websocketUrl: options.endpoints.websocketUrl, boshUrl: options.endpoints.boshUrl,
      preferredProbeSeconds: typeof window === 'undefined' ? undefined : window.parleyConfig?.preferredProbeSeconds,
      userAgent: options.userAgent, requestToken: options.requestToken,
    });
    const bare = this.client.account.bare;
    this.me = { jid: bare, name: displayName(bare) };
    this.own = this.loadOwnPresence();
    this.notificationsEnabled = this.storage?.getItem('parley.notifications') === 'on';
    this.soundEnabled = this.storage?.getItem('parley.sound') === 'on';
    answerQueries(this.client, '0.1.0');
    this.roster = new RosterService(this.client, this.storage);
    this.presence = new PresenceService(this.client);
    this.chat = new ChatService(this.client);
    this.avatars = new AvatarService(this.client, this.storage);
    this.pepAvatars = new PepAvatars(this.client, this.avatars);
    this.uploads = new Uploads(new Uploader(this.client), () => this.client.online);
    this.archive = new ArchiveService(this.client);
    this.inbox = new InboxService(this.client);
    this.blocking = new BlockingService(this.client);
    this.rooms = new RoomSession(this.client, this.archive, {
      isViewing: (room) => this.rooms.active === room && this.isVisible(),
      mentioned: (room, message) => {
        if (this.notificationsEnabled) notify(room.name, `${message.nick}: ${message.body}`, room.jid, () => this.openRoom(room.jid));
        if (this.soundEnabled) chime();
      },
      defaultNick: () => this.me.name || this.client.account.local,
      privateMessage: (room, message) => {
        const title = t('rooms.privateTitle', { nick: message.nick ?? '', room: room?.name ?? '' });
        if (this.notificationsEnabled) notify(title, message.body, message.peer, () => this.openRoom(message.peer));
        if (this.soundEnabled) chime();
      },
    });
    // a room's search is in the room's archive (XEP-0313 at the room's JID), the rest in ours
    this.search = new ArchiveSearch((text, options) => (this.rooms.state.has(options.peer)
      ? this.rooms.search(options.peer!, text, options) : this.archive.search(text, options)));
    this.restoreChats();
    this.wire();
  }

  private get chatsKey(): string {
    return `parley.chats.${this.me.jid}`;
  }

  /** The Chats list (and drafts) as they were before the reload, kept current while signed in. */
  private restoreChats(): void {
    try {
      const saved = JSON.parse(this.storage?.getItem(this.chatsKey) ?? '[]') as ConversationSummary[];
      if (Array.isArray(saved)) this.conversations.restore(saved);
    } catch {
      // a damaged list is started afresh
    }
    if (!this.storage) return;
    let timer: ReturnType<typeof setTimeout> | undefined;
    this.stopSaving = $effect.root(() => {
      $effect(() => {
        const text = JSON.stringify(this.conversations.summaries());
        clearTimeout(timer);
        timer = setTimeout(() => {
          try {
            this.storage?.setItem(this.chatsKey, text);
          } catch {
            // storage full: the list is rebuilt from the inbox next time
          }
        }, 300);
      });
      return () => clearTimeout(timer);
    });
  }

  start(): Promise<void> {
    return this.client.start();
  }

  stop(): void {
    this.stopSaving();
    this.client.stop();
  }

  private wire(): void {
    const { client } = this;
    client.on('status', (status, detail) => {
      this.status = status;
      this.statusDetail = detail;
      this.transport = client.transportKind;
      if (status !== 'online') this.conversations.clearTyping();
    });
    client.on('online', (session) => {
      this.indicateState();
      // XEP-0198 §5: a resumed session kept roster, presence, carbons, messages and rooms: nothing to fetch or enter again
      if (!session.resumed) void this.sessionStarted(session.rosterVersioning).then(() => this.rooms.sessionStarted(session.reconnected));
      // the rooms kept our presence too, but the panel forgot their occupants when the link dropped:
      // enter them again (from the same session, a re-entry: XEP-0045 §7.2 sends the occupants again)
      else void this.rooms.sessionStarted(true);
    });
    this.blocking.on('changed', (jids) => (this.blocked = jids));
    // Profiles (vCards) are asked for the rows on screen only (showingContacts), not the whole roster.
    this.roster.on('changed', (items) => this.contacts.setRoster(items));
    this.roster.on('pushed', (bare, item) => this.contacts.setItem(bare, item));
    this.presence.on('changed', (bare, presence) => {
      this.contacts.setPresence(bare, presence);
      this.avatars.noticeHash(bare, presence.avatarHash);
    });
    this.presence.on('subscriptionRequest', (bare) => this.subscriptionRequested(bare));
    this.avatars.on('changed', (bare, card) => {
      this.contacts.setCard(bare, card);
      if (bare === this.me.jid) this.me = { jid: bare, name: displayName(bare, undefined, card.fullName), photo: card.photo };
    });
    this.chat.on('message', (message) => {
      const read = message.direction === 'out' || this.isViewing(message.peer);
      if (!this.conversations.add(message, read) || message.direction === 'out') return;
      if (read) this.sendDisplayed(message.peer);
      this.avatars.ensureCards([message.peer]); // someone outside the roster: look up their name once
      if (read || message.delayed) return;
      // Not on screen (panel hidden or another conversation open): tell the user.
      if (this.notificationsEnabled) notify(this.contacts.get(message.peer).name, message.body, message.peer, () => this.openChat(message.peer));
      if (this.soundEnabled) chime();
    });
    this.chat.on('delivery', (peer, id, state, error) => this.conversations.setDelivery(peer, id, state, error));
    this.chat.on('chatState', (peer, state) => this.conversations.setChatState(peer, state));
    if (typeof document !== 'undefined') {
      document.addEventListener('visibilitychange', () => {
        this.indicateState();
        if (!document.hidden && this.activePeer) this.markReadIfViewing(this.activePeer);
        if (!document.hidden && this.rooms.active) this.rooms.markReadIfViewing(this.rooms.active);
      });
    }
    if (typeof window !== 'undefined') {
      window.addEventListener('online', () => this.client.reconnectNow());
      // A closed or reloaded page ends its session (XEP-0198 §5 keeps sessions for network failures,
      // and a session left waiting would take messages meant for the next page).
      window.addEventListener('pagehide', (event) => {
        if (!event.persisted) this.stop();
      });
    }
  }

  /** RFC 6121 §2.2: roster first, then initial presence (with our avatar hash, XEP-0153 §4.1). */
  private async sessionStarted(rosterVersioning: boolean): Promise<void> {
    // Where each conversation catches up from: taken now, before this session has delivered
    // anything. What comes while it starts (a carbon, a message to this resource) is newer than
    // the gap, and paging on from it would skip what the old session missed.
    const caughtUpTo = newestArchived(this.conversations);
    const ownCard = this.avatars.fetch(this.me.jid).then(() => {
      const hash = this.avatars.card(this.me.jid).hash;
      if (hash !== undefined) this.presence.ownAvatarHash = hash;
    });
    // XEP-0280: copies of what our other devices send and receive, from before the first message
    const carbons = enableCarbons(this.client);
    void this.blocking.fetch().catch(() => {});
    const caps = this.caps.then((caps) => { this.presence.caps = caps?.element ?? null; });
    await Promise.allSettled([this.roster.fetch(rosterVersioning), ownCard, carbons, caps]);
    this.presence.sendOwn(this.own);
    void this.uploads.service().then((service) => { this.canUpload = service !== null; });
    // The conversation list as the server keeps it (XEP-0430), for every device alike.
    void this.inbox.fetch().then((entries) => {
      this.conversations.applyInbox(entries, this.chatVisible ? this.activePeer : null);
    });
    // The history shown comes from the archive, so it survives a reload. A session that starts
    // afresh (not resumed) may have missed messages: the old stream ended with stanzas still
    // unacknowledged (XEP-0198), or they bounced off a full offline queue. The archive has them:
    // each conversation with messages shown (the open one, and the Chats list's) catches up.
    const shown = Object.values(this.conversations.byPeer).filter((c) => c.messages.length > 0 || c.history.loaded || c.peer === this.activePeer);
    await Promise.allSettled(shown.map((c) => this.catchUp(c.peer, caughtUpTo.get(c.peer))));
  }

  /**
   * What the archive has after `newest` (the newest archived message shown when the session
   * started), so that a conversation has no gap; the newest page when nothing shown was archived.
   * A gap longer than CATCH_UP_LIMIT is not filled: the conversation starts again from its newest
   * page (paging back goes on from there).
   */
  private catchUp(peer: string, newest: ArchivedMessage | undefined): Promise<void> {
    if (!newest) return this.loadNewest(peer);
    if (this.historyLoads.has(peer) || !this.client.online) return Promise.resolve();
    const load = catchUpFromArchive(this.conversations, this.archive, peer, newest).then((caughtUp) => {
      if (caughtUp) this.markReadIfViewing(peer);
      return caughtUp;
    }, () => false).finally(() => this.historyLoads.delete(peer));
    this.historyLoads.set(peer, load);
    return load.then(async (caughtUp) => {
      if (!caughtUp) await this.loadNewest(peer);
    });
  }

  /** The newest page of a conversation from the archive, merged with what is shown. */
  private async loadNewest(peer: string): Promise<void> {
    await this.loadPage(peer, false, () => this.archive.history(peer));
  }

  /** One archive request per conversation at a time. */
  private loadPage(peer: string, older: boolean, fetch: () => Promise<HistoryPage>): Promise<boolean> {
    const history = this.conversations.open(peer).history;
    if (this.historyLoads.has(peer) || !this.client.online) return Promise.resolve(false);
    history.loading = true;
    history.error = undefined;
    const load = fetch().then((page) => {
      this.conversations.addHistory(peer, page, older);
      return true;
    }, (error: Error) => {
      history.error = error.message || t('error.history');
      return false;
    }).finally(() => {
      history.loading = false;
      this.historyLoads.delete(peer);
    });
    this.historyLoads.set(peer, load);
    return load;
  }

  private subscriptionRequested(bare: string): void {
    const contact = this.contacts.inRoster(bare);
    // We asked them first (or already see them): this is the second half of a mutual subscription.
    if (contact && (contact.pending || contact.subscription === 'to')) {
      this.presence.approve(bare, false);
      return;
    }
    this.contacts.addRequest(bare);
    this.avatars.ensureCards([bare]);
  }

  /** XEP-0352: the server may hold presence and typing for a tab nobody looks at. */
  private indicateState(): void {
    if (typeof document === 'undefined' || !this.client.csiAvailable) return;
    this.client.sendNonza(xml(document.hidden ? 'inactive' : 'active', { xmlns: NS.csi }));
  }

  // ---- actions ----------------------------------------------------------------------------

  /** Block someone (XEP-0191): a contact, or a stranger who wrote; `spam` reports them too (XEP-0377). */
  block(jid: string, spam = false): Promise<void> {
    return this.blocking.block(jid, spam);
  }

  unblock(jid: string): Promise<void> {
    return this.blocking.unblock(jid);
  }

  isBlocked(jid: string): boolean {
    return this.blocked.includes(jid);
  }

  /** Unread one-to-one and room messages: the title, the favicon and the host page show it. */
  get totalUnread(): number {
    return this.conversations.totalUnread + this.rooms.state.totalUnread;
  }

  /** Show a room in the chat pane (instead of a one-to-one chat). */
  openRoom(room: string): void {
    this.activePeer = null;
    this.rooms.open(room);
  }

  openChat(peer: string): void {
    const conversation = this.conversations.open(peer);
    this.rooms.active = null;
    this.activePeer = peer;
    this.markReadIfViewing(peer);
    this.avatars.ensureCards([peer]);
    if (!conversation.history.loaded) void this.loadNewest(peer);
  }

  /** The host page asks to show the chat with `peer`, or that room (the panel switches to it, narrow layout too). */
  requestOpen(peer: string): void {
    if (this.rooms.state.has(peer)) this.openRoom(peer); // one of our rooms
    else this.openChat(peer);
    this.openRequests++;
  }

  /** Scrolled to the top: the page of archived messages before the oldest one shown. */
  loadOlder(peer: string): Promise<boolean> {
    const history = this.conversations.open(peer).history;
    if (!history.loaded) return this.loadPage(peer, false, () => this.archive.history(peer));
    if (history.complete || history.cursor === undefined) return Promise.resolve(false);
    const cursor = history.cursor;
    return this.loadPage(peer, true, () => this.archive.history(peer, cursor));
  }

  /** Open a search result: its conversation with the history around it, scrolled to it. */
  async openResult(result: ChatMessage): Promise<void> {
    if (this.rooms.state.has(result.peer)) {
      this.activePeer = null;
      return this.rooms.openResult(result);
    }
    this.rooms.active = null;
    const peer = result.peer;
    const conversation = this.conversations.open(peer);
    this.activePeer = peer;
    this.markReadIfViewing(peer);
    const shown = () => conversation.messages.find((m) => (m.archiveId !== undefined && m.archiveId === result.archiveId)
      || (m.id === result.id && m.direction === result.direction));
    if (!shown() && result.archiveId) {
      const archiveId = result.archiveId;
      await this.historyLoads.get(peer); // a page already on its way may hold it
      if (!shown()) await this.loadPage(peer, false, () => this.archive.around(peer, archiveId));
    }
    const target = shown();
    if (target) this.conversations.focusMessage(peer, target.id);
  }

  closeChat(peer: string): void {
    this.conversations.close(peer);
    if (this.activePeer === peer) this.activePeer = this.conversations.ordered[0]?.peer ?? null;
  }

  setChatVisible(visible: boolean): void {
    this.chatVisible = visible;
    if (visible && this.activePeer) this.markReadIfViewing(this.activePeer);
    if (visible && this.rooms.active) this.rooms.markReadIfViewing(this.rooms.active);
  }

  /** Send what the composer holds: a new message, a reply, or the correction being edited. */
  send(peer: string, body: string): void {
    const text = body.trim();
    const conversation = this.conversations.byPeer[peer];
    if (!text) return;
    const editing = conversation?.editing;
    const replyingTo = conversation?.replyingTo;
    if (conversation) {
      conversation.editing = undefined;
      conversation.replyingTo = undefined;
    }
    if (editing) {
      if (text !== editing.body) this.chat.correct(peer, editing.id, text);
      return;
    }
    this.chat.send(peer, text, { replyTo: replyingTo ? { id: replyingTo.refs[0] ?? replyingTo.id, text: replyingTo.body } : undefined });
  }

  /** Share files (XEP-0363): each is uploaded, then sent as a message whose body is its URL (XEP-0066). */
  sendFiles(peer: string, files: File[]): void {
    this.uploads.start(peer, files, (url) => this.chat.send(peer, url, { oob: url }));
  }

  replyTo(peer: string, message: ChatMessage | undefined): void {
    const conversation = this.conversations.byPeer[peer];
    if (!conversation) return;
    conversation.replyingTo = message;
    if (message) conversation.editing = undefined;
  }

  /** Edit one of our messages (the last one when none is given); false when there is none. */
  edit(peer: string, message?: ChatMessage): boolean {
    const conversation = this.conversations.byPeer[peer];
    const target = message ?? conversation?.messages.findLast((m) => m.direction === 'out' && !m.retracted);
    if (!conversation || !target || target.direction !== 'out' || target.retracted) return false;
    conversation.editing = target;
    conversation.replyingTo = undefined;
    conversation.draft = target.body;
    return true;
  }

  cancelCompose(peer: string): void {
    const conversation = this.conversations.byPeer[peer];
    if (!conversation) return;
    if (conversation.editing) conversation.draft = '';
    conversation.editing = undefined;
    conversation.replyingTo = undefined;
  }

  /** Delete one of our messages for everyone (XEP-0424). */
  retract(peer: string, message: ChatMessage): void {
    if (message.direction === 'out' && !message.retracted) this.chat.retract(peer, message.id);
  }

  /** Add or take back one reaction of ours (XEP-0444 sends the whole set). */
  toggleReaction(peer: string, message: ChatMessage, reaction: string): void {
    const mine = message.reactions?.out ?? [];
    const next = mine.includes(reaction) ? mine.filter((r) => r !== reaction) : [...mine, reaction];
    this.chat.react(peer, message.refs[0] ?? message.id, next);
  }

  /** XEP-0333: tell the peer we displayed their newest message, when it asks for markers. */
  private sendDisplayed(peer: string): void {
    const conversation = this.conversations.byPeer[peer];
    const last = conversation?.messages.findLast((m) => m.direction === 'in');
    if (!last?.markable || this.displayedSent.get(peer) === last.id || !this.client.online) return;
    this.displayedSent.set(peer, last.id);
    this.chat.markDisplayed(peer, last.refs[0] ?? last.id);
  }

  /** These contacts are on screen: get the profiles not known yet. */
  showingContacts(jids: string[]): void {
    this.avatars.ensureCards(jids);
  }

  setDraft(peer: string, text: string): void {
    const conversation = this.conversations.byPeer[peer];
    if (conversation) conversation.draft = text;
  }

  sendChatState(peer: string, state: ChatState): void {
    this.chat.sendChatState(peer, state);
  }

  setPresence(own: OwnPresence): void {
    this.own = own;
    this.storage?.setItem(`parley.presence.${this.me.jid}`, JSON.stringify(own));
    if (this.client.online) this.presence.sendOwn(own);
  }

  addContact(jid: string, name?: string, group?: string): Promise<void> {
    return this.roster.addContact(jid, name, group ? [group] : []);
  }

  removeContact(jid: string): Promise<void> {
    return this.roster.removeContact(jid);
  }

  approve(bare: string): void {
    const contact = this.contacts.inRoster(bare);
    const seesThem = contact && (contact.subscription === 'to' || contact.subscription === 'both' || contact.pending);
    this.presence.approve(bare, !seesThem);
    this.contacts.dropRequest(bare);
  }

  deny(bare: string): void {
    this.presence.deny(bare);
    this.contacts.dropRequest(bare);
  }

  /**
   * Publish a new name and/or photo. A photo goes out as an XEP-0084 avatar (PEP notifies contacts;
   * the server puts it in the vCard, XEP-0398); on a server without PEP, in the vCard alone, and
   * contacts learn of it by our next presence (XEP-0153). A refused photo (the address book owns
   * it) still lets a new name through, then says why in words.
   */
  async updateProfile(fullName: string, photoFile?: File | null, removePhoto = false): Promise<void> {
    const image = photoFile ? await avatarFromFile(photoFile) : null;
    const name = fullName.trim() || undefined;
    let current = await this.avatars.readVcard(this.me.jid);
    let refusal: Error | null = null;
    let published: string | null = null;
    if (image || removePhoto) {
      try {
        published = await this.pepAvatars.publishOwn(image);
      } catch (error) {
        refusal = error as Error;
      }
    }
    if (published !== null) {
      // the server wrote the photo into our vCard before answering (XEP-0398): a new name goes beside it
      const photo = image ? `data:${image.type};base64,${image.base64}` : undefined;
      this.avatars.showPepPhoto(this.me.jid, published, photo);
      this.presence.setAvatarHash(published);
      current = await this.avatars.readVcard(this.me.jid);
    }
    const photoInVcard = published === null && !refusal && (image !== null || removePhoto);
    if (photoInVcard || name !== (current?.fullName ?? current?.nickname)) {
      const photo = photoInVcard ? (image ? { type: image.type, base64: image.base64 } : undefined) : current?.photo;
      const hash = await this.avatars.publishOwn({ ...current, fullName: name, photo });
      this.presence.setAvatarHash(hash);
    }
    if (refusal) throw refusal;
  }

  setNotifications(enabled: boolean): void {
    this.notificationsEnabled = enabled;
    this.storage?.setItem('parley.notifications', enabled ? 'on' : 'off');
  }

  setSound(enabled: boolean): void {
    this.soundEnabled = enabled;
    this.storage?.setItem('parley.sound', enabled ? 'on' : 'off');
    if (enabled) chime(); // what it sounds like (and audio is allowed after this click)
  }

  private isViewing(peer: string): boolean {
    return this.activePeer === peer && this.isVisible();
  }

  /** The chat pane is on screen and the page visible. */
  private isVisible(): boolean {
    return this.chatVisible && !(typeof document !== 'undefined' && document.hidden);
  }

  private markReadIfViewing(peer: string): void {
    if (!this.isViewing(peer)) return;
    this.conversations.markRead(peer);
    this.sendDisplayed(peer);
  }

  private loadOwnPresence(): OwnPresence {
    try {
      const saved = JSON.parse(this.storage?.getItem(`parley.presence.${this.me.jid}`) ?? 'null') as OwnPresence | null;
      if (saved && ['available', 'away', 'xa', 'dnd'].includes(saved.availability)) return { availability: saved.availability, status: String(saved.status ?? '') };
    } catch {
      // ignore a damaged preference
    }
    return { availability: 'available', status: '' };
  }
}
