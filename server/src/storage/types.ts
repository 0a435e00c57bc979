// Backend-neutral storage interfaces. Every method returns a Promise so that a
// networked backend (PostgreSQL) can implement the same contract later, even
// though the embedded SQLite backend does its work synchronously.
//
// All JIDs passed in are already normalized strings (RFC 7622): bare JIDs such
// as 'alice@example.com', domains such as 'example.com'.

export { StorageConflictError, StorageNotFoundError } from './errors.ts';
import type { Directory } from '../directory/types.ts';

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
  /** Replaces all credentials; throws StorageNotFoundError if there is no account. */
  setCredentials(jid: string, credentials: ScramCredential[]): Promise<void>;
  /**
   * Deletes the account and its own data (credentials, roster, roster version,
   * pending inbound subscription requests, offline messages, vCard). Other
   * users' rosters and requests are left untouched.
   */
  delete(jid: string): Promise<boolean>;
  listByDomain(domain: string): Promise<Account[]>;
}

export interface DomainStore {
  /** Returns true if the domain was added, false if it was already present. */
  add(domain: string): Promise<boolean>;
  /** Returns true if the domain was removed, false if it was absent. */
  remove(domain: string): Promise<boolean>;
  list(): Promise<string[]>;
  has(domain: string): Promise<boolean>;
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

/** Suite events written by one process (the CLI) for another (the running server) to pick up. */
export interface SuiteEventLog {
  /** Appends a serialized event; returns its id (ids only grow). */
  append(event: string, at: number): Promise<number>;
  /** Entries after `id`, oldest first (a bounded batch). */
  since(id: number): Promise<Array<{ id: number; event: string }>>;
  lastId(): Promise<number>;
}

export interface Storage {
  accounts: AccountStore;
  domains: DomainStore;
  roster: RosterStore;
  subscriptionRequests: SubscriptionRequestStore;
  offline: OfflineStore;
  vcards: VCardStore;
  /** The embedded suite directory (directory/types.ts). */
  directory: Directory;
  suiteEvents: SuiteEventLog;
  close(): Promise<void>;
}

/**
 * A module's named store (core ModuleContext.store(name)): text values by owner (a bare JID or a
 * domain) and key, kept in the configured state storage.
 */
export interface KeyValueStore {
  get(owner: string, key: string): Promise<string | null>;
  set(owner: string, key: string, value: string): Promise<void>;
  /** Returns true if a value was removed. */
  delete(owner: string, key: string): Promise<boolean>;
}
