// Avatars in the panel. With PEP: Alice picks a photo in her profile; the panel makes it a square
// PNG and publishes it as an XEP-0084 avatar; Bob's panel (another browser) shows it, and Carol
// (@xmpp/client announcing urn:xmpp:avatar:metadata+notify in her XEP-0115 caps) gets the metadata
// notification, fetches the data and finds the bytes the id names. A photo the address book owns
// is refused by the server, and the panel says so in words. Without PEP on the server, the same
// dialog falls back to the vCard photo (XEP-0153) both ways.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { defaultModules } from '../../server/src/modules/index.ts';
import { pepModule } from '../../server/src/modules/pep/index.ts';
import { launchBrowser, signIn, webClientDir, type TestBrowser } from '../helpers/browser.ts';
import { baseUrl, seedRoster, startPanelServer } from '../helpers/panel.ts';
import { startServer, type TestServer } from '../helpers/server.ts';
import { iq, online, received, xml, type Element, type LoggedInClient } from '../helpers/im.ts';
import { verificationString } from '../../server/src/modules/caps/verification.ts';
import { NS_CAPS, NS_EVENT, NS_INFO, NS_PUBSUB, isEvent, itemsOf, notify, onlineWithCaps, type CapsClient } from '../helpers/pep.ts';

const NS_DATA = 'urn:xmpp:avatar:data';
const NS_METADATA = 'urn:xmpp:avatar:metadata';
const NS_UPDATE = 'vcard-temp:x:update';
const sha1 = (bytes: Buffer) => createHash('sha1').update(bytes).digest('hex');
const photoHashIn = (presence: Element) => presence.getChild('x', NS_UPDATE)?.getChildText('photo');

// An 8×8 PNG gradient: the panel scales it up to the 96 px floor of an avatar.
const PICTURE = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAgAAAAICAIAAABLbSncAAAAgElEQVR4nA3JIQFFMQhA0R/n1VgNGqAxa4BB04AG0zOY24A6f8ee3ycsQQQTQijhCiP8PmUpopgSSilXGX2xWRvZ2CY2tbmb2S+c5YhjTjjlXGf8RbISSSyJpJKbTL4oViGFFVFUcYupF4d1kIMd4lCHe5jzolmNNNZEU81tpvkDiI11ga+0y6EAAAAASUVORK5CYII=', 'base64');
const USERS = { 'alice@example.com': 'alice-secret', 'bob@example.com': 'bob-secret', 'carol@example.com': 'carol-secret', 'dana@example.com': 'dana-secret' };

