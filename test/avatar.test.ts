// XEP-0153: the server stamps the vCard photo's hash on the user's presence and announces changes.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers/server.ts';
import { befriend, createUsers, online, presence, stopAll, xml, iq, type Element } from './helpers/im.ts';

const NS_UPDATE = 'vcard-temp:x:update';
const PHOTO = Buffer.from('not really a PNG, but bytes all the same');
const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
const photoOf = (stanza: Element) => stanza.getChild('x', NS_UPDATE)?.getChild('photo');

let server: TestServer;
beforeAll(async () => { server = await startServer(); });
afterAll(() => server.stop());

function vcardWithPhoto(bytes: Buffer): Element {
  return xml('vCard', { xmlns: 'vcard-temp' },
    xml('FN', {}, 'Alice Liddell'),
    xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, bytes.toString('base64'))));
}

it('stamps an empty <photo/> when the user has no photo, replacing what the client claimed', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await befriend(alice, bob);
  const seen = bob.next((s) => s.is('presence') && s.attrs.from === alice.jid && s.attrs.type === undefined);
  await alice.xmpp.send(xml('presence', {}, xml('x', { xmlns: NS_UPDATE }, xml('photo', {}, 'f'.repeat(40)))));
  const photo = photoOf(await seen);
  expect(photo).toBeDefined();
  expect(photo!.getText()).toBe('');
  await stopAll(alice, bob);
});

it('announces a new photo to online contacts at once, and on later logins', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!);
  await befriend(alice, bob);

  // Alice sets her vCard; Bob gets her presence again, now with the photo's SHA-1.
  const announced = bob.next((s) => s.is('presence') && s.attrs.from === alice.jid && photoOf(s)?.getText() !== '');
  await iq(alice, 'set', vcardWithPhoto(PHOTO));
  expect(photoOf(await announced)!.getText()).toBe(sha1(PHOTO));

  // Bob fetches the photo once and finds the same bytes.
  const card = await iq(bob, 'get', xml('vCard', { xmlns: 'vcard-temp' }), aliceJid);
  expect(card.getChild('vCard')!.getChild('PHOTO')!.getChildText('BINVAL')).toBe(PHOTO.toString('base64'));

  // A later login of Alice carries the hash without her client saying anything about it.
  await alice.stop();
  const again = bob.next((s) => s.is('presence') && s.attrs.from?.startsWith(`${aliceJid}/`) && s.attrs.type === undefined);
  const alice2 = await online(server, aliceJid!, { presence: false });
  await alice2.xmpp.send(presence());
  expect(photoOf(await again)!.getText()).toBe(sha1(PHOTO));
  await stopAll(alice2, bob);
});
