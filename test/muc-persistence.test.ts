// Persistent rooms (XEP-0045 §10.1.3) across a restart: configuration, subject, affiliations and
// registered nicknames come back from the state storage; temporary rooms do not; history comes back
// from the room's archive.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { createUsers, iq, iqError, online, received, stopAll, xml } from './helpers/im.ts';
import { MUC_OWNER, adminItems, createRoom, groupchat, isGroupchat, isSubject, join, joinError, newRoom } from './helpers/muc.ts';

const dataDir = mkdtempSync(joinPath(tmpdir(), 'parley-muc-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('a restart', () => {
  it('keeps persistent rooms with their configuration, subject and affiliations; temporary rooms are gone', async () => {
    let server: TestServer = await startServer({ dataDir });
    const [aliceJid, bobJid, carolJid] = await createUsers(server, ['alice', 'bob', 'carol']);
    const kept = newRoom('kept');
    const temporary = newRoom('temp');
    let alice = await online(server, aliceJid!);
    await createRoom(alice, kept, 'Alice', {
      'muc#roomconfig_persistentroom': true, 'muc#roomconfig_roomname': 'Kept', 'muc#roomconfig_membersonly': true,
    });
    await createRoom(alice, temporary, 'Alice');
    await iq(alice, 'set', adminItems({ jid: bobJid!, affiliation: 'member' }, { jid: carolJid!, affiliation: 'outcast' }), kept);
    const subject = alice.next((s) => isSubject(kept)(s) && s.getChildText('subject') === 'Still here');
    await alice.xmpp.send(xml('message', { to: kept, type: 'groupchat' }, xml('subject', {}, 'Still here')));
    await subject;
    const echo = alice.next(isGroupchat('remember me'));
    await alice.xmpp.send(groupchat(kept, 'remember me'));
    await echo;
    await stopAll(alice);
    await server.stop();

    server = await startServer({ dataDir });
    try {
      alice = await online(server, aliceJid!);
      const bob = await online(server, bobJid!);
      const carol = await online(server, carolJid!);
      const info = (await iq(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), kept)).getChild('query')!;
      expect(info.getChild('identity')!.attrs.name).toBe('Kept');
      expect(info.getChildren('feature').map((f) => f.attrs.var)).toEqual(expect.arrayContaining(['muc_persistent', 'muc_membersonly']));
      expect((await iqError(bob, 'get', xml('query', { xmlns: 'http://jabber.org/protocol/disco#info' }), temporary)).condition).toBe('item-not-found');
      expect(await joinError(carol, kept, 'Carol')).toBe('forbidden');
      await join(bob, kept, 'Bob');
      const shown = bob.received.find(isSubject(kept))!;
      expect(shown.getChildText('subject')).toBe('Still here');
      // the history comes back from the room's archive
      expect(bob.received.filter(isGroupchat()).map((m) => m.getChildText('body'))).toEqual(['remember me']);
      // the owner is still the owner
      const form = await iq(alice, 'get', xml('query', { xmlns: MUC_OWNER }), kept);
      expect(form.getChild('query')!.getChild('x')).toBeDefined();
      await received(bob, isSubject(kept));
      await stopAll(alice, bob, carol);
    } finally {
      await server.stop();
    }
  });
});
