// Backend-neutral interfaces of the state storage: what the server keeps about accounts and
// their data. Every method returns a Promise so that a networked backend (PostgreSQL) can
// implement the same contract, even though the embedded SQLite backend does its work
// synchronously; contract.ts is the test every backend passes.
//
// All JIDs passed in are already normalized strings (RFC 7622): bare JIDs such
// as 'alice@example.com', domains such as 'example.com'.

export { StorageConflictError, StorageNotFoundError } from './errors.ts';
import type { ArchivingPreferences } from '@parley/shared/mam';

/** One SCRAM verifier set (RFC 5802 §3), stored per hash function. */
export interface ScramCredential {
  hash: 'SHA-1' | 'SHA-256';
  salt: string;
  iterations: number;
  storedKey: string;
  serverKey: string;
}

export interface Account {
  jid: string;
  domain: string;
  username: string;
  name: string | null;
  /** ms epoch */
  createdAt: number;
}

export interface AccountStore {
  /** Throws StorageConflictError if the account exists. */
  create(jid: string, credentials: ScramCredential[], name?: string | null): Promise<void>;
  get(jid: string): Promise<Account | null>;
  getCredential(jid: string, hash: 'SHA-1' | 'SHA-256'): Promise<ScramCredential | null>;
  /** Replaces all credentials, ending the account's FAST tokens; throws StorageNotFoundError if there is no account. */
  setCredentials(jid: string, credentials: ScramCredential[]): Promise<void>;
  /**
   * Deletes the account and its own data (credentials, roster, roster version,
   * pending inbound subscription requests, offline messages, vCard, archiving
   * preferences, FAST tokens, what modules keep for it in key-value stores, its block list). Other users'
   * rosters and requests are left untouched.
   */
  delete(jid: string): Promise<boolean>;
  listByDomain(domain: string): Promise<Account[]>;
}

/** RFC 6121 §2.1.2.5 */
export type Subscription = 'none' | 'to' | 'from' | 'both';

export interface RosterItem {
  jid: string;
  name: string | null;
  subscription: Subscription;
  /** Pending outbound subscribe (RFC 6121 §2.1.2.2 'ask'). */
  ask: boolean;
  /** Pre-approved inbound subscription (RFC 6121 §3.4). */
  approved: boolean;
  groups: string[];
}

export interface RosterStore {
  /**
   * All items plus the current version string (RFC 6121 §2.6 roster
   * versioning). The version is a per-user counter incremented on every
   * change, as a decimal string; '0' for a user whose roster never changed.
   */
  get(owner: string): Promise<{ version: string; items: RosterItem[] }>;
  getItem(owner: string, contact: string): Promise<RosterItem | null>;
  /** Insert or replace an item; returns the new roster version. */
  put(owner: string, item: RosterItem): Promise<string>;
  /** Remove; returns the new version, or null if there was no such item. */
  remove(owner: string, contact: string): Promise<string | null>;
  count(owner: string): Promise<number>;
}

/**
 * An inbound subscription request awaiting the user's answer (RFC 6121
 * §3.1.3). The server keeps it until the user approves or denies it and
 * re-delivers it on the user's next login. It is not a roster item: the
 * requester need not be in the user's roster at all.
 */
export interface SubscriptionRequest {
  /** Bare JID of the requester. */
  from: string;
  /** Serialized <presence type='subscribe'/>, kept for re-delivery. */
  stanza: string;
  /** ms epoch */
  receivedAt: number;
}

export interface SubscriptionRequestStore {
  /** Keep (or replace) the request from `from` to `owner`. */
  put(owner: string, from: string, stanza: string, receivedAt: number): Promise<void>;
  get(owner: string, from: string): Promise<SubscriptionRequest | null>;
  /** All of the owner's pending requests, oldest first. */
  list(owner: string): Promise<SubscriptionRequest[]>;
  /** Returns true if a request was removed, false if there was none. */
  remove(owner: string, from: string): Promise<boolean>;
  count(owner: string): Promise<number>;
}

export interface OfflineMessage {
  id: number;
  to: string;
  /** serialized XML */
  stanza: string;
  /** ms epoch */
  stampedAt: number;
}

/** A message to keep for an offline user (OfflineStore.pushAll). */
export interface NewOfflineMessage {
  to: string;
  /** serialized XML */
  stanza: string;
  /** ms epoch */
  stampedAt: number;
}

