// DomainDirectory on the query layer: served domains, their aliases, per-domain IM and federation settings.
import {
  DirectoryConflictError, type DirectoryDomain, type DomainDirectory, type DomainFederationSettings, type DomainImSettings,
  type GrantSubject, type ImAccess,
} from '../types.ts';
import { count, type SqlScope } from '../../storage/sql/database.ts';
import type { StateDb } from '../../storage/sql/tables.ts';

async function domainExists(db: StateDb, name: string): Promise<boolean> {
  return (await db.selectFrom('domains').select('domain').where('domain', '=', name).executeTakeFirst()) !== undefined;
}

async function aliasOwner(db: StateDb, alias: string): Promise<string | undefined> {
  return (await db.selectFrom('domain_aliases').select('domain').where('alias', '=', alias).executeTakeFirst())?.domain;
}

async function upsertSettings(db: StateDb, domain: string, enabled: number, access: ImAccess): Promise<void> {
  await db.insertInto('domain_im_settings').values({ domain, enabled, access })
    .onConflict((oc) => oc.column('domain').doUpdateSet({ enabled, access })).execute();
}

async function imSettings(db: StateDb, domain: string): Promise<{ enabled: boolean; access: ImAccess }> {
  const row = await db.selectFrom('domain_im_settings').select(['enabled', 'access']).where('domain', '=', domain).executeTakeFirst();
  return { enabled: row ? Number(row.enabled) === 1 : true, access: row?.access ?? 'everyone' };
}

async function federation(db: StateDb, domain: string): Promise<DomainFederationSettings> {
  const row = await db.selectFrom('domain_federation').select(['enabled', 'certificates']).where('domain', '=', domain).executeTakeFirst();
  const peers = await db.selectFrom('domain_federation_peers').select(['list', 'remote'])
    .where('domain', '=', domain).orderBy('list').orderBy('remote').execute();
  return {
    enabled: row ? Number(row.enabled) === 1 : true,
    certificates: row?.certificates ?? 'default',
    allow: peers.filter((peer) => peer.list === 'allow').map((peer) => peer.remote),
    deny: peers.filter((peer) => peer.list === 'deny').map((peer) => peer.remote),
  };
}

export class SqlDomainDirectory implements DomainDirectory {
  constructor(private readonly scope: SqlScope) {}

  private async domainNames(db: StateDb): Promise<string[]> {
    return (await db.selectFrom('domains').select('domain').orderBy('domain').execute()).map((row) => row.domain);
  }

  async list(): Promise<DirectoryDomain[]> {
    return this.scope.read(async (db) => {
      const out: DirectoryDomain[] = [];
      for (const name of await this.domainNames(db)) out.push(await this.read(db, name));
      return out;
    });
  }

  async get(name: string): Promise<DirectoryDomain | null> {
    return this.scope.read(async (db) => (await domainExists(db, name) ? this.read(db, name) : null));
  }

  async names(): Promise<Map<string, string>> {
    const names = new Map<string, string>();
    for (const domain of await this.domainNames(this.scope.db)) names.set(domain, domain);
    for (const { alias, domain } of await this.scope.db.selectFrom('domain_aliases').select(['alias', 'domain']).execute()) names.set(alias, domain);
    return names;
  }

  async create(name: string, im: Partial<Pick<DomainImSettings, 'enabled' | 'access'>> = {}): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      const owner = await aliasOwner(db, name);
      if (owner !== undefined) throw new DirectoryConflictError(`${name} is an alias of ${owner}`);
      const inserted = await db.insertInto('domains').values({ domain: name }).onConflict((oc) => oc.column('domain').doNothing()).executeTakeFirst();
      if (count(inserted.numInsertedOrUpdatedRows) === 0) return false;
      await upsertSettings(db, name, im.enabled === undefined ? 1 : Number(im.enabled), im.access ?? 'everyone');
      return true;
    });
  }

  async remove(name: string): Promise<boolean> {
    return count((await this.scope.db.deleteFrom('domains').where('domain', '=', name).executeTakeFirst()).numDeletedRows) > 0;
  }

  async addAlias(domain: string, alias: string): Promise<boolean> {
    return this.scope.atomic(async (db) => {
      if (!await domainExists(db, domain)) throw new DirectoryConflictError(`${domain} is not served here`);
      if (await domainExists(db, alias)) throw new DirectoryConflictError(`${alias} is a domain of its own`);
      const owner = await aliasOwner(db, alias);
      if (owner !== undefined && owner !== domain) throw new DirectoryConflictError(`${alias} is already an alias of ${owner}`);
      const inserted = await db.insertInto('domain_aliases').values({ alias, domain }).onConflict((oc) => oc.column('alias').doNothing()).executeTakeFirst();
      return count(inserted.numInsertedOrUpdatedRows) > 0;
    });
  }

  async removeAlias(domain: string, alias: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('domain_aliases').where('alias', '=', alias).where('domain', '=', domain).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async setIm(domain: string, settings: Partial<Pick<DomainImSettings, 'enabled' | 'access'>>): Promise<void> {
    await this.scope.atomic(async (db) => {
      const current = await imSettings(db, domain);
      await upsertSettings(db, domain, Number(settings.enabled ?? current.enabled), settings.access ?? current.access);
    });
  }

  async setImAllowed(domain: string, subject: GrantSubject, allowed: boolean): Promise<boolean> {
    const [kind, name] = 'user' in subject ? ['user' as const, subject.user] : ['group' as const, subject.group];
    const db = this.scope.db;
    if (allowed) {
      const inserted = await db.insertInto('domain_im_allowed').values({ domain, kind, subject: name })
        .onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return count(inserted.numInsertedOrUpdatedRows) > 0;
    }
    const deleted = await db.deleteFrom('domain_im_allowed').where('domain', '=', domain).where('kind', '=', kind)
      .where('subject', '=', name).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async setFederation(domain: string, settings: Partial<DomainFederationSettings>): Promise<void> {
    await this.scope.atomic(async (db) => {
      if (!await domainExists(db, domain)) throw new DirectoryConflictError(`${domain} is not served here`);
      const current = await federation(db, domain);
      const enabled = Number(settings.enabled ?? current.enabled);
      const certificates = settings.certificates ?? current.certificates;
      await db.insertInto('domain_federation').values({ domain, enabled, certificates })
        .onConflict((oc) => oc.column('domain').doUpdateSet({ enabled, certificates })).execute();
      for (const list of ['allow', 'deny'] as const) {
        const remotes = settings[list];
        if (!remotes) continue;
        await db.deleteFrom('domain_federation_peers').where('domain', '=', domain).where('list', '=', list).execute();
        for (const remote of remotes) {
          await db.insertInto('domain_federation_peers').values({ domain, list, remote }).onConflict((oc) => oc.doNothing()).execute();
        }
      }
    });
  }

  private async read(db: StateDb, name: string): Promise<DirectoryDomain> {
    const allowed = await db.selectFrom('domain_im_allowed').select(['kind', 'subject'])
      .where('domain', '=', name).orderBy('kind').orderBy('subject').execute();
    const aliases = await db.selectFrom('domain_aliases').select('alias').where('domain', '=', name).orderBy('alias').execute();
    return {
      name,
      aliases: aliases.map((row) => row.alias),
      im: {
        ...await imSettings(db, name),
        allowedUsers: allowed.filter((row) => row.kind === 'user').map((row) => row.subject),
        allowedGroups: allowed.filter((row) => row.kind === 'group').map((row) => row.subject),
      },
      federation: await federation(db, name),
    };
  }
}
