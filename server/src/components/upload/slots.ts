// XEP-0363 slots: names a client may give (§4: a file name, never a path), and HMAC-signed PUT
// URLs (HMAC-SHA256 with a per-server secret kept in the state storage, so every node checks them
// alike): the signature covers the slot's id, size, content type and expiry, so none of them can
// be changed in the URL, and a slot cannot be made up without the secret.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** Longest file name accepted (bytes of UTF-8), as most file systems allow. */
export const MAX_FILENAME_BYTES = 255;

/** Why a file name is refused, or null when it is a plain file name. */
export function filenameProblem(name: string): string | null {
  if (name.length === 0 || name.trim() === '') return 'the file name is empty';
  if (Buffer.byteLength(name, 'utf8') > MAX_FILENAME_BYTES) return `the file name is longer than ${MAX_FILENAME_BYTES} bytes`;
  if (name.includes('/') || name.includes('\\')) return 'the file name must not contain / or \\';
  if (name === '.' || name === '..') return 'the file name must not be . or ..';
  // control characters (C0, DEL, C1) and the bidirectional overrides that disguise an extension
  if (/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(name)) return 'the file name contains control or direction characters';
  return null;
}

export function newSlotId(): string {
  return randomBytes(18).toString('base64url');
}

export interface SignedSlot {
  id: string;
  size: number;
  contentType: string;
  /** ms since the epoch */
  expiresAt: number;
}

export class SlotSigner {
  constructor(private readonly secret: Buffer) {}

  sign(slot: SignedSlot): string {
    return createHmac('sha256', this.secret)
      .update(`${slot.id}\n${slot.size}\n${slot.contentType}\n${slot.expiresAt}`)
      .digest('base64url');
  }

  verify(slot: SignedSlot, signature: string): boolean {
    const expected = Buffer.from(this.sign(slot));
    const given = Buffer.from(signature);
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
