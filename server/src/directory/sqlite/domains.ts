// SQLite DomainDirectory: served domains, their aliases and per-domain IM settings.

import type BetterSqlite3 from 'better-sqlite3';
import {
  DirectoryConflictError, type DirectoryDomain, type DomainDirectory, type DomainImSettings, type GrantSubject, type ImAccess,
} from '../types.ts';

interface SettingsRow { enabled: number; access: ImAccess }
interface AllowedRow { kind: 'user' | 'group'; subject: string }

export class SqliteDomainDirectory implements DomainDirectory {
  private readonly selectDomains;
  private readonly domainExists;
  private readonly insertDomain;
  private readonly deleteDomain;
  private readonly selectAliases;
  private readonly selectAllAliases;
  private readonly aliasOwner;
  private readonly insertAlias;
  private readonly deleteAlias;
  private readonly selectSettings;
  private readonly upsertSettings;
  private readonly selectAllowed;
  private readonly insertAllowed;
  private readonly deleteAllowed;
  private readonly createTx;
  private readonly addAliasTx;

  constructor(db: BetterSqlite3.Database) {
    this.selectDomains = db.prepare<[], string>('SELECT domain FROM domains ORDER BY domain').pluck();
    this.domainExists = db.prepare<[string], number>('SELECT 1 FROM domains WHERE domain = ?').pluck();
    this.insertDomain = db.prepare<[string]>('INSERT INTO domains (domain) VALUES (?) ON CONFLICT (domain) DO NOTHING');
    this.deleteDomain = db.prepare<[string]>('DELETE FROM domains WHERE domain = ?');
    this.selectAliases = db.prepare<[string], string>('SELECT alias FROM domain_aliases WHERE domain = ? ORDER BY alias').pluck();
    this.selectAllAliases = db.prepare<[], { alias: string; domain: string }>('SELECT alias, domain FROM domain_aliases');
    this.aliasOwner = db.prepare<[string], string>('SELECT domain FROM domain_aliases WHERE alias = ?').pluck();
    this.insertAlias = db.prepare<[string, string]>('INSERT INTO domain_aliases (alias, domain) VALUES (?, ?) ON CONFLICT (alias) DO NOTHING');
    this.deleteAlias = db.prepare<[string, string]>('DELETE FROM domain_aliases WHERE alias = ? AND domain = ?');
    this.selectSettings = db.prepare<[string], SettingsRow>('SELECT enabled, access FROM domain_im_settings WHERE domain = ?');
    this.upsertSettings = db.prepare<[string, number, ImAccess]>(
      `INSERT INTO domain_im_settings (domain, enabled, access) VALUES (?, ?, ?)
       ON CONFLICT (domain) DO UPDATE SET enabled = excluded.enabled, access = excluded.access`,
    );
    this.selectAllowed = db.prepare<[string], AllowedRow>(
      'SELECT kind, subject FROM domain_im_allowed WHERE domain = ? ORDER BY kind, subject',
    );
    this.insertAllowed = db.prepare<[string, string, string]>(
      'INSERT INTO domain_im_allowed (domain, kind, subject) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
    );
    this.deleteAllowed = db.prepare<[string, string, string]>(
      'DELETE FROM domain_im_allowed WHERE domain = ? AND kind = ? AND subject = ?',
    );
    this.createTx = db.transaction((name: string, im: Partial<SettingsRow>): boolean => {
      if (this.aliasOwner.get(name) !== undefined) throw new DirectoryConflictError(`${name} is an alias of ${this.aliasOwner.get(name)}`);
      if (this.insertDomain.run(name).changes === 0) return false;
      this.upsertSettings.run(name, im.enabled ?? 1, im.access ?? 'everyone');
      return true;
    });
    this.addAliasTx = db.transaction((domain: string, alias: string): boolean => {
      if (this.domainExists.get(domain) === undefined) throw new DirectoryConflictError(`${domain} is not served here`);
      if (this.domainExists.get(alias) !== undefined) throw new DirectoryConflictError(`${alias} is a domain of its own`);
      const owner = this.aliasOwner.get(alias);
      if (owner !== undefined && owner !== domain) throw new DirectoryConflictError(`${alias} is already an alias of ${owner}`);
      return this.insertAlias.run(alias, domain).changes > 0;
    });
  }

  async list(): Promise<DirectoryDomain[]> {
    return this.selectDomains.all().map((name) => this.read(name));
  }

  async get(name: string): Promise<DirectoryDomain | null> {
    return this.domainExists.get(name) === undefined ? null : this.read(name);
  }

  async names(): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const domain of this.selectDomains.all()) names.set(domain, domain);
    for (const { alias, domain } of this.selectAllAliases.all()) names.set(alias, domain);
    return names;
  }

  async create(name: string, im: Partial<Pick<DomainImSettings, 'enabled' | 'access'>> = {}): Promise<boolean> {
    return this.createTx.immediate(name, { enabled: im.enabled === undefined ? undefined : Number(im.enabled), access: im.access });
  }

  async remove(name: string): Promise<boolean> {
    return this.deleteDomain.run(name).changes > 0;
  }

  async addAlias(domain: string, alias: string): Promise<boolean> {
    return this.addAliasTx.immediate(domain, alias);
  }

  async removeAlias(domain: string, alias: string): Promise<boolean> {
    return this.deleteAlias.run(alias, domain).changes > 0;
  }

  async setIm(domain: string, settings: Partial<Pick<DomainImSettings, 'enabled' | 'access'>>): Promise<void> {
    const current = this.settings(domain);
    this.upsertSettings.run(domain, Number(settings.enabled ?? current.enabled), settings.access ?? current.access);
  }

  async setImAllowed(domain: string, subject: GrantSubject, allowed: boolean): Promise<boolean> {
    const [kind, name] = 'user' in subject ? ['user', subject.user] : ['group', subject.group];
    const statement = allowed ? this.insertAllowed : this.deleteAllowed;
    return statement.run(domain, kind, name).changes > 0;
  }

  private settings(domain: string): { enabled: boolean; access: ImAccess } {
    const row = this.selectSettings.get(domain);
    return { enabled: row ? row.enabled === 1 : true, access: row?.access ?? 'everyone' };
  }

  private read(name: string): DirectoryDomain {
    const allowed = this.selectAllowed.all(name);
    return {
      name,
      aliases: this.selectAliases.all(name),
      im: {
        ...this.settings(name),
        allowedUsers: allowed.filter((row) => row.kind === 'user').map((row) => row.subject),
        allowedGroups: allowed.filter((row) => row.kind === 'group').map((row) => row.subject),
      },
    };
  }
}
