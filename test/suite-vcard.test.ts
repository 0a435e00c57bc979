// vCards from the address book (XEP-0054): the directory's card (name, emails, phones, organisation,
// title, photo) merged with what the user set; the directory's fields are not the user's to change;
// the XEP-0153 avatar hash follows the directory photo, and a new photo reaches online contacts at once.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { befriend, createUsers, iq, online, stopAll, xml, type Element } from './helpers/im.ts';
import { api, startSuiteServer } from './helpers/suite.ts';

const NS_VCARD = 'vcard-temp';
const NS_UPDATE = 'vcard-temp:x:update';
const DIRECTORY_PHOTO = Buffer.from('directory photo bytes (a PNG in real life)');
const NEW_DIRECTORY_PHOTO = Buffer.from('the new directory photo');
const OWN_PHOTO = Buffer.from("the user's own photo");
const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
const photoHashIn = (presence: Element) => presence.getChild('x', NS_UPDATE)?.getChildText('photo');

let server: TestServer;
beforeAll(async () => { server = await startSuiteServer(); });
afterAll(() => server.stop());

async function vcardOf(client: Awaited<ReturnType<typeof online>>, jid?: string): Promise<Element> {
  return (await iq(client, 'get', xml('vCard', { xmlns: NS_VCARD }), jid)).getChild('vCard', NS_VCARD)!;
}

const emails = (vcard: Element) => vcard.getChildren('EMAIL').map((email) => ({
  address: email.getChildText('USERID'), preferred: email.getChild('PREF') !== undefined,
}));

it('returns the address-book card, with the default address (the JID) first, merged with what the user set', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const admin = server.server.admin;
  await admin.updateUser(bobJid!, { displayName: 'Bob Builder' });
  await admin.addEmail(bobJid!, 'bob.builder@example.com');
  await admin.setCard(bobJid!, {
    n: { family: 'Builder', given: 'Bob' }, tels: [{ number: '+1 555 0100', types: ['WORK', 'VOICE'] }],
    org: { name: 'Example Corp', unit: 'Construction' }, title: 'Site manager',
  });
  await admin.setPhoto(bobJid!, { type: 'image/png', data: DIRECTORY_PHOTO });
  const alice = await online(server, aliceJid!);
  const bob = await online(server, bobJid!, { transport: 'websocket' });
  await iq(bob, 'set', xml('vCard', { xmlns: NS_VCARD }, xml('NICKNAME', {}, 'bobby'), xml('URL', {}, 'https://bob.example')));

  const card = await vcardOf(alice, bobJid);
  expect(card.getChildText('FN')).toBe('Bob Builder');
  expect(card.getChild('N')!.getChildText('FAMILY')).toBe('Builder');
  expect(card.getChild('N')!.getChildText('GIVEN')).toBe('Bob');
  expect(emails(card)).toEqual([{ address: bobJid, preferred: true }, { address: 'bob.builder@example.com', preferred: false }]);
  expect(card.getChild('TEL')!.getChildText('NUMBER')).toBe('+1 555 0100');
  expect(card.getChild('TEL')!.getChild('WORK')).toBeDefined();
  expect(card.getChild('ORG')!.getChildText('ORGNAME')).toBe('Example Corp');
  expect(card.getChild('ORG')!.getChildText('ORGUNIT')).toBe('Construction');
  expect(card.getChildText('TITLE')).toBe('Site manager');
  expect(card.getChild('PHOTO')!.getChildText('TYPE')).toBe('image/png');
  expect(card.getChild('PHOTO')!.getChildText('BINVAL')).toBe(DIRECTORY_PHOTO.toString('base64'));
  // the user's own fields are there too
  expect(card.getChildText('NICKNAME')).toBe('bobby');
  expect(card.getChildText('URL')).toBe('https://bob.example');
  await stopAll(alice, bob);
});

it("keeps the directory's fields when the user sets a vCard, and keeps the user's other fields", async () => {
  const [carolJid] = await createUsers(server, ['carol']);
  const admin = server.server.admin;
  await admin.setCard(carolJid!, { fn: 'Carol Directory', title: 'Engineer' });
  const carol = await online(server, carolJid!);
  await iq(carol, 'set', xml('vCard', { xmlns: NS_VCARD },
    xml('FN', {}, 'Mallory'), xml('TITLE', {}, 'CEO'), xml('NICKNAME', {}, 'caz'), xml('EMAIL', {}, xml('USERID', {}, 'evil@example.net'))));
  const card = await vcardOf(carol);
  expect(card.getChildText('FN')).toBe('Carol Directory');
  expect(card.getChildText('TITLE')).toBe('Engineer');
  expect(emails(card)).toEqual([{ address: carolJid, preferred: true }]);
  expect(card.getChildText('NICKNAME')).toBe('caz');
  expect(card.getChildren('FN')).toHaveLength(1);
  // the user's own PHOTO is theirs while the directory has none
  await iq(carol, 'set', xml('vCard', { xmlns: NS_VCARD }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, OWN_PHOTO.toString('base64')))));
  expect((await vcardOf(carol)).getChild('PHOTO')!.getChildText('BINVAL')).toBe(OWN_PHOTO.toString('base64'));
  await carol.stop();
});

it('puts the directory photo hash in presence and announces a changed photo to online contacts (admin API)', async () => {
  const [daveJid, erinJid] = await createUsers(server, ['dave', 'erin']);
  await server.server.admin.setPhoto(daveJid!, { type: 'image/png', data: DIRECTORY_PHOTO });
  const dave = await online(server, daveJid!);
  const erin = await online(server, erinJid!, { transport: 'websocket' });
  await befriend(dave, erin);
  // Dave's client says nothing about avatars; the server stamps the directory photo's hash.
  const first = erin.next((s) => s.is('presence') && s.attrs.from === dave.jid && photoHashIn(s) !== undefined);
  await dave.xmpp.send(xml('presence'));
  expect(photoHashIn(await first)).toBe(sha1(DIRECTORY_PHOTO));

  // The suite's admin changes the photo: Erin gets Dave's presence again with the new hash, no reconnect.
  const changed = erin.next((s) => s.is('presence') && s.attrs.from === dave.jid && photoHashIn(s) === sha1(NEW_DIRECTORY_PHOTO));
  const put = await api(server, 'PUT', `users/${daveJid}/photo`, { type: 'image/jpeg', data: NEW_DIRECTORY_PHOTO.toString('base64') });
  expect(put).toEqual({ status: 200, body: { hash: sha1(NEW_DIRECTORY_PHOTO) } });
  await changed;
  const card = await vcardOf(erin, daveJid);
  expect(card.getChild('PHOTO')!.getChildText('TYPE')).toBe('image/jpeg');
  expect(card.getChild('PHOTO')!.getChildText('BINVAL')).toBe(NEW_DIRECTORY_PHOTO.toString('base64'));

  // A client's PHOTO does not replace the directory's.
  await iq(dave, 'set', xml('vCard', { xmlns: NS_VCARD }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, OWN_PHOTO.toString('base64')))));
  expect((await vcardOf(erin, daveJid)).getChild('PHOTO')!.getChildText('BINVAL')).toBe(NEW_DIRECTORY_PHOTO.toString('base64'));

  // Removing the directory photo: the hash goes back to "no photo", announced at once.
  const removed = erin.next((s) => s.is('presence') && s.attrs.from === dave.jid && photoHashIn(s) === '');
  expect((await api(server, 'DELETE', `users/${daveJid}/photo`)).body).toEqual({ hash: '' });
  await removed;
  await stopAll(dave, erin);
});
