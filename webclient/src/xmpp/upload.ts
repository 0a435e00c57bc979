// XEP-0363 HTTP file upload from the panel: the upload service found by disco (§3, with its
// max-file-size), a slot asked for each file (§4), the file PUT with progress (XMLHttpRequest:
// fetch reports no upload progress) and cancel, errors in words (§5: file-too-large with the
// service's max size, quota, not allowed). The message then carries the GET URL (chat.ts, OOB).
import { NS, StanzaError, xml, type Element } from '@parley/shared';
import { errorReplyOf, type XmppClient } from './client.ts';
import { ConnectionError } from './errors.ts';
import { formatBytes } from '../lib/format.ts';
import { t } from '../i18n/index.svelte.ts';

export const NS_HTTP_UPLOAD = 'urn:xmpp:http:upload:0';

export interface UploadServiceInfo {
  jid: string;
  /** §3: the largest file the service takes (null: it did not say). */
  maxFileSize: number | null;
}

export interface Slot {
  put: string;
  get: string;
  /** §4: the only headers a slot may ask for on the PUT. */
  headers: Record<string, string>;
}

export type UploadProblem =
  | { kind: 'too-large'; maxFileSize: number | null }
  | { kind: 'quota'; text?: string }
  | { kind: 'not-allowed'; text?: string }
  | { kind: 'no-service' }
  | { kind: 'cancelled' }
  | { kind: 'offline' }
  | { kind: 'failed'; text?: string };

export class UploadError extends Error {
  constructor(readonly problem: UploadProblem) {
    super(describeProblem(problem));
    this.name = 'UploadError';
  }
}

export function describeProblem(problem: UploadProblem): string {
  switch (problem.kind) {
    case 'too-large':
      return problem.maxFileSize === null ? t('upload.tooLargeUnknown') : t('upload.tooLarge', { max: formatBytes(problem.maxFileSize) });
    case 'quota': return t('upload.quota', { text: problem.text || 'none' });
    case 'not-allowed': return t('upload.notAllowed', { text: problem.text || 'none' });
    case 'no-service': return t('upload.noService');
    case 'cancelled': return t('upload.cancelled');
    case 'offline': return t('upload.offline');
    case 'failed': return t('upload.failed', { text: problem.text || 'none' });
  }
}

/** A file name the service takes (§4 'filename'): no path separators, controls or direction overrides, at most 200 bytes. */
export function uploadFilename(name: string): string {
  let clean = name.replace(/[/\\\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '_').trim();
  const encoder = new TextEncoder();
  while (encoder.encode(clean).length > 200) clean = [...clean].slice(0, -1).join('');
  return clean === '' || clean === '.' || clean === '..' ? 'file' : clean;
}

/** A MIME type as the slot and the PUT both state it (lower case, no parameters). */
export function uploadContentType(type: string): string {
  const bare = type.split(';', 1)[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(bare) ? bare : 'application/octet-stream';
}

function webUrl(text: string | undefined): string | null {
  if (!text) return null;
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:' ? url.href : null;
  } catch {
    return null;
  }
}

/** §4 slot result: both URLs http(s), the allowed headers without line breaks. */
export function parseSlot(result: Element): Slot | null {
  const slot = result.getChild('slot', NS_HTTP_UPLOAD);
  const put = webUrl(slot?.getChild('put')?.attrs.url);
  const get = webUrl(slot?.getChild('get')?.attrs.url);
  if (!slot || !put || !get) return null;
  const headers: Record<string, string> = {};
  for (const header of slot.getChild('put')!.getChildren('header')) {
    const name = header.attrs.name ?? '';
    const value = header.getText().replace(/[\r\n]/g, '');
    if (/^(authorization|cookie|expires)$/i.test(name)) headers[name] = value;
  }
  return { put, get, headers };
}

/** §5 errors of a slot request (`reply`: the error stanza, for its application condition) as a problem to show. */
export function slotProblem(error: unknown, reply: Element | undefined, announcedMax: number | null): UploadProblem {
  if (error instanceof ConnectionError) return { kind: 'offline' };
  if (!(error instanceof StanzaError)) return { kind: 'failed', text: (error as Error)?.message };
  const tooLarge = reply?.getChild('error')?.getChild('file-too-large', NS_HTTP_UPLOAD);
  if (tooLarge) {
    const max = Number(tooLarge.getChildText('max-file-size'));
    return { kind: 'too-large', maxFileSize: Number.isSafeInteger(max) && max > 0 ? max : announcedMax };
  }
  switch (error.condition) {
    case 'resource-constraint': return { kind: 'quota', text: error.text };
    case 'not-allowed':
    case 'forbidden':
    case 'not-authorized': return { kind: 'not-allowed', text: error.text };
    case 'service-unavailable':
    case 'feature-not-implemented': return { kind: 'no-service' };
    default: return { kind: 'failed', text: error.text ?? error.condition };
  }
}

/** §3: the service's max-file-size, from the XEP-0128 form its disco#info carries. */
function maxFileSizeOf(info: Element): number | null {
  for (const form of info.getChildren('x', NS.dataForms)) {
    const fields = form.getChildren('field');
    if (fields.find((field) => field.attrs.var === 'FORM_TYPE')?.getChildText('value') !== NS_HTTP_UPLOAD) continue;
    const max = Number(fields.find((field) => field.attrs.var === 'max-file-size')?.getChildText('value'));
    if (Number.isSafeInteger(max) && max > 0) return max;
  }
  return null;
}

/** The PUT, with progress; resolves on 2xx, rejects with an UploadError (cancelled when `signal` aborts). */
export function putFile(slot: Slot, file: Blob, contentType: string, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('PUT', slot.put);
    request.setRequestHeader('Content-Type', contentType);
    for (const [name, value] of Object.entries(slot.headers)) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => onProgress(event.loaded, event.lengthComputable ? event.total : file.size);
    request.onload = () => {
      if (request.status >= 200 && request.status < 300) return resolve();
      if (request.status === 413) return reject(new UploadError({ kind: 'too-large', maxFileSize: null }));
      if (request.status === 401 || request.status === 403) return reject(new UploadError({ kind: 'not-allowed' }));
      reject(new UploadError({ kind: 'failed', text: `HTTP ${request.status}` }));
    };
    request.onerror = () => reject(new UploadError({ kind: 'failed' }));
    request.onabort = () => reject(new UploadError({ kind: 'cancelled' }));
    if (signal.aborted) return reject(new UploadError({ kind: 'cancelled' }));
    signal.addEventListener('abort', () => request.abort(), { once: true });
    request.send(file);
  });
}

