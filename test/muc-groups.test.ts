// Rooms for the suite's directory groups (issue 13): an admin gives a group a room (admin API, the
// admin service the CLI and the suite bus use); the group's members become the room's members and
// follow the group live — added members may enter the members-only room, removed ones lose the
// membership and leave it (status 321).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, startSuiteServer } from './helpers/suite.ts';
import type { TestServer } from './helpers/server.ts';
import { createUsers, iq, online, passwordOf, stopAll, xml } from './helpers/im.ts';

const NS_PUBSUB = 'http://jabber.org/protocol/pubsub';
const NS_BOOKMARKS = 'urn:xmpp:bookmarks:1';
import { deriveScramCredential } from '../server/src/sasl/credentials.ts';
import { adminItems, isPresenceOf, join, joinError, roomJid, statusCodes } from './helpers/muc.ts';
import { storageEnv } from './helpers/test-storage.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startSuiteServer({ config: { modules: { muc: { admins: ['boss@example.com'] } } } });
});
afterAll(() => server.stop());

const BOSS = 'boss@example.com';

/** The service admin's account (a fixed JID: options.admins names it). */
async function createBoss(): Promise<void> {
  const password = passwordOf(BOSS);
  await server.server.storage.accounts.create(BOSS, await Promise.all([
    deriveScramCredential(password, 'SHA-1', { iterations: 64 }), deriveScramCredential(password, 'SHA-256', { iterations: 64 })]));
}

