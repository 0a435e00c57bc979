// A database created by Parley before per-feature migrations (legacy-migrations.fixture.ts, schema
// version 3) opens with the current code with every record intact, and ends up with the same schema
// as a database the current code creates.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseSearchQuery } from '@parley/shared/fulltext';
import { openDataFolder } from '../../data-folder.ts';
import { openSqliteArchiveDatabase } from '../../archive/sqlite/schema.ts';
import { SqliteArchiveStore } from '../../archive/sqlite/store.ts';
import { tagsOf } from '../../archive/sqlite/search.ts';
import { ArchiveIds } from '../../archive/ids.ts';
import { DB_FILENAME, openSqliteFile } from './database.ts';
import { FEATURE_MIGRATIONS_VERSION } from './migrations.ts';
import { LEGACY_SCHEMA } from './legacy-schema.ts';
import { MIGRATIONS as LEGACY_MIGRATIONS, migrate as legacyMigrate } from './legacy-migrations.fixture.ts';

let dir: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'parley-legacy-'));
});

afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

const MS = 1_700_000_000_000;

/** What the old code wrote, table by table (its stores' SQL, and the archive's pairs at seq, seq + 1). */
function createLegacyDatabase(dataDir: string): void {
  const db = openSqliteFile(dataDir);
  legacyMigrate(db);
  expect(db.pragma('user_version', { simple: true })).toBe(3);
  db.exec(`
    INSERT INTO domains VALUES ('example.com'), ('example.org');
    INSERT INTO domain_aliases VALUES ('chat.example.com', 'example.com');
    INSERT INTO domain_im_settings VALUES ('example.org', 1, 'restricted');
    INSERT INTO domain_im_allowed VALUES ('example.org', 'group', 'staff');
    INSERT INTO accounts (jid, domain, username, name, created_at) VALUES
      ('alice@example.com', 'example.com', 'alice', 'Alice', 1000),
      ('bob@example.com', 'example.com', 'bob', NULL, 2000),
      ('carol@example.org', 'example.org', 'carol', 'Carol', 3000);
    UPDATE accounts SET enabled = 0 WHERE jid = 'bob@example.com';
    INSERT INTO credentials VALUES ('alice@example.com', 'SHA-256', 'c2FsdA==', 4096, 'stored', 'server');
    INSERT INTO roster_items VALUES ('alice@example.com', 'bob@example.com', 'Bob', 'both', 0, 0, '["Friends"]');
    INSERT INTO roster_versions VALUES ('alice@example.com', 7);
    INSERT INTO subscription_requests VALUES ('bob@example.com', 'carol@example.org', '<presence type="subscribe"/>', 5000);
    INSERT INTO offline_messages (recipient, stanza, stamped_at) VALUES ('bob@example.com', '<message><body>later</body></message>', 6000);
    INSERT INTO vcards VALUES ('alice@example.com', '<vCard xmlns="vcard-temp"><NICKNAME>Al</NICKNAME></vCard>');
    INSERT INTO user_emails VALUES ('a.liddell@example.com', 'alice@example.com');
    INSERT INTO directory_groups VALUES ('staff', 'The staff');
    INSERT INTO group_members VALUES ('staff', 'carol@example.org');
    INSERT INTO role_grants VALUES ('im', 'group', 'staff');
    INSERT INTO address_cards (jid, card, photo_type, photo, photo_hash) VALUES ('alice@example.com', '{"title":"Chief"}', 'image/png', x'89504e47', 'abc123');
    INSERT INTO suite_events (event, created_at) VALUES ('{"type":"domain.created","domain":"example.org"}', ${Date.now()});
    INSERT INTO archive_preferences VALUES ('alice@example.com', 'roster', '["bob@example.com"]', '[]');
    INSERT INTO archive_index_queue (seq, entry) VALUES (${MS * 1024 + 9}, '{"queued":true}');
  `);
  // one message between local users: Alice's entry and Bob's, sharing their full-text row
  const seq = MS * 1024;
  const insert = db.prepare('INSERT INTO archive_messages (seq, sid, owner, peer, peer_resource, outgoing, body, stanza, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
  insert.run(seq, 'legacy-alice', 'alice@example.com', 'bob@example.com', '', 1, 'hello from before', '<message/>', seq);
  insert.run(seq + 1, 'legacy-bob', 'bob@example.com', 'alice@example.com', 'desk', 0, 'hello from before', '<message/>', seq);
  db.prepare('INSERT INTO archive_search (rowid, body, tags) VALUES (?, ?, ?)')
    .run(seq, 'hello from before', `${tagsOf('alice@example.com', 'bob@example.com')} ${tagsOf('bob@example.com', 'alice@example.com')}`);
  db.close();
}

/** Tables, their columns, indexes, foreign keys and triggers, as SQLite describes them. */
function schemaOf(file: string): Record<string, unknown> {
  const db = new Database(file, { readonly: true });
  try {
    const objects = db.prepare<[], { type: string; name: string; tbl_name: string }>(
      "SELECT type, name, tbl_name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
    const out: Record<string, unknown> = {};
    for (const object of objects) {
      if (object.type === 'table') {
        out[`table ${object.name}`] = {
          columns: db.pragma(`table_info(${object.name})`),
          foreignKeys: db.pragma(`foreign_key_list(${object.name})`),
        };
      } else if (object.type === 'index') {
        out[`index ${object.name}`] = { on: object.tbl_name, columns: db.pragma(`index_info(${object.name})`) };
      } else {
        out[`${object.type} ${object.name}`] = { on: object.tbl_name };
      }
    }
    return out;
  } finally {
    db.close();
  }
}

describe('a database from before per-feature migrations', () => {
  it('opens with every record intact', async () => {
    createLegacyDatabase(dir);
    const data = openDataFolder(dir);
    const archiveDb = openSqliteArchiveDatabase(dir);
    const archive = new SqliteArchiveStore(archiveDb);
    try {
      const { storage, directory, suiteEventLog } = data;
      expect(await storage.accounts.get('alice@example.com')).toEqual({
        jid: 'alice@example.com', domain: 'example.com', username: 'alice', name: 'Alice', createdAt: 1000,
      });
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-256')).toEqual({
        hash: 'SHA-256', salt: 'c2FsdA==', iterations: 4096, storedKey: 'stored', serverKey: 'server',
      });
      expect(await storage.roster.get('alice@example.com')).toEqual({
        version: '7',
        items: [{ jid: 'bob@example.com', name: 'Bob', subscription: 'both', ask: false, approved: false, groups: ['Friends'] }],
      });
      expect(await storage.subscriptionRequests.list('bob@example.com')).toEqual([
        { from: 'carol@example.org', stanza: '<presence type="subscribe"/>', receivedAt: 5000 },
      ]);
      expect((await storage.offline.takeAll('bob@example.com')).map((message) => message.stanza)).toEqual(['<message><body>later</body></message>']);
      expect(await storage.vcards.get('alice@example.com')).toBe('<vCard xmlns="vcard-temp"><NICKNAME>Al</NICKNAME></vCard>');
      expect(await storage.archivePreferences.get('alice@example.com')).toEqual({ default: 'roster', always: ['bob@example.com'], never: [] });
      expect((await storage.archiveIndexQueue.peek(10, 1_000_000)).map((queued) => queued.document)).toEqual(['{"queued":true}']);

      expect(await directory.domains.names()).toEqual(new Map([
        ['chat.example.com', 'example.com'], ['example.com', 'example.com'], ['example.org', 'example.org'],
      ]));
      expect((await directory.domains.get('example.org'))!.im).toEqual({
        enabled: true, access: 'restricted', allowedUsers: [], allowedGroups: ['staff'],
      });
      expect(await directory.users.get('alice@example.com')).toEqual({
        jid: 'alice@example.com', displayName: 'Alice', emails: ['alice@example.com', 'a.liddell@example.com'],
        enabled: true, photoHash: 'abc123', groups: [], roles: [],
      });
      expect((await directory.users.get('bob@example.com'))!.enabled).toBe(false);
      expect(await directory.users.resolve('a.liddell@example.com')).toBe('alice@example.com');
      expect(await directory.users.getCard('alice@example.com')).toEqual({ title: 'Chief' });
      expect((await directory.users.getPhoto('alice@example.com'))!.data).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47]));
      expect(await directory.groups.holdsRole('carol@example.org', 'im')).toBe(true);
      expect((await suiteEventLog.since(0)).map((entry) => JSON.parse(entry.event) as unknown)).toEqual([{ type: 'domain.created', domain: 'example.org' }]);

      const bobs = await archive.page({ owner: 'bob@example.com' }, { direction: 'forward', limit: 10 });
      expect(bobs.entries.map((entry) => [entry.id, entry.peerResource, entry.outgoing])).toEqual([['legacy-bob', 'desk', false]]);
      const found = await archive.page({ owner: 'alice@example.com', fulltext: parseSearchQuery('before') }, { direction: 'forward', limit: 10 });
      expect(found.entries.map((entry) => entry.id)).toEqual(['legacy-alice']);

      // new entries (node-numbered seqs, 16 apart) go after the old ones and are found beside them
      const ids = new ArchiveIds(await archive.highestSeq(), () => MS + 1000);
      const [a, b] = [ids.nextSeq(), ids.nextSeq()];
      archive.insert([
        { seq: a, id: ids.idFor(a), owner: 'alice@example.com', peer: 'bob@example.com', peerResource: '', outgoing: true, body: 'hello after', stanza: '<message/>' },
        { seq: b, id: ids.idFor(b), owner: 'bob@example.com', peer: 'alice@example.com', peerResource: '', outgoing: false, body: 'hello after', stanza: '<message/>' },
      ]);
      const hellos = await archive.page({ owner: 'bob@example.com', fulltext: parseSearchQuery('hello') }, { direction: 'forward', limit: 10 });
      expect(hellos.entries.map((entry) => entry.body)).toEqual(['hello from before', 'hello after']);
      expect(archiveDb.prepare('SELECT count(*) FROM archive_search').pluck().get()).toBe(2);

      // deleting an account still takes its archive along, and a message's words with its last entry
      await storage.accounts.delete('alice@example.com');
      expect(await storage.archivePreferences.get('alice@example.com')).toBeNull();
      expect((await archive.page({ owner: 'alice@example.com' }, { direction: 'forward', limit: 10 })).total).toBe(0);
      expect((await archive.page({ owner: 'bob@example.com' }, { direction: 'forward', limit: 10 })).total).toBe(2);
      await storage.accounts.delete('bob@example.com');
      expect(archiveDb.prepare('SELECT count(*) FROM archive_search').pluck().get()).toBe(0);
    } finally {
      await archive.close();
      archiveDb.close();
      await data.close();
    }
  });

  it('is recorded as the features it holds, and ends with the schema of a new database', async () => {
    createLegacyDatabase(dir);
    const fresh = path.join(dir, 'fresh');
    for (const dataDir of [dir, fresh]) {
      const data = openDataFolder(dataDir);
      openSqliteArchiveDatabase(dataDir).close();
      await data.close();
    }
    const db = new Database(path.join(dir, DB_FILENAME), { readonly: true });
    const applied = db.prepare<[], { feature: string; version: number }>('SELECT feature, version FROM schema_migrations ORDER BY feature, version').all();
    expect(db.pragma('user_version', { simple: true })).toBe(FEATURE_MIGRATIONS_VERSION);
    db.close();
    for (const [, feature, version] of LEGACY_SCHEMA) expect(applied).toContainEqual({ feature, version });
    expect(applied).toContainEqual({ feature: 'archive', version: 2 });
    expect(applied).toContainEqual({ feature: 'key-value', version: 1 });

    expect(schemaOf(path.join(dir, DB_FILENAME))).toEqual(schemaOf(path.join(fresh, DB_FILENAME)));
  });

  it('the old code refuses a database the new code wrote, rather than migrating it again', async () => {
    await openDataFolder(dir).close();
    const db = openSqliteFile(dir);
    try {
      expect(() => legacyMigrate(db, LEGACY_MIGRATIONS)).toThrow(/newer than this server supports/);
    } finally {
      db.close();
    }
  });
});
