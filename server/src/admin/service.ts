// The admin operations on the embedded directory, shared by the admin HTTP API (admin/http.ts), the
// `parley` CLI and the suite's bus (suite-bus/nats.ts). Each change is announced as a suite event, which a
// running server acts on at once (modules/suite-sync.ts, the host table): new domains are served, removed ones
// close their sessions, a revoked role or a disabled user ends the user's sessions.
import { InvalidJidError, normalizeDomain, parseJid } from '@parley/shared';
import { deriveAllCredentials } from '../sasl/index.ts';
import { StorageConflictError, type Storage } from '../storage/index.ts';
import {
  DirectoryConflictError, type AddressCard, type Directory, type DirectoryDomain, type DirectoryUser, type DomainFederationSettings,
  type Group, type ImAccess,
} from '../directory/types.ts';
import type { SuiteEventPublisher } from '../directory/suite-events.ts';
import { AdminError } from './errors.ts';
import { MAX_PHOTO_BYTES, type Subject } from './schemas.ts';
import { AdminComponents } from './components.ts';

export { AdminError };

export interface NewUser {
  /** Local password (SCRAM verifiers); none for single sign-on or core-auth users. */
  password?: string | undefined;
  displayName?: string | null | undefined;
  /** Extra email addresses (the default one is the JID). */
  emails?: string[] | undefined;
  enabled?: boolean | undefined;
}

/** A FAST token as the admin sees it. */
export interface FastTokenListing {
  /** The client's SASL2 user-agent id. */
  client: string;
  userAgent: string | null;
  mechanism: string;
  /** 'new' until the client first used it (XEP-0484 §5.1). */
  slot: 'new' | 'current';
  issuedAt: string;
  expiresAt: string;
}

export class AdminService {
  /** External components (XEP-0114): listed, added and removed at run time (admin/components.ts). */
  readonly components: AdminComponents;

  constructor(private readonly storage: Storage, private readonly directory: Directory, private readonly events: SuiteEventPublisher,
    /** The component domains of the configuration file (components.services). */
    configuredComponents: readonly string[] = []) {
    this.components = new AdminComponents(storage, directory, events, configuredComponents);
  }

  // ---- domains ----

  listDomains(): Promise<DirectoryDomain[]> {
    return this.directory.domains.list();
  }

  async getDomain(name: string): Promise<DirectoryDomain> {
    const domain = await this.directory.domains.get(this.domainName(name));
    if (!domain) throw new AdminError(`${name} is not served here`, 'not-found');
    return domain;
  }

  /** Serve a domain (IM enabled for everyone unless `im` says otherwise); false when it was already served. */
  async addDomain(name: string, options: { aliases?: string[] | undefined; im?: { enabled?: boolean | undefined; access?: ImAccess | undefined } | undefined } = {}): Promise<boolean> {
    const domain = this.domainName(name);
    const im: { enabled?: boolean; access?: ImAccess } = {};
    if (options.im?.enabled !== undefined) im.enabled = options.im.enabled;
    if (options.im?.access !== undefined) im.access = options.im.access;
    const added = await this.conflicts(() => this.directory.domains.create(domain, im));
    if (added) await this.events.publish({ type: 'domain.created', domain });
    for (const alias of options.aliases ?? []) await this.addAlias(domain, alias);
    return added;
  }

  async removeDomain(name: string): Promise<void> {
    const domain = this.domainName(name);
    if (!(await this.directory.domains.remove(domain))) throw new AdminError(`${domain} is not served here`, 'not-found');
    await this.events.publish({ type: 'domain.removed', domain });
  }

  async addAlias(domainName: string, aliasName: string): Promise<boolean> {
    const domain = (await this.getDomain(domainName)).name;
    const added = await this.conflicts(() => this.directory.domains.addAlias(domain, this.domainName(aliasName)));
    if (added) await this.events.publish({ type: 'domain.aliases', domain });
    return added;
  }

  async removeAlias(domainName: string, aliasName: string): Promise<void> {
    const domain = (await this.getDomain(domainName)).name;
    const alias = this.domainName(aliasName);
    if (!(await this.directory.domains.removeAlias(domain, alias))) throw new AdminError(`${alias} is not an alias of ${domain}`, 'not-found');
    await this.events.publish({ type: 'domain.aliases', domain });
  }