describe('a group room', () => {
  it('makes the group members room members, live, over the admin API', async () => {
    const [alice, bob, carol] = await createUsers(server, ['alice', 'bob', 'carol']);
    await createBoss();
    const group = `team-${process.pid}`;
    const room = roomJid(`team-${process.pid}`);
    expect((await api(server, 'POST', 'groups', { name: group })).status).toBeLessThan(300);
    for (const jid of [alice, bob]) expect((await api(server, 'POST', `groups/${group}/members`, { jid })).status).toBe(200);
    const answer = await api(server, 'PUT', `groups/${group}/room`, { room });
    expect(answer).toMatchObject({ status: 200, body: { group, room } });
    const [a, b, c] = await Promise.all([alice!, bob!, carol!].map((jid) => online(server, jid)));
    // members enter (the room exists, members-only); carol is not a member
    await expect.poll(async () => (await joinError(c!, room, 'Carol').catch(() => 'none')) === 'registration-required').toBe(true);
    await join(a!, room, 'Alice');
    await join(b!, room, 'Bob');
    // carol joins the group: she may enter
    expect((await api(server, 'POST', `groups/${group}/members`, { jid: carol })).status).toBe(200);
    await expect.poll(async () => {
      try {
        await join(c!, room, 'Carol');
        return true;
      } catch {
        return false;
      }
    }, { timeout: 10_000 }).toBe(true);
    // bob leaves the group: he loses the membership and leaves the room (321)
    const removed = b!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s) && statusCodes(s).includes('321'), 10_000);
    const seen = a!.next((s) => isPresenceOf(`${room}/Bob`, 'unavailable')(s), 10_000);
    expect((await api(server, 'DELETE', `groups/${group}/members/${bob}`)).status).toBe(200);
    await Promise.all([removed, seen]);
    expect(await joinError(b!, room, 'Bob')).toBe('registration-required');
    // the member list shows the group's members; a service admin reads it
    const admin = await online(server, BOSS);
    const members = await iq(admin, 'get', adminItems({ affiliation: 'member' }), room);
    expect(members.getChild('query')!.getChildren('item').map((item) => item.attrs.jid).sort()).toEqual([alice!, carol!].sort());
    // the group's room goes: its members lose the membership
    const gone = a!.next((s) => isPresenceOf(`${room}/Alice`, 'unavailable')(s) && statusCodes(s).includes('321'), 10_000);
    expect((await api(server, 'DELETE', `groups/${group}/room`)).body).toMatchObject({ group, room: null });
    await gone;
    await stopAll(a!, b!, c!, admin);
  });

  it('offers each member the room as a XEP-0402 bookmark with autojoin, and leaves one a member keeps alone', async () => {
    const [dana, erin, fay] = await createUsers(server, ['dana', 'erin', 'fay']);
    const group = `crew-${process.pid}`;
    const room = roomJid(`crew-${process.pid}`);
    const [d, e, f] = await Promise.all([dana!, erin!, fay!].map((jid) => online(server, jid)));
    const bookmarks = async (client: typeof d) => {
      const answer = await iq(client!, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_BOOKMARKS }))).catch(() => null);
      return (answer?.getChild('pubsub')?.getChild('items')?.getChildren('item') ?? [])
        .map((item) => ({ id: item.attrs.id, name: item.getChild('conference')?.attrs.name, autojoin: item.getChild('conference')?.attrs.autojoin }));
    };
    // erin keeps the room already, under a name of her own and without autojoin
    await iq(e!, 'set', xml('pubsub', { xmlns: NS_PUBSUB }, xml('publish', { node: NS_BOOKMARKS },
      xml('item', { id: room }, xml('conference', { xmlns: NS_BOOKMARKS, name: 'Mine' })))));
    expect((await api(server, 'POST', 'groups', { name: group })).status).toBeLessThan(300);
    for (const jid of [dana, erin]) expect((await api(server, 'POST', `groups/${group}/members`, { jid })).status).toBe(200);
    expect((await api(server, 'PUT', `groups/${group}/room`, { room })).status).toBe(200);
    await expect.poll(() => bookmarks(d), { timeout: 10_000 }).toEqual([{ id: room, name: group, autojoin: 'true' }]);
    expect(await bookmarks(e)).toEqual([{ id: room, name: 'Mine', autojoin: undefined }]);
    // a member the group gets later is offered it too; nobody else
    expect((await api(server, 'POST', `groups/${group}/members`, { jid: fay })).status).toBe(200);
    await expect.poll(() => bookmarks(f), { timeout: 10_000 }).toEqual([{ id: room, name: group, autojoin: 'true' }]);
    await stopAll(d!, e!, f!);
  });

  it('refuses what is not a room JID, and groups that do not exist', async () => {
    expect((await api(server, 'PUT', `groups/nosuchgroup-${process.pid}/room`, { room: roomJid('x') })).status).toBe(404);
    await api(server, 'POST', 'groups', { name: `g-${process.pid}` });
    expect((await api(server, 'PUT', `groups/g-${process.pid}/room`, { room: 'conference.example.com' })).status).toBe(400);
  });
});

describe('parley group room (the CLI, through the event log of a running server)', () => {
  it('gives a group a room whose members may enter at once', async () => {
    const { spawnSync } = await import('node:child_process');
    const { join: joinPath } = await import('node:path');
    const parley = joinPath(import.meta.dirname, '../server/bin/parley.js');
    const run = (...args: string[]) => spawnSync(process.execPath, [parley, '--data', server.dataDir, ...args],
      { encoding: 'utf8', input: '', env: storageEnv(server.storage) });
    const [danJid] = await createUsers(server, ['dan']);
    const group = `cli-${process.pid}`;
    const room = roomJid(`cli-${process.pid}`);
    await api(server, 'POST', 'groups', { name: group });
    await api(server, 'POST', `groups/${group}/members`, { jid: danJid });
    const given = run('group', 'room', group, room);
    expect(given.status, given.stderr).toBe(0);
    expect(given.stdout).toContain(`group ${group} has the room ${room}`);
    const dan = await online(server, danJid!);
    await expect.poll(async () => {
      try {
        await join(dan, room, 'Dan');
        return true;
      } catch {
        return false;
      }
    }, { timeout: 10_000 }).toBe(true);
    expect(run('group', 'room', group).stderr).toContain('name the room');
    await stopAll(dan);
  }, 60_000);
});