export class Uploader {
  /** The service, looked up once per session (null: the server has none). */
  private service: Promise<UploadServiceInfo | null> | null = null;

  constructor(private readonly client: XmppClient) {
    client.on('online', () => { this.service = null; });
  }

  /** §3: the domain itself, else one of its items, whose disco#info has the upload feature. */
  findService(): Promise<UploadServiceInfo | null> {
    this.service ??= this.discover().catch(() => {
      this.service = null;
      return null;
    });
    return this.service;
  }

  private async discover(): Promise<UploadServiceInfo | null> {
    const domain = this.client.account.domain;
    const info = (jid: string) => this.client.iq(xml('iq', { type: 'get', to: jid }, xml('query', { xmlns: NS.discoInfo })))
      .then((result) => result.getChild('query', NS.discoInfo) ?? null, () => null);
    const items = await this.client.iq(xml('iq', { type: 'get', to: domain }, xml('query', { xmlns: NS.discoItems })))
      .then((result) => result.getChild('query', NS.discoItems)?.getChildren('item').map((item) => item.attrs.jid).filter((jid): jid is string => !!jid) ?? [], () => []);
    const candidates = [domain, ...items.filter((jid) => jid !== domain)].slice(0, 20);
    const answers = await Promise.all(candidates.map(info));
    for (let i = 0; i < candidates.length; i++) {
      const query = answers[i];
      if (query?.getChildren('feature').some((feature) => feature.attrs.var === NS_HTTP_UPLOAD)) {
        return { jid: candidates[i]!, maxFileSize: maxFileSizeOf(query) };
      }
    }
    return null;
  }

  /** Upload one file: a slot (the service decides what is too large, §5), then the PUT. Resolves with the GET URL. */
  async upload(file: File, onProgress: (sent: number, total: number) => void, signal: AbortSignal): Promise<string> {
    if (!this.client.online) throw new UploadError({ kind: 'offline' });
    const service = await this.findService();
    if (!service) throw new UploadError({ kind: 'no-service' });
    if (signal.aborted) throw new UploadError({ kind: 'cancelled' });
    const contentType = uploadContentType(file.type);
    let slot: Slot | null;
    try {
      const result = await this.client.iq(xml('iq', { type: 'get', to: service.jid },
        xml('request', { xmlns: NS_HTTP_UPLOAD, filename: uploadFilename(file.name), size: file.size, 'content-type': contentType })));
      slot = parseSlot(result);
    } catch (error) {
      throw new UploadError(slotProblem(error, errorReplyOf(error), service.maxFileSize));
    }
    if (!slot) throw new UploadError({ kind: 'failed', text: t('upload.badSlot') });
    if (signal.aborted) throw new UploadError({ kind: 'cancelled' });
    await putFile(slot, file, contentType, onProgress, signal);
    return slot.get;
  }
}
