// What a message shares: the file of its XEP-0066 OOB URL, or an image whose URL is the whole
// body (clients that send no OOB). Only http(s) URLs, parsed by the browser's URL parser; the
// kind comes from the URL's extension (no request is made to find out), and only raster images
// are previewed.
import { safeHref } from './linkify.ts';

export interface Attachment {
  url: string;
  /** The last part of the URL's path, decoded: what the file is called. */
  name: string;
  kind: 'image' | 'file';
  /** Text sent beside the URL (the body without it), if any. */
  caption: string;
}

const IMAGE_EXTENSION = /\.(png|jpe?g|gif|webp|avif|bmp)$/i;

function fileName(url: URL): string {
  const last = url.pathname.split('/').filter(Boolean).at(-1) ?? '';
  try {
    return decodeURIComponent(last) || url.hostname;
  } catch {
    return last || url.hostname;
  }
}

export function attachmentOf(body: string, oob: string | undefined): Attachment | null {
  const text = body.trim();
  const shared = oob ? safeHref(oob) : null;
  // (linkify's safeHref also takes 'www.' forms; a shared file's URL has its scheme)
  const candidate = shared && /^https?:\/\//i.test(oob!) ? shared : /^https?:\/\/\S+$/i.test(text) ? safeHref(text) : null;
  if (!candidate) return null;
  const url = new URL(candidate);
  const kind = IMAGE_EXTENSION.test(url.pathname) ? 'image' : 'file';
  // a bare URL without OOB is only an attachment when it is an image; other links stay links
  if (!shared && kind !== 'image') return null;
  const caption = shared ? (text === oob!.trim() || text === shared ? '' : text.replace(oob!.trim(), '').trim()) : '';
  return { url: candidate, name: fileName(url), kind, caption };
}
