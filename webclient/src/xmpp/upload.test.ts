// File sharing in the panel: the XEP-0363 slot read safely, the §5 errors said in words (the
// service's max size from <file-too-large/>), names and types as the service takes them, the
// service found by disco, the attachment a message carries (XEP-0066 OOB, or an image URL body),
// and the upload list's life (cancel, failure in words, dismiss).
import { describe, expect, it } from 'vitest';
import { NS, StanzaError, parseJid, xml, type Element } from '@parley/shared';
import { NS_HTTP_UPLOAD, UploadError, Uploader, describeProblem, parseSlot, slotProblem, uploadContentType, uploadFilename } from './upload.ts';
import { Emitter } from './emitter.ts';
import type { ClientEvents, XmppClient } from './client.ts';
import { interpret, oobPart } from './message-parts.ts';
import { attachmentOf } from '../lib/attachments.ts';
import { formatBytes } from '../lib/format.ts';
import { Uploads } from '../state/uploads.svelte.ts';
import { setLanguage } from '../i18n/index.svelte.ts';

const slotResult = (put: string, get: string, ...headers: Element[]) => xml('iq', { type: 'result' },
  xml('slot', { xmlns: NS_HTTP_UPLOAD }, xml('put', { url: put }, ...headers), xml('get', { url: get })));

describe('XEP-0363 slots', () => {
  it('keeps http(s) URLs and only the headers §4 allows, without line breaks', () => {
    const slot = parseSlot(slotResult('https://upload.example.com/put/1?sig=a', 'https://upload.example.com/get/1/cat.png',
      xml('header', { name: 'Authorization' }, 'Basic abc\r\nX-Evil: 1'), xml('header', { name: 'X-Other' }, 'no'), xml('header', { name: 'Cookie' }, 'a=b')));
    expect(slot).toEqual({
      put: 'https://upload.example.com/put/1?sig=a', get: 'https://upload.example.com/get/1/cat.png',
      headers: { Authorization: 'Basic abcX-Evil: 1', Cookie: 'a=b' },
    });
    expect(parseSlot(slotResult('javascript:alert(1)', 'https://upload.example.com/get/1'))).toBeNull();
    expect(parseSlot(slotResult('https://upload.example.com/put/1', 'data:text/html,<script>1</script>'))).toBeNull();
    expect(parseSlot(xml('iq', { type: 'result' }))).toBeNull();
  });

  it('says the §5 errors in words, with the max size of <file-too-large/>', async () => {
    const reply = xml('iq', { type: 'error' }, xml('error', { type: 'modify' },
      xml('not-acceptable', { xmlns: NS.stanzas }), xml('file-too-large', { xmlns: NS_HTTP_UPLOAD }, xml('max-file-size', null, String(20 * 1024)))));
    const tooLarge = slotProblem(new StanzaError('not-acceptable', 'the file is larger than 20480 bytes'), reply, 100);
    expect(tooLarge).toEqual({ kind: 'too-large', maxFileSize: 20 * 1024 });
    expect(describeProblem(tooLarge)).toBe('the file is too large; this server takes files up to 20 kB.');
    expect(describeProblem(slotProblem(new StanzaError('resource-constraint', 'your files use 10 of your 20 bytes'), undefined, null)))
      .toBe('your storage space for files is full (“your files use 10 of your 20 bytes”).');
    expect(describeProblem(slotProblem(new StanzaError('not-allowed'), undefined, null))).toBe('you may not send files here.');
    expect(slotProblem(new StanzaError('service-unavailable'), undefined, null)).toEqual({ kind: 'no-service' });
    await setLanguage('fr');
    try {
      // (French puts a no-break space before the unit)
      expect(describeProblem(tooLarge)).toMatch(/^le fichier est trop volumineux ; ce serveur accepte des fichiers jusqu’à 20\s+ko\.$/);
    } finally {
      await setLanguage('en');
    }
  });

  it('names and types a file as the service takes them', () => {
    expect(uploadFilename('../etc/passwd')).toBe('.._etc_passwd');
    expect(uploadFilename('evil\u202Egnp.exe')).toBe('evil_gnp.exe');
    expect(uploadFilename('  ')).toBe('file');
    expect(new TextEncoder().encode(uploadFilename('é'.repeat(300))).length).toBeLessThanOrEqual(200);
    expect(uploadContentType('Image/PNG; charset=x')).toBe('image/png');
    expect(uploadContentType('')).toBe('application/octet-stream');
  });

  it('sizes in the panel’s language', () => {
    expect(formatBytes(512)).toBe('512 byte');
    expect(formatBytes(100 * 1024 * 1024)).toBe('100 MB');
    expect(formatBytes(1536)).toBe('1.5 kB');
  });
});

