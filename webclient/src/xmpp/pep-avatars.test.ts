// The panel's XEP-0115 caps and XEP-0084 avatars: the verification string (the XEP's own example;
// the server verifying the panel's caps is in test/e2e/avatars.test.ts), metadata notifications
// read, the data fetched once and checked against its hash, publishing (data before metadata), and
// refusals in words.
import { describe, expect, it } from 'vitest';
import { NS, StanzaError, parseJid, xml, type Element } from '@parley/shared';
import { toBase64 } from '@parley/shared/sasl/encoding';
import { CLIENT_FEATURES, discoInfoQuery, panelCaps, verificationString, verificationText } from './caps.ts';
import { AvatarService, sha1Hex } from './avatars.ts';
import { Emitter } from './emitter.ts';
import type { ClientEvents, XmppClient } from './client.ts';
import { PepAvatars, avatarRefusal, parseMetadataEvent } from './pep-avatars.ts';
import { avatarCrop } from '../lib/image.ts';

const ME = 'alice@example.com';

function metadataEvent(from: string, ...infos: Element[]): Element {
  return xml('message', { from, to: `${ME}/web`, type: 'headline' },
    xml('event', { xmlns: NS.pubsubEvent }, xml('items', { node: NS.avatarMetadata },
      xml('item', { id: 'x' }, xml('metadata', { xmlns: NS.avatarMetadata }, ...infos)))));
}

/** A client whose server answers iq with `answer` (kept in `sent`); incoming stanzas by `deliver`. */
function scriptedClient(answer: (iq: Element) => Element | Promise<Element>) {
  const sent: Element[] = [];
  const client = new (class extends Emitter<ClientEvents> {
    account = parseJid(ME);
    online = true;
    async iq(request: Element): Promise<Element> {
      sent.push(request);
      return answer(request);
    }
  })();
  return { client: client as unknown as XmppClient, sent, deliver: (stanza: Element) => client.emit('message', stanza) };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 20));

describe('XEP-0115 caps of the panel', () => {
  it('computes the §5.2 example verification string', async () => {
    const text = verificationText([{ category: 'client', type: 'pc', name: 'Exodus 0.9.1' }],
      ['http://jabber.org/protocol/disco#info', 'http://jabber.org/protocol/disco#items', 'http://jabber.org/protocol/muc', 'http://jabber.org/protocol/caps']);
    expect(text).toBe('client/pc//Exodus 0.9.1<http://jabber.org/protocol/caps<http://jabber.org/protocol/disco#info<http://jabber.org/protocol/disco#items<http://jabber.org/protocol/muc<');
    expect(await verificationString(text)).toBe('QgayPKawpkPSDYmwT/WM94uAlu0=');
  });

  it('announces what it answers, avatar notifications among it', async () => {
    const caps = await panelCaps();
    expect(caps).not.toBeNull();
    const query = discoInfoQuery();
    const identities = query.getChildren('identity').map((i) => ({ category: i.attrs.category!, type: i.attrs.type!, name: i.attrs.name }));
    expect(await verificationString(verificationText(identities, query.getChildren('feature').map((f) => f.attrs.var!)))).toBe(caps!.ver);
    expect(CLIENT_FEATURES).toContain(`${NS.avatarMetadata}+notify`);
    expect(caps!.element().attrs).toMatchObject({ xmlns: NS.caps, hash: 'sha-1', ver: caps!.ver });
  });
});

