// The server's named events (core/events.ts): stanza pipelines that the router runs, and the
// notifications through which streams, sessions and modules cooperate without importing each
// other (Prosody's mod_presence fires presence/initial, mod_offline hooks it).
import type { Bookmark, Element, JID, StreamErrorCondition } from '@parley/shared';
import type { RosterItem } from '../storage/index.ts';

import { EventHub } from './events.ts';
import type { Origin, SessionHandle } from './origin.ts';
import type { SessionEntry } from './session-table.ts';

/** A stanza on its way: who sent it, to whom (already checked and canonical), and how it came in. */
export interface StanzaEvent {
  readonly stanza: Element;
  readonly from: JID;
  readonly to: JID;
  readonly origin: Origin;
}

/** Pipelines: the first handler that takes the stanza ends the run; none → the router's default (RFC 6121 §8.5). */
export interface ServerPipelines {
  /** Presence from a local client before routing: subscriptions (§3), broadcast (§4.2), directed presence (§4.6). */
  'presence/outbound': StanzaEvent;
  /** Presence to an account's bare JID, a full JID, or the server. */
  'presence/bare': StanzaEvent;
  'presence/full': StanzaEvent;
  'presence/host': StanzaEvent;
  /** An iq get/set to an account's bare JID or to a full JID, before a handler or the resource gets it. */
  'iq/bare': StanzaEvent;
  'iq/full': StanzaEvent;
  'message/bare': StanzaEvent;
  'message/full': StanzaEvent;
  'message/host': StanzaEvent;
  /** A message for an account without an available resource of non-negative priority (§8.5.2.2). */
  'message/offline': StanzaEvent;
  /** A message for a JID of a domain not served here, before it leaves for the remote server (the archive keeps the sender's copy). */
  'message/remote': StanzaEvent;
}

/** Why a session's stream went away. */
export type SessionEndReason =
  | { readonly kind: 'closed' }
  /** the connection dropped without a closing tag (what stream management resumes from) */
  | { readonly kind: 'connection-lost' }
  | { readonly kind: 'stream-error'; readonly condition: StreamErrorCondition };

/**
 * A session is about to end. A handler may veto() to keep it bound without a stream (stream
 * management hibernating it for resumption, as Prosody's pre-resource-unbind lets mod_smacks).
 * Handlers decide synchronously.
 */
export class SessionEnding {
  private refused = false;

  constructor(readonly session: SessionHandle, readonly reason: SessionEndReason) {}

  veto(): void {
    this.refused = true;
  }

  get vetoed(): boolean {
    return this.refused;
  }
}

/** A roster item stored or removed (RFC 6121 §2.1.6: interested resources get a push). */
export interface RosterChange {
  readonly owner: string;
  readonly contact: string;
  /** The item as now stored; null when it was removed. */
  readonly item: RosterItem | null;
  readonly version: string;
}

export interface ServerNotifications {
  /** A client stream ended (session: the one it carried, if bound). */
  'stream-closed': { readonly streamId: string; readonly transport: string; readonly session: SessionHandle | null; readonly error?: Error };
  /** Vetoable: the session's stream is gone; without a veto the session ends (resource-unbind). */
  'session-ending': SessionEnding;
  'resource-bind': { readonly session: SessionHandle };
  /** The session ended: no longer in the session table. */
  'resource-unbind': { readonly session: SessionHandle; readonly reason: SessionEndReason | { readonly kind: 'replaced' } };
  /** A stanza for a session that has no stream (hibernated). */
  'delivery-failed': { readonly session: SessionHandle; readonly stanza: string };
  /** A stanza was kept for a session waiting without a stream, to be resent when it resumes (XEP-0198). */
  'stanza-kept': { readonly session: SessionHandle; readonly stanza: string };
  /** A session waiting without a stream was taken over by a new stream (XEP-0198 §5). */
  'session-resumed': { readonly session: SessionHandle };
  /** RFC 6121 §4.2: a session's initial presence went out. */
  'presence/initial': { readonly session: SessionHandle };
  /** A session became available with a non-negative priority (XEP-0160 §2 delivers offline messages then). */
  'presence/non-negative': { readonly session: SessionHandle };
  /** A session's broadcast presence is about to go out; handlers may add to it (XEP-0153 photo hash). */
  'presence/broadcast': { readonly session: SessionHandle; readonly stanza: Element };
  /** Send the available resources' current presence again (something it carries changed). */
  'presence/rebroadcast': { readonly jid: string };
  /** RFC 6121 §3.2.2: the contact no longer receives the owner's presence: unavailable from each available resource. */
  'presence/unavailable-to': { readonly owner: JID; readonly contact: JID };
  'roster-changed': RosterChange;
  /**
   * XEP-0115: what an entity supports, as its caps say, became known or changed (empty: it went
   * offline). `session` for a client of this node; `recipient` for a remote entity, the local
   * account its presence came to.
   */
  'caps/changed': {
    readonly jid: JID;
    readonly session: SessionHandle | null;
    readonly recipient: JID | null;
    readonly features: ReadonlySet<string>;
    /** Features it did not have before (the '+notify' ones PEP sends last items for: XEP-0163 §4.3.2). */
    readonly added: ReadonlySet<string>;
  };
  /** A local client's message was routed (delivered, stored or bounced): XEP-0280 sent carbons. */
  'message/sent': { readonly session: SessionHandle; readonly stanza: Element; readonly to: JID };
  /** Suite directory changes (modules/suite-sync.ts). */
  'user-deleted': { readonly jid: string };
  'avatar-changed': { readonly jid: string };
  /** The user's XEP-0402 bookmarks changed (through PEP or XEP-0411 private storage): all of them now. */
  'bookmarks-changed': { readonly jid: string; readonly bookmarks: readonly Bookmark[] };
  /**
   * Another part of the server gives a user a room bookmark (a directory group's room, so that the
   * member's clients list and enter it): PEP adds it unless the user keeps one for that room already.
   */
  'bookmark-offered': { readonly jid: string; readonly bookmark: Bookmark };
  /** A user stored a new vCard (XEP-0054; XEP-0398 publishes its photo to PEP). */
  'vcard-changed': { readonly jid: string };
  /** The user may no longer use IM: live sessions end with not-authorized and this text (RFC 6120 §4.9.3.12). */
  'im-access-withdrawn': { readonly jid: string; readonly reason: string };
  /**
   * A session another node held is gone with that node (it stopped heart-beating or started again:
   * cluster/). `announce`: this node speaks for the lost node (one node of the cluster does).
   */
  'session-lost': { readonly entry: SessionEntry; readonly announce: boolean };
  /** An admin ends a session (full JID) or all of an account's sessions (bare JID): policy-violation with this text. */
  'session-kick': { readonly jid: string; readonly reason: string };
  /**
   * End the sessions of a bare JID (every resource) or one full JID with this stream error (an
   * admin's XEP-0133 end-user-session): every node ends the ones it holds.
   */
  'sessions-end': { readonly jid: JID; readonly condition: StreamErrorCondition; readonly text: string };
  /** A served name came or went (router/host-table.ts). */
  'host-added': { readonly name: string; readonly kind: 'account' | 'component' };
  'host-removed': { readonly name: string; readonly kind: 'account' | 'component' };
  /** A cached value changed on `node`: other nodes drop their copy (core/cache.ts). */
  'cache-invalidated': { readonly cache: string; readonly key: string; readonly node: string };
}

export type ServerHub = EventHub<ServerPipelines, ServerNotifications>;

export function createServerHub(): ServerHub {
  return new EventHub<ServerPipelines, ServerNotifications>();
}
