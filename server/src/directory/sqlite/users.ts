// SQLite UserDirectory: the directory side of accounts — enabled flag, display name, email
// addresses, address-book card and photo. Accounts themselves are created by storage.accounts.

import { createHash } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import {
  DirectoryConflictError, type AddressCard, type DirectoryUser, type Photo, type UserDirectory,
} from '../types.ts';

interface UserRow { jid: string; name: string | null; enabled: number; photo_hash: string | null }
interface PhotoRow { photo_type: string | null; photo: Buffer | null }

const USER_COLUMNS = `a.jid, a.name, a.enabled, c.photo_hash
  FROM accounts a LEFT JOIN address_cards c ON c.jid = a.jid`;

export class SqliteUserDirectory implements UserDirectory {
  private readonly selectUser;
  private readonly selectByDomain;
  private readonly canonicalDomain;
  private readonly accountExists;
  private readonly emailOwner;
  private readonly selectEmails;
  private readonly insertEmail;
  private readonly deleteEmail;
  private readonly updateEnabled;
  private readonly updateName;
  private readonly selectGroups;
  private readonly selectRoles;
  private readonly selectCard;
  private readonly upsertCard;
  private readonly selectPhoto;
  private readonly upsertPhoto;
  private readonly addEmailTx;

  constructor(db: BetterSqlite3.Database) {
    this.selectUser = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} WHERE a.jid = ?`);
    this.selectByDomain = db.prepare<[string], UserRow>(`SELECT ${USER_COLUMNS} WHERE a.domain = ? ORDER BY a.username`);
    this.canonicalDomain = db.prepare<[string, string], string>(
      'SELECT domain FROM domains WHERE domain = ? UNION ALL SELECT domain FROM domain_aliases WHERE alias = ? LIMIT 1',
    ).pluck();
    this.accountExists = db.prepare<[string], number>('SELECT 1 FROM accounts WHERE jid = ?').pluck();
    this.emailOwner = db.prepare<[string], string>('SELECT jid FROM user_emails WHERE address = ?').pluck();
    this.selectEmails = db.prepare<[string], string>('SELECT address FROM user_emails WHERE jid = ? ORDER BY address').pluck();
    this.insertEmail = db.prepare<[string, string]>('INSERT INTO user_emails (address, jid) VALUES (?, ?) ON CONFLICT DO NOTHING');
    this.deleteEmail = db.prepare<[string, string]>('DELETE FROM user_emails WHERE address = ? AND jid = ?');
    this.updateEnabled = db.prepare<[number, string]>('UPDATE accounts SET enabled = ? WHERE jid = ?');
    this.updateName = db.prepare<[string | null, string]>('UPDATE accounts SET name = ? WHERE jid = ?');
    this.selectGroups = db.prepare<[string], string>('SELECT group_name FROM group_members WHERE jid = ? ORDER BY group_name').pluck();
    this.selectRoles = db.prepare<[string], string>(
      "SELECT role FROM role_grants WHERE kind = 'user' AND subject = ? ORDER BY role",
    ).pluck();
    this.selectCard = db.prepare<[string], string>('SELECT card FROM address_cards WHERE jid = ?').pluck();
    this.upsertCard = db.prepare<[string, string]>(
      'INSERT INTO address_cards (jid, card) VALUES (?, ?) ON CONFLICT (jid) DO UPDATE SET card = excluded.card',
    );
    this.selectPhoto = db.prepare<[string], PhotoRow>('SELECT photo_type, photo FROM address_cards WHERE jid = ?');
    this.upsertPhoto = db.prepare<[string, string | null, Buffer | null, string]>(
      `INSERT INTO address_cards (jid, photo_type, photo, photo_hash) VALUES (?, ?, ?, ?)
       ON CONFLICT (jid) DO UPDATE SET photo_type = excluded.photo_type, photo = excluded.photo, photo_hash = excluded.photo_hash`,
    );
    this.addEmailTx = db.transaction((jid: string, address: string): boolean => {
      if (address === jid) return false; // the default address is the JID itself
      if (this.accountExists.get(address) !== undefined) throw new DirectoryConflictError(`${address} is another user's login`);
      const owner = this.emailOwner.get(address);
      if (owner !== undefined && owner !== jid) throw new DirectoryConflictError(`${address} belongs to ${owner}`);
      return this.insertEmail.run(address, jid).changes > 0;
    });
  }

  async resolve(address: string): Promise<string | null> {
    if (this.accountExists.get(address) !== undefined) return address;
    const at = address.lastIndexOf('@');
    if (at > 0) {
      const domain = this.canonicalDomain.get(address.slice(at + 1), address.slice(at + 1));
      const canonical = domain === undefined ? null : `${address.slice(0, at)}@${domain}`;
      if (canonical && this.accountExists.get(canonical) !== undefined) return canonical;
      const owner = this.emailOwner.get(address) ?? (canonical ? this.emailOwner.get(canonical) : undefined);
      if (owner !== undefined) return owner;
    }
    return null;
  }

  async get(jid: string): Promise<DirectoryUser | null> {
    const row = this.selectUser.get(jid);
    return row ? this.toUser(row) : null;
  }

  async list(domain: string): Promise<DirectoryUser[]> {
    return this.selectByDomain.all(domain).map((row) => this.toUser(row));
  }

  async setEnabled(jid: string, enabled: boolean): Promise<boolean> {
    return this.updateEnabled.run(Number(enabled), jid).changes > 0;
  }

  async setDisplayName(jid: string, name: string | null): Promise<boolean> {
    return this.updateName.run(name, jid).changes > 0;
  }

  async addEmail(jid: string, address: string): Promise<boolean> {
    return this.addEmailTx.immediate(jid, address);
  }

  async removeEmail(jid: string, address: string): Promise<boolean> {
    return this.deleteEmail.run(address, jid).changes > 0;
  }

  async getCard(jid: string): Promise<AddressCard | null> {
    const text = this.selectCard.get(jid);
    return text === undefined ? null : (JSON.parse(text) as AddressCard);
  }

  async setCard(jid: string, card: AddressCard): Promise<void> {
    this.upsertCard.run(jid, JSON.stringify(card));
  }

  async getPhoto(jid: string): Promise<Photo | null> {
    const row = this.selectPhoto.get(jid);
    return row?.photo && row.photo_type ? { type: row.photo_type, data: row.photo } : null;
  }

  async setPhoto(jid: string, photo: Photo | null): Promise<string> {
    // XEP-0153 §4.1: the avatar hash is the hex SHA-1 of the image bytes.
    const hash = photo ? createHash('sha1').update(photo.data).digest('hex') : '';
    this.upsertPhoto.run(jid, photo?.type ?? null, photo?.data ?? null, hash);
    return hash;
  }

  private toUser(row: UserRow): DirectoryUser {
    return {
      jid: row.jid,
      displayName: row.name,
      emails: [row.jid, ...this.selectEmails.all(row.jid)],
      enabled: row.enabled === 1,
      photoHash: row.photo_hash ?? '',
      groups: this.selectGroups.all(row.jid),
      roles: this.selectRoles.all(row.jid),
    };
  }
}