  /** The domain's IM switch and access mode (directory/types.ts ImAccess). */
  async setDomainIm(domainName: string, settings: { enabled?: boolean | undefined; access?: ImAccess | undefined }): Promise<DirectoryDomain> {
    const domain = (await this.getDomain(domainName)).name;
    const change: { enabled?: boolean; access?: ImAccess } = {};
    if (settings.enabled !== undefined) change.enabled = settings.enabled;
    if (settings.access !== undefined) change.access = settings.access;
    await this.directory.domains.setIm(domain, change);
    await this.events.publish({ type: 'domain.im', domain });
    return this.getDomain(domain);
  }

  /** Federation for a served domain: on or off, the certificate policy, allow and deny lists of remote domains (replaced when given). */
  async setDomainFederation(domainName: string, settings: { [K in keyof DomainFederationSettings]?: DomainFederationSettings[K] | undefined }): Promise<DirectoryDomain> {
    const domain = (await this.getDomain(domainName)).name;
    const change: Partial<DomainFederationSettings> = {};
    if (settings.enabled !== undefined) change.enabled = settings.enabled;
    if (settings.certificates !== undefined) change.certificates = settings.certificates;
    for (const list of ['allow', 'deny'] as const) {
      const remotes = settings[list];
      if (remotes === undefined) continue;
      change[list] = [...new Set(remotes.map((remote) => {
        try {
          return normalizeDomain(remote);
        } catch {
          throw new AdminError(`${remote} is not a domain name`);
        }
      }))];
    }
    await this.directory.domains.setFederation(domain, change);
    await this.events.publish({ type: 'domain.federation', domain });
    return this.getDomain(domain);
  }

  /** Put a user or group on (or off) the domain's IM allow-list. */
  async setDomainImAllowed(domainName: string, subject: Subject, allowed: boolean): Promise<DirectoryDomain> {
    const domain = (await this.getDomain(domainName)).name;
    const resolved = await this.subject(subject, allowed);
    await this.directory.domains.setImAllowed(domain, resolved, allowed);
    await this.events.publish({ type: 'domain.im', domain });
    return this.getDomain(domain);
  }

  // ---- users ----

  async listUsers(domainName: string): Promise<DirectoryUser[]> {
    return this.directory.users.list((await this.getDomain(domainName)).name);
  }

  async getUser(jidText: string): Promise<DirectoryUser> {
    const user = await this.directory.users.get(await this.existingUser(jidText));
    if (!user) throw new AdminError(`${jidText} does not exist`, 'not-found');
    return user;
  }

  async addUser(jidText: string, options: NewUser = {}): Promise<string> {
    const jid = this.parseUser(jidText);
    const domain = (await this.directory.domains.names()).get(jid.domain);
    if (!domain) throw new AdminError(`${jid.domain} is not served here; add it first with: parley domain add ${jid.domain}`);
    const bare = `${jid.local}@${domain}`;
    if (options.password !== undefined && options.password.length === 0) throw new AdminError('the password must not be empty');
    if ((await this.directory.users.resolve(bare)) !== null) throw new AdminError(`${bare} already exists`, 'conflict');
    try {
      await this.storage.accounts.create(bare, options.password ? await deriveAllCredentials(options.password) : [], options.displayName ?? null);
    } catch (error) {
      if (error instanceof StorageConflictError) throw new AdminError(`${bare} already exists`, 'conflict');
      throw error;
    }
    if (options.enabled === false) await this.directory.users.setEnabled(bare, false);
    for (const address of options.emails ?? []) await this.conflicts(() => this.directory.users.addEmail(bare, this.address(address)));
    await this.events.publish({ type: 'user.created', jid: bare });
    return bare;
  }

  async setPassword(jidText: string, password: string): Promise<void> {
    const jid = await this.existingUser(jidText);
    if (password.length === 0) throw new AdminError('the password must not be empty');
    await this.storage.accounts.setCredentials(jid, await deriveAllCredentials(password));
  }

