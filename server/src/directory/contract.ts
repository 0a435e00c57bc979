// The directory contract: what the embedded directory (directory/sql/) answers on every backend of
// the state storage, with the suite event log beside it, as tests. Run by
// directory/sql/sqlite.contract.test.ts and storage/postgres/postgres.contract.test.ts. Not a test
// file itself: it is the suite those files call.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DataStores } from '../data-folder.ts';
import { DirectoryConflictError } from './types.ts';

/** Fresh, empty data stores for one test, and how to throw them away afterwards. */
export interface DirectoryBackend {
  data: DataStores;
  dispose(): Promise<void>;
}

const ALICE = 'alice@example.com';
const BOB = 'bob@example.com';

export function directoryContract(backendName: string, open: () => Promise<DirectoryBackend>): void {
  describe(`directory contract: ${backendName}`, () => {
    let backend: DirectoryBackend;
    let data: DataStores;
    beforeEach(async () => {
      backend = await open();
      data = backend.data;
    });
    afterEach(async () => {
      await backend.dispose();
    });

    it('domains: created once with their IM settings, aliases mapped to them, removed with their aliases', async () => {
      const domains = data.directory.domains;
      expect(await domains.create('example.com')).toBe(true);
      expect(await domains.create('example.com', { access: 'restricted' })).toBe(false);
      expect(await domains.create('example.org', { enabled: false, access: 'restricted' })).toBe(true);
      expect(await domains.addAlias('example.com', 'chat.example.com')).toBe(true);
      expect(await domains.addAlias('example.com', 'chat.example.com')).toBe(false);
      await expect(domains.addAlias('example.org', 'chat.example.com')).rejects.toBeInstanceOf(DirectoryConflictError);
      await expect(domains.addAlias('example.com', 'example.org')).rejects.toBeInstanceOf(DirectoryConflictError);
      await expect(domains.create('chat.example.com')).rejects.toBeInstanceOf(DirectoryConflictError);
      expect(await domains.names()).toEqual(new Map([['chat.example.com', 'example.com'], ['example.com', 'example.com'], ['example.org', 'example.org']]));
      expect((await domains.list()).map((domain) => [domain.name, domain.aliases, domain.im.enabled, domain.im.access])).toEqual([
        ['example.com', ['chat.example.com'], true, 'everyone'], ['example.org', [], false, 'restricted'],
      ]);
      await domains.setIm('example.org', { enabled: true });
      expect((await domains.get('example.org'))!.im).toEqual({ enabled: true, access: 'restricted', allowedUsers: [], allowedGroups: [] });
      expect(await domains.remove('example.com')).toBe(true);
      expect(await domains.names()).toEqual(new Map([['example.org', 'example.org']]));
      expect(await domains.get('example.com')).toBeNull();
    });

    it('federation settings: defaults until set, lists replaced when given, kept when not', async () => {
      const domains = data.directory.domains;
      await domains.create('example.com');
      expect((await domains.get('example.com'))!.federation).toEqual({ enabled: true, certificates: 'default', allow: [], deny: [] });
      await domains.setFederation('example.com', { certificates: 'require-valid', allow: ['b.org', 'a.org'], deny: ['evil.org'] });
      await domains.setFederation('example.com', { enabled: false, deny: [] });
      expect((await domains.get('example.com'))!.federation).toEqual({ enabled: false, certificates: 'require-valid', allow: ['a.org', 'b.org'], deny: [] });
      await expect(domains.setFederation('nowhere.org', { enabled: false })).rejects.toBeInstanceOf(DirectoryConflictError);
    });

    it('users: the accounts, enabled or not, with names, extra addresses resolved, cards and photos', async () => {
      await data.directory.domains.create('example.com');
      await data.directory.domains.addAlias('example.com', 'chat.example.com');
      await data.storage.accounts.create(ALICE, [], 'Alice');
      await data.storage.accounts.create(BOB, []);
      const users = data.directory.users;
      expect(await users.addEmail(ALICE, 'a.liddell@example.org')).toBe(true);
      expect(await users.addEmail(ALICE, ALICE)).toBe(false);
      await expect(users.addEmail(BOB, 'a.liddell@example.org')).rejects.toBeInstanceOf(DirectoryConflictError);
      await expect(users.addEmail(BOB, ALICE)).rejects.toBeInstanceOf(DirectoryConflictError);
      expect(await users.resolve(ALICE)).toBe(ALICE);
      expect(await users.resolve('alice@chat.example.com')).toBe(ALICE);
      expect(await users.resolve('a.liddell@example.org')).toBe(ALICE);
      expect(await users.resolve('nobody@example.com')).toBeNull();
      expect(await users.setEnabled(BOB, false)).toBe(true);
      expect(await users.setDisplayName(BOB, 'Bob')).toBe(true);
      expect(await users.setEnabled('nobody@example.com', false)).toBe(false);
      await users.setCard(ALICE, { fn: 'Alice Liddell', title: 'Chief' });
      expect(await users.getCard(ALICE)).toEqual({ fn: 'Alice Liddell', title: 'Chief' });
      expect(await users.getCard(BOB)).toBeNull();
      const photo = { type: 'image/png', data: Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0xff]) };
      const hash = await users.setPhoto(ALICE, photo);
      expect(hash).toMatch(/^[0-9a-f]{40}$/);
      expect(await users.getPhoto(ALICE)).toEqual(photo);
      expect(await users.getCard(ALICE)).toEqual({ fn: 'Alice Liddell', title: 'Chief' });
      expect(await users.list('example.com')).toEqual([
        { jid: ALICE, displayName: 'Alice', emails: [ALICE, 'a.liddell@example.org'], enabled: true, photoHash: hash, groups: [], roles: [] },
        { jid: BOB, displayName: 'Bob', emails: [BOB], enabled: false, photoHash: '', groups: [], roles: [] },
      ]);
      expect(await users.setPhoto(ALICE, null)).toBe('');
      expect(await users.getPhoto(ALICE)).toBeNull();
      expect(await users.removeEmail(ALICE, 'a.liddell@example.org')).toBe(true);
      expect(await users.resolve('a.liddell@example.org')).toBeNull();
    });

    it('groups and roles: held directly or through a group; a deleted user or group takes its grants and allow-list entries along', async () => {
      await data.directory.domains.create('example.com', { access: 'restricted' });
      await data.storage.accounts.create(ALICE, []);
      await data.storage.accounts.create(BOB, []);
      const { groups, domains, users } = data.directory;
      expect(await groups.create('staff', 'The staff')).toBe(true);
      expect(await groups.create('staff')).toBe(false);
      await expect(groups.addMember('nobody', ALICE)).rejects.toBeInstanceOf(DirectoryConflictError);
      await expect(groups.addMember('staff', 'nobody@example.com')).rejects.toBeInstanceOf(DirectoryConflictError);
      expect(await groups.addMember('staff', BOB)).toBe(true);
      expect(await groups.grantRole('im', { group: 'staff' })).toBe(true);
      expect(await groups.grantRole('im', { user: ALICE })).toBe(true);
      expect(await groups.grantRole('im', { user: ALICE })).toBe(false);
      await expect(groups.grantRole('im', { user: 'nobody@example.com' })).rejects.toBeInstanceOf(DirectoryConflictError);
      expect(await domains.setImAllowed('example.com', { user: ALICE }, true)).toBe(true);
      expect(await domains.setImAllowed('example.com', { group: 'staff' }, true)).toBe(true);
      expect(await groups.holdsRole(ALICE, 'im')).toBe(true);
      expect(await groups.holdsRole(BOB, 'im')).toBe(true);
      expect(await groups.holdsRole(BOB, 'admin')).toBe(false);
      expect(await groups.of(BOB)).toEqual(['staff']);
      expect(await groups.list()).toEqual([{ name: 'staff', description: 'The staff', members: [BOB], roles: ['im'] }]);
      expect((await users.get(ALICE))!.roles).toEqual(['im']);
      expect((await domains.get('example.com'))!.im).toMatchObject({ allowedUsers: [ALICE], allowedGroups: ['staff'] });

      // the account's and the group's deletion triggers (directory/sql/schema.ts)
      await data.storage.accounts.delete(ALICE);
      expect((await domains.get('example.com'))!.im).toMatchObject({ allowedUsers: [], allowedGroups: ['staff'] });
      expect(await groups.delete('staff')).toBe(true);
      expect((await domains.get('example.com'))!.im).toMatchObject({ allowedUsers: [], allowedGroups: [] });
      expect(await groups.holdsRole(BOB, 'im')).toBe(false);
      expect(await groups.of(BOB)).toEqual([]);
      // a user's emails and card go with the account (foreign keys)
      await users.addEmail(BOB, 'bobby@example.org');
      await users.setCard(BOB, { fn: 'Bob' });
      await data.storage.accounts.delete(BOB);
      expect(await users.resolve('bobby@example.org')).toBeNull();
      expect(await users.getCard(BOB)).toBeNull();
    });

    it('the suite event log: ids only grow, read after an id in order, old entries pruned on write', async () => {
      const log = data.suiteEventLog;
      expect(await log.lastId()).toBe(0);
      const now = Date.now();
      const old = await log.append('{"n":0}', now - 2 * 60 * 60 * 1000);
      const first = await log.append('{"n":1}', now);
      const second = await log.append('{"n":2}', now);
      expect(first).toBeGreaterThan(old);
      expect(second).toBeGreaterThan(first);
      expect(await log.since(0)).toEqual([{ id: first, event: '{"n":1}' }, { id: second, event: '{"n":2}' }]);
      expect(await log.since(first)).toEqual([{ id: second, event: '{"n":2}' }]);
      expect(await log.lastId()).toBe(second);
    });
  });
}
