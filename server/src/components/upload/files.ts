// Where uploaded files live (one file per upload id, under two-character folders) and how they are
// served: types a browser would run or render as a page are sent as attachments (XEP-0363 §9,
// "Security Considerations": the service must not let uploads run in its origin).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Shown inline (images, audio, video, plain text); everything else — HTML, SVG, PDF, scripts… — is an attachment. */
const INLINE_TYPES = /^(image\/(png|jpeg|gif|webp|avif|bmp)|audio\/[a-z0-9.+-]+|video\/[a-z0-9.+-]+|text\/plain)$/;

/** A content type as the client gave it, if it is a well-formed type/subtype (parameters dropped); else octet-stream. */
export function normalizeContentType(text: string | undefined): string {
  const type = (text ?? '').split(';', 1)[0]!.trim().toLowerCase();
  return /^[a-z0-9!#$&^_.+-]+\/[a-z0-9!#$&^_.+-]+$/.test(type) ? type : 'application/octet-stream';
}

export function isInline(contentType: string): boolean {
  return INLINE_TYPES.test(contentType);
}

/** RFC 6266 Content-Disposition with the name in RFC 8187 form (and an ASCII fallback). */
export function contentDisposition(contentType: string, filename: string): string {
  const fallback = filename.replace(/[^\x20-\x7e]|["\\]/g, '_');
  const encoded = encodeURIComponent(filename).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${isInline(contentType) ? 'inline' : 'attachment'}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

export class UploadFiles {
  constructor(readonly root: string) {
    mkdirSync(root, { recursive: true, mode: 0o700 });
  }

  /** The file of an upload id (ids are base64url: no separators). */
  path(id: string): string {
    return join(this.root, id.slice(0, 2), id);
  }

  /** The folder a new file goes in, made when needed. */
  prepare(id: string): string {
    mkdirSync(join(this.root, id.slice(0, 2)), { recursive: true, mode: 0o700 });
    return this.path(id);
  }
}
