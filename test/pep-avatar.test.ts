// XEP-0084 user avatars bridged with vCard avatars (XEP-0398): a PEP avatar becomes the vCard photo
// and the XEP-0153 presence hash; a vCard photo, the user's or the address book's, appears as PEP
// data and metadata; a photo the directory owns is not replaced through PEP.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { TestServer } from './helpers/server.ts';
import { startSuiteServer } from './helpers/suite.ts';
import { befriend, createUsers, iq, online, received, stopAll, xml, type Element } from './helpers/im.ts';
import { NS_EVENT, NS_INFO, isEvent, itemsOf, notify, onlineWithCaps, publish, publishRequest, pubsubErrorWithText } from './helpers/pep.ts';

const NS_DATA = 'urn:xmpp:avatar:data';
const NS_METADATA = 'urn:xmpp:avatar:metadata';
const NS_UPDATE = 'vcard-temp:x:update';
const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
const photoHashIn = (presence: Element) => presence.getChild('x', NS_UPDATE)?.getChildText('photo');

let server: TestServer;
beforeAll(async () => { server = await startSuiteServer(); });
afterAll(() => server.stop());

async function publishAvatar(client: Awaited<ReturnType<typeof online>>, bytes: Buffer, type = 'image/png') {
  const id = sha1(bytes);
  await publish(client, NS_DATA, xml('data', { xmlns: NS_DATA }, bytes.toString('base64')), { id });
  await publish(client, NS_METADATA, xml('metadata', { xmlns: NS_METADATA }, xml('info', { id, bytes: String(bytes.length), type })), { id });
  return id;
}

it('announces the conversion (XEP-0398 §5) on the account', async () => {
  const [aliceJid] = await createUsers(server, ['alice']);
  const alice = await online(server, aliceJid!);
  const info = (await iq(alice, 'get', xml('query', { xmlns: NS_INFO }), aliceJid)).getChild('query')!;
  expect(info.getChildren('feature').map((f) => f.attrs.var)).toContain('urn:xmpp:pep-vcard-conversion:0');
  await alice.stop();
});

it('a XEP-0084 publish becomes the vCard photo and the presence hash contacts see', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await onlineWithCaps(server, bobJid!, [notify(NS_METADATA)]);
  await befriend(alice, bob);
  const picture = Buffer.from('a picture, as far as this test knows');
  const hashed = bob.next((s) => s.is('presence') && s.attrs.from === alice.jid && photoHashIn(s) === sha1(picture));
  const metadata = bob.next(isEvent(aliceJid!, NS_METADATA));
  const id = await publishAvatar(alice, picture, 'image/jpeg');
  expect((await metadata).getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.attrs.id).toBe(id);
  await hashed; // XEP-0153 hash in a fresh presence
  const card = (await iq(bob, 'get', xml('vCard', { xmlns: 'vcard-temp' }), aliceJid)).getChild('vCard')!;
  expect(card.getChild('PHOTO')!.getChildText('TYPE')).toBe('image/jpeg');
  expect(card.getChild('PHOTO')!.getChildText('BINVAL')).toBe(picture.toString('base64'));
  // disabling the avatar (XEP-0084 §4.5: empty metadata) removes the photo
  const cleared = bob.next((s) => s.is('presence') && s.attrs.from === alice.jid && photoHashIn(s) === '');
  await publish(alice, NS_METADATA, xml('metadata', { xmlns: NS_METADATA }), { id: 'none' });
  await cleared;
  await stopAll(alice, bob);
});

it('a vCard photo set by the client is published as XEP-0084 data and metadata', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const alice = await online(server, aliceJid!);
  const bob = await onlineWithCaps(server, bobJid!, [notify(NS_METADATA)]);
  await befriend(alice, bob);
  const photo = Buffer.from('a vCard photo');
  const notified = bob.next(isEvent(aliceJid!, NS_METADATA));
  await iq(alice, 'set', xml('vCard', { xmlns: 'vcard-temp' }, xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, photo.toString('base64')))));
  const info = (await notified).getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.getChild('metadata', NS_METADATA)!.getChild('info')!;
  expect(info.attrs).toMatchObject({ id: sha1(photo), bytes: String(photo.length), type: 'image/png' });
  const [[dataId, data]] = await itemsOf(bob, aliceJid!, NS_DATA) as [[string, string]];
  expect(dataId).toBe(sha1(photo));
  expect(data).toContain(photo.toString('base64'));
  await stopAll(alice, bob);
});

it('a directory photo appears as the PEP avatar; a client may not replace it through PEP (not-allowed)', async () => {
  const [aliceJid, bobJid] = await createUsers(server, ['alice', 'bob']);
  const photo = Buffer.from('the address book photo');
  await server.server.admin.setPhoto(aliceJid!, { type: 'image/png', data: photo });
  const alice = await online(server, aliceJid!);
  const bob = await onlineWithCaps(server, bobJid!, [notify(NS_METADATA)]);
  await befriend(alice, bob);
  const items = await itemsOf(bob, aliceJid!, NS_METADATA);
  expect(items.map(([id]) => id)).toEqual([sha1(photo)]);
  const refused = await pubsubErrorWithText(alice, 'set', publishRequest(NS_DATA, xml('data', { xmlns: NS_DATA }, 'AAAA'), { id: 'x' }));
  expect(refused).toMatchObject({ condition: 'not-allowed', type: 'cancel', text: expect.stringContaining('address book') });
  // a new photo in the address book is published at once
  const newer = Buffer.from('a newer address book photo');
  const notified = bob.next((s) => isEvent(aliceJid!, NS_METADATA)(s) && s.getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.attrs.id === sha1(newer));
  await server.server.admin.setPhoto(aliceJid!, { type: 'image/png', data: newer });
  await notified;
  expect(await received(bob, (s) => s.is('presence') && s.attrs.from === alice.jid && photoHashIn(s) === sha1(newer))).toBeDefined();
  await stopAll(alice, bob);
});
