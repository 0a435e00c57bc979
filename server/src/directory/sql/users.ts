// UserDirectory on the query layer: the directory side of accounts — enabled flag, display name,
// email addresses, address-book card and photo. Accounts themselves are created by storage.accounts.
import { createHash } from 'node:crypto';
import {
  DirectoryConflictError, type AddressCard, type DirectoryUser, type Photo, type UserDirectory,
} from '../types.ts';
import { count, type SqlScope } from '../../storage/sql/database.ts';
import type { StateDb } from '../../storage/sql/tables.ts';

interface UserRow { jid: string; name: string | null; enabled: number; photo_hash: string | null }

function selectUsers(db: StateDb) {
  return db.selectFrom('accounts as a').leftJoin('address_cards as c', 'c.jid', 'a.jid')
    .select(['a.jid', 'a.name', 'a.enabled', 'c.photo_hash']);
}

async function accountExists(db: StateDb, jid: string): Promise<boolean> {
  return (await db.selectFrom('accounts').select('jid').where('jid', '=', jid).executeTakeFirst()) !== undefined;
}

async function emailOwner(db: StateDb, address: string): Promise<string | undefined> {
  return (await db.selectFrom('user_emails').select('jid').where('address', '=', address).executeTakeFirst())?.jid;
}

export class SqlUserDirectory implements UserDirectory {
  constructor(private readonly scope: SqlScope) {}

  async resolve(address: string): Promise<string | null> {
    return this.scope.read(async (db) => {
      if (await accountExists(db, address)) return address;
      const at = address.lastIndexOf('@');
      if (at <= 0) return null;
      const domainPart = address.slice(at + 1);
      const domain = (await db.selectFrom('domains').select('domain').where('domain', '=', domainPart)
        .unionAll(db.selectFrom('domain_aliases').select('domain').where('alias', '=', domainPart))
        .limit(1).executeTakeFirst())?.domain;
      const canonical = domain === undefined ? null : `${address.slice(0, at)}@${domain}`;
      if (canonical && await accountExists(db, canonical)) return canonical;
      return (await emailOwner(db, address)) ?? (canonical ? await emailOwner(db, canonical) : undefined) ?? null;
    });
  }

  async get(jid: string): Promise<DirectoryUser | null> {
    return this.scope.read(async (db) => {
      const row = await selectUsers(db).where('a.jid', '=', jid).executeTakeFirst();
      return row ? this.toUser(db, row) : null;
    });
  }

  async list(domain: string): Promise<DirectoryUser[]> {
    return this.scope.read(async (db) => {
      const out: DirectoryUser[] = [];
      for (const row of await selectUsers(db).where('a.domain', '=', domain).orderBy('a.username').execute()) out.push(await this.toUser(db, row));
      return out;
    });
  }

  async setEnabled(jid: string, enabled: boolean): Promise<boolean> {
    const updated = await this.scope.db.updateTable('accounts').set({ enabled: Number(enabled) }).where('jid', '=', jid).executeTakeFirst();
    return count(updated.numUpdatedRows) > 0;
  }

  async setDisplayName(jid: string, name: string | null): Promise<boolean> {
    const updated = await this.scope.db.updateTable('accounts').set({ name }).where('jid', '=', jid).executeTakeFirst();
    return count(updated.numUpdatedRows) > 0;
  }

  async addEmail(jid: string, address: string): Promise<boolean> {
    if (address === jid) return false; // the default address is the JID itself
    return this.scope.atomic(async (db) => {
      if (await accountExists(db, address)) throw new DirectoryConflictError(`${address} is another user's login`);
      const owner = await emailOwner(db, address);
      if (owner !== undefined && owner !== jid) throw new DirectoryConflictError(`${address} belongs to ${owner}`);
      const inserted = await db.insertInto('user_emails').values({ address, jid }).onConflict((oc) => oc.doNothing()).executeTakeFirst();
      return count(inserted.numInsertedOrUpdatedRows) > 0;
    });
  }

  async removeEmail(jid: string, address: string): Promise<boolean> {
    const deleted = await this.scope.db.deleteFrom('user_emails').where('address', '=', address).where('jid', '=', jid).executeTakeFirst();
    return count(deleted.numDeletedRows) > 0;
  }

  async getCard(jid: string): Promise<AddressCard | null> {
    const row = await this.scope.db.selectFrom('address_cards').select('card').where('jid', '=', jid).executeTakeFirst();
    return row === undefined ? null : (JSON.parse(row.card) as AddressCard);
  }

  async setCard(jid: string, card: AddressCard): Promise<void> {
    const text = JSON.stringify(card);
    await this.scope.db.insertInto('address_cards').values({ jid, card: text })
      .onConflict((oc) => oc.column('jid').doUpdateSet({ card: text })).execute();
  }

  async getPhoto(jid: string): Promise<Photo | null> {
    const row = await this.scope.db.selectFrom('address_cards').select(['photo_type', 'photo']).where('jid', '=', jid).executeTakeFirst();
    return row?.photo && row.photo_type ? { type: row.photo_type, data: Buffer.from(row.photo) } : null;
  }

  async setPhoto(jid: string, photo: Photo | null): Promise<string> {
    // XEP-0153 §4.1: the avatar hash is the hex SHA-1 of the image bytes.
    const hash = photo ? createHash('sha1').update(photo.data).digest('hex') : '';
    const fields = { photo_type: photo?.type ?? null, photo: photo ? Buffer.from(photo.data) : null, photo_hash: hash };
    await this.scope.db.insertInto('address_cards').values({ jid, ...fields })
      .onConflict((oc) => oc.column('jid').doUpdateSet(fields)).execute();
    return hash;
  }

  private async toUser(db: StateDb, row: UserRow): Promise<DirectoryUser> {
    const emails = await db.selectFrom('user_emails').select('address').where('jid', '=', row.jid).orderBy('address').execute();
    const groups = await db.selectFrom('group_members').select('group_name').where('jid', '=', row.jid).orderBy('group_name').execute();
    const roles = await db.selectFrom('role_grants').select('role').where('kind', '=', 'user').where('subject', '=', row.jid).orderBy('role').execute();
    return {
      jid: row.jid,
      displayName: row.name,
      emails: [row.jid, ...emails.map((email) => email.address)],
      enabled: Number(row.enabled) === 1,
      photoHash: row.photo_hash ?? '',
      groups: groups.map((group) => group.group_name),
      roles: roles.map((role) => role.role),
    };
  }
}