export interface OfflineStore {
  /** Store; returns false (and stores nothing) if the user's queue already holds `limit` messages. */
  push(to: string, stanza: string, stampedAt: number, limit: number): Promise<boolean>;
  /** Store all of them in one transaction, in order (the caller checked the limits: storage/offline-writes.ts). */
  pushAll(messages: NewOfflineMessage[]): Promise<void>;
  /** All queued messages for a bare JID in arrival order, removed in the same transaction. */
  takeAll(to: string): Promise<OfflineMessage[]>;
  count(to: string): Promise<number>;
  /** All queued messages for a bare JID in arrival order, left in the store (delivered, then removed once acknowledged). */
  list(to: string): Promise<OfflineMessage[]>;
  /** Removes these messages of `to` (the client acknowledged them); returns how many went. */
  remove(to: string, ids: readonly number[]): Promise<number>;
}

export interface VCardStore {
  /** Serialized <vCard xmlns='vcard-temp'/> (XEP-0054), or null. */
  get(jid: string): Promise<string | null>;
  set(jid: string, vcard: string): Promise<void>;
}

/** XEP-0441 archiving preferences of the users who set some (modules/mam/preferences.ts). */
export interface ArchivePreferenceStore {
  /** Every user's stored preferences (users who never set any are absent). */
  all(): Promise<Map<string, ArchivingPreferences>>;
  get(owner: string): Promise<ArchivingPreferences | null>;
  set(owner: string, preferences: ArchivingPreferences): Promise<void>;
}

/** XEP-0484 §5.1: a token waiting for its first use ('new'), or the one in use ('current'). */
export type FastTokenSlot = 'new' | 'current';

/**
 * A FAST token (XEP-0484) as stored: never the token, only its SHA-256 (auth/fast-tokens.ts says
 * why that is the HMAC key the mechanism needs).
 */
export interface FastTokenRecord {
  /** The account's bare JID. */
  jid: string;
  /** The client's SASL2 <user-agent id/> (XEP-0388). */
  clientId: string;
  slot: FastTokenSlot;
  /** The HT-* mechanism the token is bound to (XEP-0484 §3.4). */
  mechanism: string;
  /** base64 of SHA-256(token). */
  keyHash: string;
  /** ms epoch */
  issuedAt: number;
  /** ms epoch */
  expiresAt: number;
  /** The client's software and device, as it named them, for listings. */
  userAgent: string | null;
}

export type NewFastToken = Omit<FastTokenRecord, 'slot'>;

export interface FastTokenStore {
  /** One client's tokens, the 'new' slot first. */
  forClient(jid: string, clientId: string): Promise<FastTokenRecord[]>;
  /** All of an account's tokens, by client. */
  forAccount(jid: string): Promise<FastTokenRecord[]>;
  /** Put a token in the client's 'new' slot, replacing one never used (XEP-0484 §3.5). */
  putNew(token: NewFastToken): Promise<void>;
  /** The 'new' token was used: it becomes 'current', replacing the older one. False if there was none. */
  promote(jid: string, clientId: string): Promise<boolean>;
  /** Remove one slot or both of a client's; returns how many tokens went. */
  remove(jid: string, clientId: string, slot?: FastTokenSlot): Promise<number>;
  /** Remove every token of the account. A new password or a deleted account does this too. */
  removeAccount(jid: string): Promise<number>;
  removeExpired(now: number): Promise<number>;
}

/** An archive entry waiting in the index queue, as the archive serialized it. */
export interface QueuedDocument {
  queueId: number;
  /** The entry's archive position (archive/ids.ts). */
  seq: number;
  document: string;
  /** Failed indexing attempts so far. */
  attempts: number;
}

/**
 * The queue in front of an external archive index (Elasticsearch: archive/elasticsearch/): an entry
 * is written here first and removed only once the index acknowledged it, so an unreachable index,
 * or a restart while it was unreachable, loses nothing. Queue ids only grow.
 */
export interface ArchiveIndexQueue {
  push(documents: ReadonlyArray<{ seq: number; document: string }>): Promise<void>;
  /**
   * The oldest entries (after queue id `afterId` if given: the ones not yet in flight), at most
   * `limit` of them and about `maxBytes` of documents (at least one).
   */
  peek(limit: number, maxBytes: number, afterId?: number): Promise<QueuedDocument[]>;
  remove(queueIds: number[]): Promise<void>;
  /** Counts a failed attempt for these entries. */
  failed(queueIds: number[]): Promise<void>;
  /** The oldest queue id still waiting, or null when the queue is empty. */
  lowestId(): Promise<number | null>;
  highestId(): Promise<number | null>;
  size(): Promise<number>;
  /** The highest seq waiting (0 when empty). */
  highestSeq(): Promise<number>;
  /** Retention: drops entries with a seq below this one; returns how many went. */
  dropOlderThan(seq: number): Promise<number>;
}