  async updateUser(jidText: string, change: { displayName?: string | null | undefined; enabled?: boolean | undefined; password?: string | undefined }): Promise<DirectoryUser> {
    const jid = await this.existingUser(jidText);
    if (change.password !== undefined) await this.setPassword(jid, change.password);
    if (change.displayName !== undefined) await this.directory.users.setDisplayName(jid, change.displayName);
    if (change.enabled !== undefined) await this.directory.users.setEnabled(jid, change.enabled);
    if (change.displayName !== undefined || change.enabled !== undefined) await this.events.publish({ type: 'user.updated', jid });
    return this.getUser(jid);
  }

  async deleteUser(jidText: string): Promise<void> {
    const jid = await this.existingUser(jidText);
    if (!(await this.storage.accounts.delete(jid))) throw new AdminError(`${jid} does not exist`, 'not-found');
    await this.events.publish({ type: 'user.deleted', jid });
  }

  // ---- FAST tokens (XEP-0484) ----

  /** The account's valid sign-in tokens: which client holds each, never the token itself. */
  async listTokens(jidText: string): Promise<FastTokenListing[]> {
    const jid = await this.existingUser(jidText);
    const now = Date.now();
    return (await this.storage.fastTokens.forAccount(jid)).filter((token) => token.expiresAt > now).map((token) => ({
      client: token.clientId, userAgent: token.userAgent, mechanism: token.mechanism, slot: token.slot,
      issuedAt: new Date(token.issuedAt).toISOString(), expiresAt: new Date(token.expiresAt).toISOString(),
    }));
  }

  /**
   * Revokes one client's tokens (the client then signs in with its password again), or all of the
   * account's; returns how many went. Sessions already open stay open.
   */
  async revokeTokens(jidText: string, client?: string): Promise<number> {
    const jid = await this.existingUser(jidText);
    if (client === undefined) return this.storage.fastTokens.removeAccount(jid);
    const removed = await this.storage.fastTokens.remove(jid, client);
    if (removed === 0) throw new AdminError(`${jid} has no tokens for client ${client}`, 'not-found');
    return removed;
  }

  async addEmail(jidText: string, address: string): Promise<DirectoryUser> {
    const jid = await this.existingUser(jidText);
    await this.conflicts(() => this.directory.users.addEmail(jid, this.address(address)));
    await this.events.publish({ type: 'user.card', jid });
    return this.getUser(jid);
  }

  async removeEmail(jidText: string, address: string): Promise<DirectoryUser> {
    const jid = await this.existingUser(jidText);
    if (!(await this.directory.users.removeEmail(jid, this.address(address)))) throw new AdminError(`${address} is not an address of ${jid}`, 'not-found');
    await this.events.publish({ type: 'user.card', jid });
    return this.getUser(jid);
  }

  async getCard(jidText: string): Promise<AddressCard> {
    return (await this.directory.users.getCard(await this.existingUser(jidText))) ?? {};
  }

  async setCard(jidText: string, card: AddressCard): Promise<void> {
    const jid = await this.existingUser(jidText);
    await this.directory.users.setCard(jid, card);
    await this.events.publish({ type: 'user.card', jid });
  }

  /** Set (or with null, remove) the directory photo; returns its XEP-0153 hash. */
  async setPhoto(jidText: string, photo: { type: string; data: Buffer } | null): Promise<string> {
    const jid = await this.existingUser(jidText);
    if (photo && photo.data.length > MAX_PHOTO_BYTES) throw new AdminError(`the photo is larger than ${MAX_PHOTO_BYTES} bytes`);
    if (photo && photo.data.length === 0) throw new AdminError('the photo is empty');
    const hash = await this.directory.users.setPhoto(jid, photo);
    await this.events.publish({ type: 'user.photo', jid });
    return hash;
  }

  // ---- groups and roles ----

  listGroups(): Promise<Group[]> {
    return this.directory.groups.list();
  }

  async getGroup(name: string): Promise<Group> {
    const group = await this.directory.groups.get(name);
    if (!group) throw new AdminError(`there is no group ${name}`, 'not-found');
    return group;
  }

  async createGroup(name: string, description: string | null = null): Promise<boolean> {
    if (name.trim() === '' || name.includes('/')) throw new AdminError(`${JSON.stringify(name)} is not a group name`);
    return this.directory.groups.create(name, description);
  }