async function choosePhoto(page: Page, picture: Buffer): Promise<void> {
  await page.getByRole('button', { name: 'Edit your profile' }).click();
  await page.getByRole('dialog').waitFor();
  await page.locator('input[type=file]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: picture });
  await page.getByRole('button', { name: 'Save' }).click();
}

/** The base64 image a row's avatar shows (its data: URL). */
async function shownPhoto(page: Page, jid: string): Promise<string> {
  const img = page.locator(`[data-jid="${jid}"] .avatar img`).first();
  await img.waitFor();
  const src = (await img.getAttribute('src')) ?? '';
  expect(src).toMatch(/^data:image\/png;base64,/);
  return src.slice(src.indexOf(',') + 1);
}

describe('avatars through PEP (XEP-0084, caps XEP-0115)', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let bob: Page;
  let carol: CapsClient;
  /** What Bob's panel received over its WebSocket. */
  const bobFrames: string[] = [];

  beforeAll(async () => {
    server = await startPanelServer(USERS);
    await seedRoster(server, 'alice@example.com', [{ jid: 'bob@example.com', name: 'Bob' }, { jid: 'carol@example.com', name: 'Carol' }]);
    await seedRoster(server, 'bob@example.com', [{ jid: 'alice@example.com', name: 'Alice' }]);
    carol = await onlineWithCaps(server, 'carol@example.com', [notify(NS_METADATA)]);
    browser = await launchBrowser();
    alice = await browser.newPage();
    bob = await browser.newPage({ colorScheme: 'dark' });
    bob.on('websocket', (socket) => socket.on('framereceived', ({ payload }) => bobFrames.push(String(payload))));
    await Promise.all([signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret'), signIn(bob, baseUrl(server), 'bob@example.com', 'bob-secret')]);
  });

  afterAll(async () => {
    await carol?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('the panel announces caps the server verifies, with avatar notifications asked for', async () => {
    const presence = await received(carol, (s) => s.is('presence') && (s.attrs.from ?? '').startsWith('alice@example.com/') && !!s.getChild('c', NS_CAPS));
    const caps = presence.getChild('c', NS_CAPS)!.attrs;
    expect(caps).toMatchObject({ hash: 'sha-1', node: 'urn:parley:webclient' });
    // what the server asks the panel (§6.2, node#ver), asked by Carol: the features the ver stands for
    const reply = await iq(carol, 'get', xml('query', { xmlns: NS_INFO, node: `${caps.node}#${caps.ver}` }), presence.attrs.from);
    const query = reply.getChild('query')!;
    expect(query.attrs.node).toBe(`${caps.node}#${caps.ver}`);
    expect(verificationString(query, 'sha-1')).toBe(caps.ver);
    expect(query.getChildren('feature').map((f) => f.attrs.var)).toContain(`${NS_METADATA}+notify`);
  });

  it('Alice changes her avatar: a square PNG in PEP, seen by Bob’s panel and by Carol’s client', async () => {
    const notified = carol.next(isEvent('alice@example.com', NS_METADATA), 15_000);
    await choosePhoto(alice, PICTURE);
    await alice.getByRole('dialog').waitFor({ state: 'detached' });
    await alice.locator('.header .me img').waitFor();

    const info = (await notified).getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')!.getChild('metadata', NS_METADATA)!.getChild('info')!;
    expect(info.attrs).toMatchObject({ type: 'image/png', width: '96', height: '96' });
    const [[dataId, data]] = await itemsOf(carol, 'alice@example.com', NS_DATA, { ids: [info.attrs.id!] }) as [[string, string]];
    expect(dataId).toBe(info.attrs.id);
    const bytes = Buffer.from(data.replace(/<[^>]+>/g, '').trim(), 'base64');
    expect(sha1(bytes)).toBe(info.attrs.id);
    expect(bytes.subarray(1, 4).toString()).toBe('PNG');
    expect(Number(info.attrs.bytes)).toBe(bytes.length);

    // Bob's panel: the same image on Alice's row; its caps brought it the metadata notification
    await bob.getByRole('tab', { name: /Contacts/ }).click();
    await expect.poll(() => shownPhoto(bob, 'alice@example.com'), { timeout: 15_000 }).toBe(bytes.toString('base64'));
    expect(bobFrames.some((frame) => frame.includes(NS_EVENT) && frame.includes(`id="${info.attrs.id}"`) && frame.includes('from="alice@example.com"'))).toBe(true);
    // and the vCard (XEP-0398 on the server) carries it for clients without PEP, hash in presence
    const card = (await iq(carol, 'get', xml('vCard', { xmlns: 'vcard-temp' }), 'alice@example.com')).getChild('vCard')!;
    expect(card.getChild('PHOTO')!.getChildText('BINVAL')!.replace(/\s+/g, '')).toBe(bytes.toString('base64'));
  });

  it('Alice removes her photo: an empty metadata (XEP-0084 §4.5), initials again at Bob’s', async () => {
    const cleared = carol.next((s) => isEvent('alice@example.com', NS_METADATA)(s)
      && s.getChild('event', NS_EVENT)!.getChild('items')!.getChild('item')?.getChild('metadata', NS_METADATA)?.getChildren('info').length === 0, 15_000);
    await alice.getByRole('button', { name: 'Edit your profile' }).click();
    await alice.getByRole('dialog').getByRole('button', { name: 'Remove' }).click();
    await alice.getByRole('button', { name: 'Save' }).click();
    await alice.getByRole('dialog').waitFor({ state: 'detached' });
    await cleared;
    await alice.locator('.header .me .initials').waitFor();
    await bob.locator('[data-jid="alice@example.com"] .avatar .initials').waitFor();
  });

  it('a photo the address book owns is refused, and the panel says why in words', async () => {
    await server.server.admin.setPhoto('alice@example.com', { type: 'image/png', data: Buffer.from('the address book photo') });
    await choosePhoto(alice, PICTURE);
    const alert = alice.getByRole('dialog').getByRole('alert');
    await alert.waitFor();
    expect(await alert.textContent()).toBe('Your server does not let you change your photo here: “your avatar comes from the address book: change the photo there”');
    await alice.keyboard.press('Escape');
    await alice.getByRole('dialog').waitFor({ state: 'detached' });
  });
});

describe('avatars without PEP on the server: the vCard (XEP-0153) both ways', () => {
  let server: TestServer;
  let browser: TestBrowser;
  let alice: Page;
  let dana: LoggedInClient;

  beforeAll(async () => {
    server = await startServer({ users: USERS, config: { http: { webClientDir } }, modules: defaultModules.filter((module) => module !== pepModule) });
    await seedRoster(server, 'alice@example.com', [{ jid: 'dana@example.com', name: 'Dana' }]);
    dana = await online(server, 'dana@example.com');
    browser = await launchBrowser();
    alice = await browser.newPage();
    await signIn(alice, baseUrl(server), 'alice@example.com', 'alice-secret');
  });

  afterAll(async () => {
    await dana?.stop();
    await browser?.close();
    await server?.stop();
  });

  it('Alice’s new photo goes into her vCard, its hash into her presence', async () => {
    const hashed = dana.next((s) => s.is('presence') && (s.attrs.from ?? '').startsWith('alice@example.com/') && !!photoHashIn(s), 15_000);
    await choosePhoto(alice, PICTURE);
    await alice.getByRole('dialog').waitFor({ state: 'detached' });
    const hash = photoHashIn(await hashed)!;
    const card = (await iq(dana, 'get', xml('vCard', { xmlns: 'vcard-temp' }), 'alice@example.com')).getChild('vCard')!;
    const bytes = Buffer.from(card.getChild('PHOTO')!.getChildText('BINVAL')!, 'base64');
    expect(sha1(bytes)).toBe(hash);
    expect(await alice.locator('.header .me img').getAttribute('src')).toBe(`data:image/png;base64,${bytes.toString('base64')}`);
    // nothing went to a PEP node: the server has none
    const pubsub = await iq(dana, 'get', xml('pubsub', { xmlns: NS_PUBSUB }, xml('items', { node: NS_METADATA })), 'alice@example.com').catch((error: Error) => error);
    expect(pubsub).toBeInstanceOf(Error);
  });

  it('Dana’s vCard photo, announced by its hash, shows on her row', async () => {
    const photo = Buffer.from(PICTURE);
    await iq(dana, 'set', xml('vCard', { xmlns: 'vcard-temp' }, xml('FN', {}, 'Dana Scully'),
      xml('PHOTO', {}, xml('TYPE', {}, 'image/png'), xml('BINVAL', {}, photo.toString('base64')))));
    await dana.xmpp.send(xml('presence', {}, xml('x', { xmlns: NS_UPDATE }, xml('photo', {}, sha1(photo)))));
    await alice.getByRole('tab', { name: /Contacts/ }).click();
    await expect.poll(() => shownPhoto(alice, 'dana@example.com'), { timeout: 15_000 }).toBe(photo.toString('base64'));
  });
});
