// The suite directory: domains (with aliases and IM settings), users, groups, roles and address-book
// cards. The embedded store implements it on the state storage's database (directory/sql/: SQLite or PostgreSQL); an external suite
// directory can implement the same interface later. All JIDs are normalized bare JIDs (RFC 7622).

/** The role that lets a user use instant messaging (granted to a user or a group). */
export const IM_ROLE = 'im';

/** The role that makes a user an administrator of their domain (XEP-0133 service administration). */
export const ADMIN_ROLE = 'im-admin';

/**
 * Who may use IM on a domain:
 * - 'everyone': every enabled user of the domain (the default: `parley domain add` + `parley user add` just works);
 * - 'restricted': users holding the IM role (directly or through a group) and, when the domain has an
 *   allow-list, on it (directly or through a group).
 */
export type ImAccess = 'everyone' | 'restricted';

export interface DomainImSettings {
  enabled: boolean;
  access: ImAccess;
  /** Allow-list for 'restricted' domains; empty = anyone with the role. */
  allowedUsers: string[];
  allowedGroups: string[];
}

/**
 * Whether a peer's certificate must verify (XEP-0178) or dialback may prove it (XEP-0220);
 * 'default': the server's s2s.certificates.
 */
export type FederationCertificates = 'default' | 'allow-dialback' | 'require-valid';

/** The suite's "connect to the internet" choice for a domain: federation, with whom, how strictly. */
export interface DomainFederationSettings {
  enabled: boolean;
  certificates: FederationCertificates;
  /** Non-empty: only these remote domains (and their subdomains). */
  allow: string[];
  /** Never these remote domains (and their subdomains). */
  deny: string[];
}

export interface DirectoryDomain {
  name: string;
  aliases: string[];
  im: DomainImSettings;
  federation: DomainFederationSettings;
}

export interface DirectoryUser {
  /** The login, the default email address and the JID: one and the same. */
  jid: string;
  displayName: string | null;
  /** The default address (= jid) first, then the other addresses. */
  emails: string[];
  enabled: boolean;
  /** Hex SHA-1 of the directory photo (XEP-0153), '' when none. */
  photoHash: string;
  groups: string[];
  /** Roles held directly (not through groups). */
  roles: string[];
}

export interface Photo {
  /** MIME type, e.g. image/png */
  type: string;
  data: Buffer;
}

export interface CardEmail {
  address: string;
  /** vCard types: WORK, HOME, INTERNET… */
  types?: string[];
}

export interface CardTel {
  number: string;
  /** vCard types: WORK, HOME, CELL, VOICE… */
  types?: string[];
}

/** An address-book card (the vCard fields the directory owns: XEP-0054 names). */
export interface AddressCard {
  fn?: string;
  n?: { family?: string; given?: string; middle?: string; prefix?: string; suffix?: string };
  emails?: CardEmail[];
  tels?: CardTel[];
  org?: { name?: string; unit?: string };
  title?: string;
}

export interface Group {
  name: string;
  description: string | null;
  members: string[];
  roles: string[];
}

export type GrantSubject = { user: string } | { group: string };

/**
 * Domains and their IM settings. Reads are what the XMPP side needs; writes are used by the admin
 * service (an external, read-only suite directory may refuse them).
 */
export interface DomainDirectory {
  list(): Promise<DirectoryDomain[]>;
  get(name: string): Promise<DirectoryDomain | null>;
  /** Every served name (domains and aliases) → its canonical domain. */
  names(): Promise<Map<string, string>>;
  /** Adds the domain if absent (IM settings only when it is new); false when it was already there. */
  create(name: string, im?: Partial<Pick<DomainImSettings, 'enabled' | 'access'>>): Promise<boolean>;
  remove(name: string): Promise<boolean>;
  /** Throws DirectoryConflictError when the alias is a domain or another domain's alias. */
  addAlias(domain: string, alias: string): Promise<boolean>;
  removeAlias(domain: string, alias: string): Promise<boolean>;
  setIm(domain: string, settings: Partial<Pick<DomainImSettings, 'enabled' | 'access'>>): Promise<void>;
  setImAllowed(domain: string, subject: GrantSubject, allowed: boolean): Promise<boolean>;
  /** Change the federation settings; a list given replaces the stored one. */
  setFederation(domain: string, settings: Partial<DomainFederationSettings>): Promise<void>;
}

/** Users (accounts: storage.accounts creates and deletes them) with their directory data. */
export interface UserDirectory {
  /** A login or email address (user@domain, user@alias, an extra address) → the account's JID; null when none. */
  resolve(address: string): Promise<string | null>;
  get(jid: string): Promise<DirectoryUser | null>;
  list(domain: string): Promise<DirectoryUser[]>;
  setEnabled(jid: string, enabled: boolean): Promise<boolean>;
  setDisplayName(jid: string, name: string | null): Promise<boolean>;
  /** Throws DirectoryConflictError when the address belongs to someone else. */
  addEmail(jid: string, address: string): Promise<boolean>;
  removeEmail(jid: string, address: string): Promise<boolean>;
  getCard(jid: string): Promise<AddressCard | null>;
  setCard(jid: string, card: AddressCard): Promise<void>;
  getPhoto(jid: string): Promise<Photo | null>;
  /** Stores the photo (null removes it); returns its hex SHA-1 ('' for none). */
  setPhoto(jid: string, photo: Photo | null): Promise<string>;
}

/** Groups, their members and the roles granted to users and groups. */
export interface GroupDirectory {
  /** Groups the user is a member of. */
  of(jid: string): Promise<string[]>;
  /** The user holds the role directly or through one of their groups. */
  holdsRole(jid: string, role: string): Promise<boolean>;
  get(name: string): Promise<Group | null>;
  list(): Promise<Group[]>;
  create(name: string, description?: string | null): Promise<boolean>;
  delete(name: string): Promise<boolean>;
  addMember(group: string, jid: string): Promise<boolean>;
  removeMember(group: string, jid: string): Promise<boolean>;
  grantRole(role: string, subject: GrantSubject): Promise<boolean>;
  revokeRole(role: string, subject: GrantSubject): Promise<boolean>;
}

export interface Directory {
  readonly domains: DomainDirectory;
  readonly users: UserDirectory;
  readonly groups: GroupDirectory;
}

/** A name is taken (an alias that is a domain, an email address of another user). */
export class DirectoryConflictError extends Error {
  override name = 'DirectoryConflictError';
}