  async deleteGroup(name: string): Promise<void> {
    const { members } = await this.getGroup(name);
    await this.directory.groups.delete(name);
    await this.events.publish({ type: 'group.changed', group: name, members });
  }

  async addMember(group: string, jidText: string): Promise<Group> {
    const jid = await this.existingUser(jidText);
    await this.getGroup(group);
    if (await this.directory.groups.addMember(group, jid)) await this.events.publish({ type: 'group.changed', group, members: [jid] });
    return this.getGroup(group);
  }

  async removeMember(group: string, jidText: string): Promise<Group> {
    const jid = await this.existingUser(jidText);
    if (!(await this.directory.groups.removeMember(group, jid))) throw new AdminError(`${jid} is not a member of ${group}`, 'not-found');
    await this.events.publish({ type: 'group.changed', group, members: [jid] });
    return this.getGroup(group);
  }

  /**
   * Gives a group a room (a bare room JID on a served MUC service), or takes it away (null): the
   * running server's MUC service makes the group's members the room's members, live (issue 13).
   */
  async setGroupRoom(group: string, roomText: string | null): Promise<{ group: string; room: string | null }> {
    await this.getGroup(group);
    let room: string | null = null;
    if (roomText !== null) {
      let jid;
      try {
        jid = parseJid(roomText.trim());
      } catch {
        throw new AdminError(`${JSON.stringify(roomText)} is not a room JID`);
      }
      if (!jid.local || jid.resource) throw new AdminError(`${JSON.stringify(roomText)} is not a room JID (room@service)`);
      room = jid.bare;
    }
    await this.events.publish({ type: 'group.room', group, room });
    return { group, room };
  }

  async grantRole(role: string, subject: Subject): Promise<boolean> {
    const resolved = await this.subject(subject, true);
    const granted = await this.conflicts(() => this.directory.groups.grantRole(role, resolved));
    if (granted) await this.events.publish({ type: 'role.changed', role, ...resolved });
    return granted;
  }

  async revokeRole(role: string, subject: Subject): Promise<boolean> {
    const resolved = await this.subject(subject, false);
    const revoked = await this.directory.groups.revokeRole(role, resolved);
    if (revoked) await this.events.publish({ type: 'role.changed', role, ...resolved });
    return revoked;
  }

  // ---- names ----

  /** A domain in its canonical form (RFC 7622 §3.2: IDNA2008, U-labels); a clear error otherwise. */
  private domainName(name: string): string {
    try {
      return normalizeDomain(name.trim());
    } catch (error) {
      throw new AdminError(`${JSON.stringify(name)} is not a domain name${error instanceof InvalidJidError ? `: ${error.message}` : ''}`);
    }
  }

  /** A user JID in its canonical form (RFC 7622: PRECIS), or why it is not one (look-alike characters…). */
  private parseUser(jidText: string) {
    let jid;
    try {
      jid = parseJid(jidText.trim());
    } catch (error) {
      throw new AdminError(`${JSON.stringify(jidText)} is not a valid user JID like alice@example.com${error instanceof InvalidJidError ? `: ${error.message}` : ''}`);
    }
    if (!jid.local || !jid.isBare) throw new AdminError(`${jidText} is not a user JID like alice@example.com`);
    return jid;
  }

  private address(text: string): string {
    return this.parseUser(text).bare;
  }

  /** The account a JID (or alias address, or extra email address) names; 404 when none. */
  private async existingUser(jidText: string): Promise<string> {
    const jid = this.parseUser(jidText);
    const account = await this.directory.users.resolve(jid.bare);
    if (!account) throw new AdminError(`${jid.bare} does not exist`, 'not-found');
    return account;
  }

  /** A grant subject with the user's JID resolved; a revocation also accepts a user that is gone. */
  private async subject(subject: Subject, mustExist: boolean): Promise<{ user: string } | { group: string }> {
    if ('group' in subject) {
      if (mustExist) await this.getGroup(subject.group);
      return { group: subject.group };
    }
    if (mustExist) return { user: await this.existingUser(subject.user) };
    return { user: (await this.directory.users.resolve(this.address(subject.user))) ?? this.address(subject.user) };
  }

  private async conflicts<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (error instanceof DirectoryConflictError) throw new AdminError(error.message, 'conflict');
      throw error;
    }
  }
}
