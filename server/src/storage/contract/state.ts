// The storage contract (index.ts): accounts, rosters, subscription requests, offline messages, vCards.
import { beforeEach, describe, expect, it } from 'vitest';
import { StorageConflictError, StorageNotFoundError } from '../errors.ts';
import type { RosterItem, ScramCredential, Storage } from '../types.ts';

export const sha1: ScramCredential = { hash: 'SHA-1', salt: 'c2FsdDE=', iterations: 4096, storedKey: 'sk1', serverKey: 'svk1' };
const sha256: ScramCredential = { hash: 'SHA-256', salt: 'c2FsdDI=', iterations: 8192, storedKey: 'sk2', serverKey: 'svk2' };

export function item(jid: string, overrides: Partial<RosterItem> = {}): RosterItem {
  return {
    jid,
    name: null,
    subscription: 'none',
    ask: false,
    approved: false,
    groups: [],
    ...overrides,
  };
}

/** Accounts, rosters, subscription requests, offline messages and vCards. */
export function stateContract(current: () => Storage): void {
  let storage: Storage;
  beforeEach(() => {
    storage = current();
  });

  describe('accounts', () => {
    it('creates and reads an account with its credentials', async () => {
      const before = Date.now();
      await storage.accounts.create('alice@example.com', [sha1, sha256], 'Alice');
      const account = await storage.accounts.get('alice@example.com');
      expect(account).toMatchObject({ jid: 'alice@example.com', domain: 'example.com', username: 'alice', name: 'Alice' });
      expect(account!.createdAt).toBeGreaterThanOrEqual(before);
      expect(account!.createdAt).toBeLessThanOrEqual(Date.now());
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-1')).toEqual(sha1);
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-256')).toEqual(sha256);
    });

    it('defaults the name to null and returns null for unknown accounts', async () => {
      await storage.accounts.create('bob@example.com', [sha256]);
      expect((await storage.accounts.get('bob@example.com'))!.name).toBeNull();
      expect(await storage.accounts.get('nobody@example.com')).toBeNull();
      expect(await storage.accounts.getCredential('bob@example.com', 'SHA-1')).toBeNull();
      expect(await storage.accounts.getCredential('nobody@example.com', 'SHA-256')).toBeNull();
    });

    it('rejects a duplicate account with StorageConflictError and keeps the original', async () => {
      await storage.accounts.create('alice@example.com', [sha1], 'First');
      await expect(storage.accounts.create('alice@example.com', [sha256], 'Second')).rejects.toBeInstanceOf(
        StorageConflictError,
      );
      expect((await storage.accounts.get('alice@example.com'))!.name).toBe('First');
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-256')).toBeNull();
    });

    it('rejects a JID without a localpart', async () => {
      await expect(storage.accounts.create('example.com', [sha1])).rejects.toBeInstanceOf(TypeError);
      expect(await storage.accounts.listByDomain('example.com')).toEqual([]);
    });

    it('replaces all credentials', async () => {
      await storage.accounts.create('alice@example.com', [sha1, sha256]);
      const newer: ScramCredential = { ...sha256, salt: 'bmV3', storedKey: 'new-sk', serverKey: 'new-svk' };
      await storage.accounts.setCredentials('alice@example.com', [newer]);
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-256')).toEqual(newer);
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-1')).toBeNull();
    });

    it('throws StorageNotFoundError when setting credentials of a missing account', async () => {
      await expect(storage.accounts.setCredentials('ghost@example.com', [sha1])).rejects.toBeInstanceOf(
        StorageNotFoundError,
      );
      expect(await storage.accounts.getCredential('ghost@example.com', 'SHA-1')).toBeNull();
    });

    it("deletes the account and cascades to its own data only", async () => {
      await storage.accounts.create('alice@example.com', [sha1, sha256]);
      await storage.accounts.create('bob@example.com', [sha1]);
      await storage.roster.put('alice@example.com', item('bob@example.com', { subscription: 'both' }));
      await storage.roster.put('bob@example.com', item('alice@example.com', { subscription: 'both' }));
      await storage.subscriptionRequests.put('alice@example.com', 'carol@example.com', '<presence/>', 1);
      await storage.subscriptionRequests.put('bob@example.com', 'alice@example.com', '<presence/>', 1);
      await storage.offline.push('alice@example.com', '<message/>', 1, 10);
      await storage.offline.push('bob@example.com', '<message/>', 1, 10);
      await storage.vcards.set('alice@example.com', "<vCard xmlns='vcard-temp'/>");
      await storage.archivePreferences.set('alice@example.com', { default: 'never', always: [], never: [] });
      await storage.archivePreferences.set('bob@example.com', { default: 'roster', always: [], never: [] });
      await storage.keyValue.open('bookmarks').set('alice@example.com', 'room', { name: 'Lobby' });
      await storage.keyValue.open('bookmarks').set('bob@example.com', 'room', { name: 'Bar' });

      expect(await storage.accounts.delete('alice@example.com')).toBe(true);

      expect(await storage.accounts.get('alice@example.com')).toBeNull();
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-1')).toBeNull();
      expect(await storage.accounts.getCredential('alice@example.com', 'SHA-256')).toBeNull();
      expect(await storage.roster.get('alice@example.com')).toEqual({ version: '0', items: [] });
      expect(await storage.subscriptionRequests.list('alice@example.com')).toEqual([]);
      expect(await storage.subscriptionRequests.count('alice@example.com')).toBe(0);
      expect(await storage.offline.count('alice@example.com')).toBe(0);
      expect(await storage.vcards.get('alice@example.com')).toBeNull();
      expect(await storage.archivePreferences.get('alice@example.com')).toBeNull();
      expect(await storage.keyValue.open('bookmarks').list('alice@example.com')).toEqual([]);

      // Bob's data, including his roster entry for Alice, is untouched.
      expect(await storage.accounts.getCredential('bob@example.com', 'SHA-1')).toEqual(sha1);
      expect(await storage.roster.getItem('bob@example.com', 'alice@example.com')).not.toBeNull();
      expect(await storage.subscriptionRequests.get('bob@example.com', 'alice@example.com')).not.toBeNull();
      expect(await storage.offline.count('bob@example.com')).toBe(1);
      expect((await storage.archivePreferences.get('bob@example.com'))!.default).toBe('roster');
      expect(await storage.keyValue.open('bookmarks').get('bob@example.com', 'room')).toEqual({ name: 'Bar' });

      expect(await storage.accounts.delete('alice@example.com')).toBe(false);
    });

    it('lists accounts by domain', async () => {
      await storage.accounts.create('carol@example.com', [sha1]);
      await storage.accounts.create('alice@example.com', [sha1]);
      await storage.accounts.create('alice@other.org', [sha1]);
      const jids = (await storage.accounts.listByDomain('example.com')).map((a) => a.jid);
      expect(jids).toEqual(['alice@example.com', 'carol@example.com']);
      expect(await storage.accounts.listByDomain('nowhere.net')).toEqual([]);
    });
  });

  describe('roster', () => {
    const owner = 'alice@example.com';

    it('starts empty at version 0', async () => {
      expect(await storage.roster.get(owner)).toEqual({ version: '0', items: [] });
      expect(await storage.roster.getItem(owner, 'bob@example.com')).toBeNull();
      expect(await storage.roster.count(owner)).toBe(0);
    });

    it('puts, replaces and removes items with strictly increasing versions', async () => {
      const versions: number[] = [];
      versions.push(Number(await storage.roster.put(owner, item('bob@example.com'))));
      versions.push(Number(await storage.roster.put(owner, item('carol@example.com', { ask: true }))));
      versions.push(Number(await storage.roster.put(owner, item('bob@example.com', { subscription: 'to', name: 'Bob' }))));
      expect(await storage.roster.count(owner)).toBe(2);

      const removed = await storage.roster.remove(owner, 'carol@example.com');
      expect(removed).not.toBeNull();
      versions.push(Number(removed));

      for (let i = 1; i < versions.length; i++) expect(versions[i]).toBeGreaterThan(versions[i - 1]!);

      const roster = await storage.roster.get(owner);
      expect(roster.version).toBe(String(versions.at(-1)));
      expect(roster.items).toEqual([item('bob@example.com', { subscription: 'to', name: 'Bob' })]);
      expect(await storage.roster.count(owner)).toBe(1);
    });

    it('returns null and keeps the version when removing a missing item', async () => {
      const version = await storage.roster.put(owner, item('bob@example.com'));
      expect(await storage.roster.remove(owner, 'nobody@example.com')).toBeNull();
      expect((await storage.roster.get(owner)).version).toBe(version);
    });

    it('round-trips every field, including groups', async () => {
      const full = item('bob@example.com', {
        name: 'Bobby',
        subscription: 'from',
        ask: true,
        approved: true,
        groups: ['Friends', 'Wörk "team"', '朋友'],
      });
      await storage.roster.put(owner, full);
      expect(await storage.roster.getItem(owner, 'bob@example.com')).toEqual(full);
      expect((await storage.roster.get(owner)).items).toEqual([full]);
    });

    it('keeps rosters and versions separate per owner', async () => {
      await storage.roster.put(owner, item('bob@example.com'));
      await storage.roster.put(owner, item('carol@example.com'));
      const bobVersion = await storage.roster.put('bob@example.com', item(owner));
      expect(bobVersion).toBe('1');
      expect(await storage.roster.count('bob@example.com')).toBe(1);
      expect(await storage.roster.getItem('bob@example.com', 'carol@example.com')).toBeNull();
    });
  });

  describe('subscription requests', () => {
    const owner = 'alice@example.com';
    const subscribe = (from: string, id: string): string => `<presence from='${from}' to='${owner}' type='subscribe' id='${id}'/>`;

    it('starts empty', async () => {
      expect(await storage.subscriptionRequests.list(owner)).toEqual([]);
      expect(await storage.subscriptionRequests.get(owner, 'bob@example.com')).toBeNull();
      expect(await storage.subscriptionRequests.count(owner)).toBe(0);
      expect(await storage.subscriptionRequests.remove(owner, 'bob@example.com')).toBe(false);
    });

    it('puts and gets a request', async () => {
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', '1'), 1000);
      expect(await storage.subscriptionRequests.get(owner, 'bob@example.com')).toEqual({
        from: 'bob@example.com',
        stanza: subscribe('bob@example.com', '1'),
        receivedAt: 1000,
      });
      expect(await storage.subscriptionRequests.count(owner)).toBe(1);
      // Requests are directional: Bob has no request from Alice.
      expect(await storage.subscriptionRequests.get('bob@example.com', owner)).toBeNull();
    });

    it('replaces a repeated request from the same requester', async () => {
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', '1'), 1000);
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', '2'), 2000);
      expect(await storage.subscriptionRequests.count(owner)).toBe(1);
      expect(await storage.subscriptionRequests.get(owner, 'bob@example.com')).toEqual({
        from: 'bob@example.com',
        stanza: subscribe('bob@example.com', '2'),
        receivedAt: 2000,
      });
    });

    it('lists oldest first, per owner', async () => {
      await storage.subscriptionRequests.put(owner, 'carol@example.com', subscribe('carol@example.com', 'c'), 3000);
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', 'b'), 1000);
      await storage.subscriptionRequests.put(owner, 'dave@example.com', subscribe('dave@example.com', 'd'), 2000);
      await storage.subscriptionRequests.put('bob@example.com', 'eve@example.com', subscribe('eve@example.com', 'e'), 500);

      const listed = await storage.subscriptionRequests.list(owner);
      expect(listed.map((r) => r.from)).toEqual(['bob@example.com', 'dave@example.com', 'carol@example.com']);
      expect(listed.map((r) => r.receivedAt)).toEqual([1000, 2000, 3000]);
      expect(listed[0]!.stanza).toBe(subscribe('bob@example.com', 'b'));

      // A replaced request moves to its new place in the order.
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', 'b2'), 4000);
      expect((await storage.subscriptionRequests.list(owner)).map((r) => r.from)).toEqual([
        'dave@example.com',
        'carol@example.com',
        'bob@example.com',
      ]);
      expect((await storage.subscriptionRequests.list('bob@example.com')).map((r) => r.from)).toEqual(['eve@example.com']);
    });

    it('breaks timestamp ties by arrival order', async () => {
      await storage.subscriptionRequests.put(owner, 'zed@example.com', '<presence/>', 1000);
      await storage.subscriptionRequests.put(owner, 'amy@example.com', '<presence/>', 1000);
      expect((await storage.subscriptionRequests.list(owner)).map((r) => r.from)).toEqual([
        'zed@example.com',
        'amy@example.com',
      ]);
    });

    it('removes a request', async () => {
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', '1'), 1000);
      await storage.subscriptionRequests.put(owner, 'carol@example.com', subscribe('carol@example.com', '1'), 2000);
      expect(await storage.subscriptionRequests.remove(owner, 'bob@example.com')).toBe(true);
      expect(await storage.subscriptionRequests.remove(owner, 'bob@example.com')).toBe(false);
      expect(await storage.subscriptionRequests.get(owner, 'bob@example.com')).toBeNull();
      expect(await storage.subscriptionRequests.count(owner)).toBe(1);
      expect((await storage.subscriptionRequests.list(owner)).map((r) => r.from)).toEqual(['carol@example.com']);
    });

    it('is independent of the roster', async () => {
      await storage.subscriptionRequests.put(owner, 'bob@example.com', subscribe('bob@example.com', '1'), 1000);
      expect(await storage.roster.get(owner)).toEqual({ version: '0', items: [] });
      await storage.roster.put(owner, item('bob@example.com'));
      await storage.roster.remove(owner, 'bob@example.com');
      expect(await storage.subscriptionRequests.count(owner)).toBe(1);
    });
  });

  describe('offline messages', () => {
    const to = 'alice@example.com';

    it('respects the per-user limit', async () => {
      expect(await storage.offline.push(to, '<message id="1"/>', 100, 2)).toBe(true);
      expect(await storage.offline.push(to, '<message id="2"/>', 200, 2)).toBe(true);
      expect(await storage.offline.push(to, '<message id="3"/>', 300, 2)).toBe(false);
      expect(await storage.offline.count(to)).toBe(2);
      // Another user's queue is independent.
      expect(await storage.offline.push('bob@example.com', '<message/>', 300, 2)).toBe(true);
    });

    it('takeAll returns messages in arrival order and empties the queue', async () => {
      await storage.offline.push(to, '<message id="a"/>', 3000, 10);
      await storage.offline.push('bob@example.com', '<message id="x"/>', 2500, 10);
      await storage.offline.push(to, '<message id="b"/>', 1000, 10);
      await storage.offline.push(to, '<message id="c"/>', 2000, 10);

      const taken = await storage.offline.takeAll(to);
      expect(taken.map((m) => m.stanza)).toEqual(['<message id="a"/>', '<message id="b"/>', '<message id="c"/>']);
      expect(taken.map((m) => m.stampedAt)).toEqual([3000, 1000, 2000]);
      expect(taken.every((m) => m.to === to)).toBe(true);
      expect(taken[0]!.id).toBeLessThan(taken[1]!.id);

      expect(await storage.offline.count(to)).toBe(0);
      expect(await storage.offline.takeAll(to)).toEqual([]);
      expect(await storage.offline.count('bob@example.com')).toBe(1);
    });

    it('pushAll stores a batch in order, for several users, after what was queued', async () => {
      await storage.offline.push(to, '<message id="first"/>', 1, 10);
      await storage.offline.pushAll([
        { to, stanza: '<message id="2"/>', stampedAt: 2 },
        { to: 'bob@example.com', stanza: '<message id="x"/>', stampedAt: 3 },
        { to, stanza: '<message id="3"/>', stampedAt: 4 },
      ]);
      await storage.offline.pushAll([]);
      expect((await storage.offline.takeAll(to)).map((m) => m.stanza)).toEqual(['<message id="first"/>', '<message id="2"/>', '<message id="3"/>']);
      expect(await storage.offline.count('bob@example.com')).toBe(1);
    });

    it('accepts new messages once the queue has been drained', async () => {
      await storage.offline.push(to, '<message id="1"/>', 1, 1);
      expect(await storage.offline.push(to, '<message id="2"/>', 2, 1)).toBe(false);
      await storage.offline.takeAll(to);
      expect(await storage.offline.push(to, '<message id="3"/>', 3, 1)).toBe(true);
    });
  });

  describe('vcards', () => {
    it('gets null, sets and overwrites', async () => {
      const jid = 'alice@example.com';
      expect(await storage.vcards.get(jid)).toBeNull();
      await storage.vcards.set(jid, "<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>");
      expect(await storage.vcards.get(jid)).toBe("<vCard xmlns='vcard-temp'><FN>Alice</FN></vCard>");
      await storage.vcards.set(jid, "<vCard xmlns='vcard-temp'><FN>Alice L.</FN></vCard>");
      expect(await storage.vcards.get(jid)).toBe("<vCard xmlns='vcard-temp'><FN>Alice L.</FN></vCard>");
      expect(await storage.vcards.get('bob@example.com')).toBeNull();
    });
  });
}