/**
 * A named store a module keeps its data in (as Prosody's module:open_store): per owner (a bare
 * JID, a domain…), key → a JSON value. An account's entries go with the account.
 */
export interface KeyValueStore<V = unknown> {
  get(owner: string, key: string): Promise<V | undefined>;
  /** Stores `value` (anything JSON.stringify keeps) under the key, replacing what was there. */
  set(owner: string, key: string, value: V): Promise<void>;
  /** Returns true if there was such an entry. */
  delete(owner: string, key: string): Promise<boolean>;
  /** The owner's entries in this store, by key. */
  list(owner: string): Promise<Array<{ key: string; value: V }>>;
  /** Removes the owner's entries in this store; returns how many went. */
  clear(owner: string): Promise<number>;
}

export interface KeyValueStores {
  /** The store named `name` (lowercase letters, digits, '.', '_', '-'; e.g. 'bookmarks'). */
  open<V = unknown>(name: string): KeyValueStore<V>;
}

/** XEP-0191 block lists: the JIDs (full, bare, domain/resource or domain) an account blocks. */
export interface BlockListStore {
  /** The owner's blocked JIDs, in the order they were blocked. */
  list(owner: string): Promise<string[]>;
  /** Adds those not yet blocked; returns how many were new. */
  add(owner: string, jids: readonly string[]): Promise<number>;
  /** Returns how many were removed. */
  remove(owner: string, jids: readonly string[]): Promise<number>;
  /** Unblocks everything; returns how many went. */
  clear(owner: string): Promise<number>;
}

/** An XEP-0363 upload: a slot handed out, then (once) its file stored. */
export interface Upload {
  /** Random, URL-safe: the slot's and the file's name in the URLs and on disk. */
  readonly id: string;
  /** The bare JID that asked for the slot. */
  readonly owner: string;
  readonly filename: string;
  /** Bytes, exactly what the PUT must carry. */
  readonly size: number;
  readonly contentType: string;
  readonly createdAt: number;
  /** The PUT must start before this (ms since the epoch). */
  readonly slotExpiresAt: number;
  /** 'reserved': slot handed out; 'uploading': a PUT is under way; 'stored': the file is there. */
  readonly state: 'reserved' | 'uploading' | 'stored';
  readonly storedAt: number | null;
}

export interface UploadStore {
  /**
   * Hands out a slot unless the owner's stored files, uploads under way and unexpired slots plus
   * this one would pass `quotaBytes` (checked and written in one transaction): false then.
   */
  reserve(upload: Omit<Upload, 'state' | 'storedAt'>, quotaBytes: number, now: number): Promise<boolean>;
  get(id: string): Promise<Upload | undefined>;
  /** One use per slot: a reserved, unexpired slot becomes 'uploading' for exactly one caller. */
  claim(id: string, now: number): Promise<boolean>;
  /** The PUT finished: the file is stored. */
  complete(id: string, now: number): Promise<void>;
  remove(id: string): Promise<void>;
  /** Bytes the owner holds (stored, uploading and unexpired slots). */
  usage(owner: string, now: number): Promise<number>;
  /**
   * Uploads to drop: slots unused past their expiry, PUTs under way for longer than `stuckMs`,
   * files stored before `storedBefore` (null: kept for ever). Removed from the store, returned
   * so their files can go too.
   */
  prune(now: number, stuckMs: number, storedBefore: number | null): Promise<Upload[]>;
}

/** The stores of the state storage, as given to a transaction's work. */
export interface StateStores {
  readonly accounts: AccountStore;
  readonly roster: RosterStore;
  readonly subscriptionRequests: SubscriptionRequestStore;
  readonly offline: OfflineStore;
  readonly vcards: VCardStore;
  readonly archivePreferences: ArchivePreferenceStore;
  readonly archiveIndexQueue: ArchiveIndexQueue;
  readonly keyValue: KeyValueStores;
  readonly fastTokens: FastTokenStore;
  readonly blockLists: BlockListStore;
  readonly uploads: UploadStore;
}

export interface Storage extends StateStores {
  /**
   * Runs `work` as one transaction: every change it makes through `tx` is kept, or none when it
   * throws (the error is rethrown). Transactions are serializable: two never interleave, and
   * outside calls never see one half done. `work` uses only `tx` and does nothing else (no
   * routing, no other I/O): the embedded backend holds the database's write lock meanwhile and
   * refuses a transaction that waits for anything but its stores.
   */
  transaction<T>(work: (tx: StateStores) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