describe('XEP-0084 metadata notifications', () => {
  it('reads the PNG info of a contact, none for an empty metadata, nothing from a full JID or by URL only', () => {
    const id = 'a'.repeat(40);
    expect(parseMetadataEvent(metadataEvent('bob@example.com',
      xml('info', { id: 'b'.repeat(40), type: 'image/jpeg', bytes: 100 }), xml('info', { id, type: 'image/png', bytes: 200 }))))
      .toEqual({ from: 'bob@example.com', info: { id, type: 'image/png', bytes: 200 } });
    expect(parseMetadataEvent(metadataEvent('bob@example.com'))).toEqual({ from: 'bob@example.com', info: null });
    expect(parseMetadataEvent(metadataEvent('bob@example.com/phone', xml('info', { id, type: 'image/png' })))).toBeNull();
    expect(parseMetadataEvent(metadataEvent('bob@example.com', xml('info', { id, type: 'image/png', url: 'https://example.org/a.png' })))).toBeNull();
    expect(parseMetadataEvent(metadataEvent('bob@example.com', xml('info', { id: 'not-a-hash', type: 'image/png' })))).toBeNull();
  });

  it('fetches the data once per id, shows it when the bytes hash to the id, refuses other bytes', async () => {
    const good = new Uint8Array([137, 80, 78, 71, 1, 2, 3]);
    const id = await sha1Hex(good);
    const forgedId = 'c'.repeat(40);
    const { client, sent, deliver } = scriptedClient((iq) => {
      const wanted = iq.getChild('pubsub', NS.pubsub)!.getChild('items')!.getChild('item')!.attrs.id;
      return xml('iq', { type: 'result' }, xml('pubsub', { xmlns: NS.pubsub }, xml('items', { node: NS.avatarData },
        xml('item', { id: wanted }, xml('data', { xmlns: NS.avatarData }, toBase64(good))))));
    });
    const avatars = new AvatarService(client, null);
    new PepAvatars(client, avatars);
    const changes: string[] = [];
    avatars.on('changed', (bare, card) => changes.push(`${bare} ${card.hash} ${card.photo ? 'photo' : 'none'}`));

    deliver(metadataEvent('bob@example.com', xml('info', { id, type: 'image/png', bytes: good.length })));
    deliver(metadataEvent('carol@example.com', xml('info', { id, type: 'image/png', bytes: good.length })));
    await settle();
    expect(sent.length).toBe(1); // one fetch for both contacts with the same image
    expect(sent[0]!.attrs.to).toBe('bob@example.com');
    // a later notification of the same image is shown from memory, without a fetch
    deliver(metadataEvent('carol@example.com', xml('info', { id, type: 'image/png', bytes: good.length })));
    expect(sent.length).toBe(1);
    expect(avatars.card('bob@example.com')).toMatchObject({ hash: id, photo: `data:image/png;base64,${toBase64(good)}` });
    expect(avatars.card('carol@example.com').hash).toBe(id);

    deliver(metadataEvent('dave@example.com', xml('info', { id: forgedId, type: 'image/png', bytes: good.length })));
    await settle();
    expect(avatars.card('dave@example.com').photo).toBeUndefined();

    // XEP-0153 presence hashes no longer decide for a contact seen with a PEP avatar
    avatars.noticeHash('bob@example.com', '');
    expect(avatars.card('bob@example.com').hash).toBe(id);
    deliver(metadataEvent('bob@example.com'));
    expect(avatars.card('bob@example.com')).toMatchObject({ hash: '', photo: undefined });
    expect(changes).toContain(`bob@example.com ${id} photo`);
    expect(changes.at(-1)).toBe('bob@example.com  none');
  });

  it('publishes the data, then the metadata naming it; falls back when the server has no PEP', async () => {
    const image = { type: 'image/png' as const, bytes: new Uint8Array([1, 2, 3, 4]), base64: toBase64(new Uint8Array([1, 2, 3, 4])), width: 96, height: 96 };
    const id = await sha1Hex(image.bytes);
    const { client, sent } = scriptedClient(() => xml('iq', { type: 'result' }));
    const pep = new PepAvatars(client, new AvatarService(client, null));
    expect(await pep.publishOwn(image)).toBe(id);
    const nodes = sent.map((iq) => iq.getChild('pubsub', NS.pubsub)!.getChild('publish')!.attrs.node);
    expect(nodes).toEqual([NS.avatarData, NS.avatarMetadata]);
    const info = sent[1]!.getChild('pubsub')!.getChild('publish')!.getChild('item')!.getChild('metadata', NS.avatarMetadata)!.getChild('info')!;
    expect(info.attrs).toMatchObject({ id, bytes: '4', type: 'image/png', width: '96', height: '96' });
    expect(sent[0]!.getChild('pubsub')!.getChild('publish')!.getChild('item')!.attrs.id).toBe(id);

    const none = scriptedClient(() => { throw new StanzaError('service-unavailable'); });
    expect(await new PepAvatars(none.client, new AvatarService(none.client, null)).publishOwn(image)).toBeNull();

    const refused = scriptedClient(() => { throw new StanzaError('not-allowed', 'your avatar comes from the address book: change the photo there'); });
    await expect(new PepAvatars(refused.client, new AvatarService(refused.client, null)).publishOwn(null))
      .rejects.toThrow('Your server does not let you change your photo here: “your avatar comes from the address book: change the photo there”');
  });

  it('says a refusal in words', () => {
    expect(avatarRefusal(new StanzaError('not-allowed'))).toBe('Your server does not let you change your photo here.');
    expect(avatarRefusal(new StanzaError('not-acceptable', 'at most 64 KB'))).toBe('This photo is too large for your server: “at most 64 KB”');
    expect(avatarRefusal(new Error('network'))).toBe('Could not publish your photo.');
  });
});

describe('XEP-0153 avatars of contacts without PEP', () => {
  it('a contact seen before announces a new photo hash: the vCard is read again at once', async () => {
    const photo = new Uint8Array([137, 80, 78, 71, 9]);
    let withPhoto = false;
    const { client, sent } = scriptedClient(() => xml('iq', { type: 'result' }, xml('vCard', { xmlns: NS.vcard }, xml('FN', null, 'Dana'),
      withPhoto ? xml('PHOTO', null, xml('TYPE', null, 'image/png'), xml('BINVAL', null, toBase64(photo))) : null)));
    const avatars = new AvatarService(client, null);
    avatars.ensureCards(['dana@example.com']);
    await settle();
    expect(avatars.card('dana@example.com')).toMatchObject({ fullName: 'Dana', hash: '' });
    withPhoto = true;
    avatars.noticeHash('dana@example.com', await sha1Hex(photo));
    await settle();
    expect(sent.length).toBe(2);
    expect(avatars.card('dana@example.com')).toMatchObject({ hash: await sha1Hex(photo), photo: `data:image/png;base64,${toBase64(photo)}` });
  });
});

describe('avatar image size', () => {
  it('crops the centre square and keeps the side between 96 and 192 px', () => {
    expect(avatarCrop(400, 300)).toEqual({ x: 50, y: 0, side: 300, size: 192 });
    expect(avatarCrop(8, 8)).toEqual({ x: 0, y: 0, side: 8, size: 96 });
    expect(avatarCrop(120, 150)).toEqual({ x: 0, y: 15, side: 120, size: 120 });
  });
});