/** A client whose server answers iq with `answer`. */
function scriptedClient(answer: (iq: Element) => Element) {
  const client = new (class extends Emitter<ClientEvents> {
    account = parseJid('alice@example.com');
    online = true;
    async iq(request: Element): Promise<Element> {
      return answer(request);
    }
  })();
  return client as unknown as XmppClient;
}

describe('the upload service and the upload list', () => {
  const discoAnswer = (iq: Element) => {
    const query = iq.getChild('query');
    if (query?.attrs.xmlns === NS.discoItems) return xml('iq', { type: 'result' }, xml('query', { xmlns: NS.discoItems }, xml('item', { jid: 'conference.example.com' }), xml('item', { jid: 'upload.example.com' })));
    if (query?.attrs.xmlns === NS.discoInfo && iq.attrs.to === 'upload.example.com') {
      return xml('iq', { type: 'result' }, xml('query', { xmlns: NS.discoInfo }, xml('identity', { category: 'store', type: 'file' }), xml('feature', { var: NS_HTTP_UPLOAD }),
        xml('x', { xmlns: NS.dataForms, type: 'result' }, xml('field', { var: 'FORM_TYPE', type: 'hidden' }, xml('value', null, NS_HTTP_UPLOAD)), xml('field', { var: 'max-file-size' }, xml('value', null, '5242880')))));
    }
    if (query?.attrs.xmlns === NS.discoInfo) return xml('iq', { type: 'result' }, xml('query', { xmlns: NS.discoInfo }, xml('feature', { var: NS.discoInfo })));
    throw new StanzaError('resource-constraint', 'your files use 1024 of your 1024 bytes');
  };

  it('finds the service among the domain’s items, with its max-file-size', async () => {
    expect(await new Uploader(scriptedClient(discoAnswer)).findService()).toEqual({ jid: 'upload.example.com', maxFileSize: 5 * 1024 * 1024 });
    const none = scriptedClient((iq) => iq.getChild('query')?.attrs.xmlns === NS.discoItems
      ? xml('iq', { type: 'result' }, xml('query', { xmlns: NS.discoItems })) : xml('iq', { type: 'result' }, xml('query', { xmlns: NS.discoInfo })));
    expect(await new Uploader(none).findService()).toBeNull();
  });

  it('a refused slot becomes a failed upload in words, dismissed on request; a cancelled one leaves', async () => {
    const uploader = new Uploader(scriptedClient(discoAnswer));
    const uploads = new Uploads(uploader, () => true);
    const sent: string[] = [];
    uploads.start('bob@example.com', [new File(['x'.repeat(10)], 'big.bin')], (url) => sent.push(url));
    await expect.poll(() => uploads.of('bob@example.com')[0]?.failed).toBe('your storage space for files is full (“your files use 1024 of your 1024 bytes”).');
    uploads.of('bob@example.com')[0]!.dismiss();
    expect(uploads.of('bob@example.com')).toEqual([]);

    uploads.start('bob@example.com', [new File(['y'], 'small.txt')], (url) => sent.push(url));
    uploads.of('bob@example.com')[0]!.cancel();
    await expect.poll(() => uploads.of('bob@example.com').length).toBe(0);
    expect(sent).toEqual([]);
    await expect(uploader.upload(new File(['z'], 'z'), () => {}, AbortSignal.abort())).rejects.toBeInstanceOf(UploadError);
  });
});

describe('attachments of messages', () => {
  it('reads the XEP-0066 URL of a shared file; an image URL body is previewed; other links stay links', () => {
    const url = 'https://upload.example.com/get/abc/holiday%20photo.jpg';
    const stanza = xml('message', { type: 'chat' }, xml('body', null, url), oobPart(url));
    const action = interpret(stanza);
    expect(action).toMatchObject({ kind: 'message', body: url, oob: url });
    expect(attachmentOf(url, url)).toEqual({ url, name: 'holiday photo.jpg', kind: 'image', caption: '' });
    expect(attachmentOf(`look ${url}`, url)).toMatchObject({ kind: 'image', caption: 'look' });
    expect(attachmentOf('https://files.example.com/report.pdf', 'https://files.example.com/report.pdf')).toMatchObject({ kind: 'file', name: 'report.pdf' });
    expect(attachmentOf('https://example.org/cat.png', undefined)).toMatchObject({ kind: 'image', name: 'cat.png' });
    expect(attachmentOf('https://example.org/page', undefined)).toBeNull();
    expect(attachmentOf('see https://example.org/cat.png', undefined)).toBeNull();
  });

  it('never takes a URL that is not http(s)', () => {
    expect(attachmentOf('javascript:alert(1)', 'javascript:alert(1)')).toBeNull();
    expect(attachmentOf('x', 'data:image/png;base64,AAAA')).toBeNull();
    expect(attachmentOf('www.example.org/a.png', 'www.example.org/a.png')).toBeNull();
    expect(attachmentOf('file:///etc/passwd.png', undefined)).toBeNull();
  });
});
