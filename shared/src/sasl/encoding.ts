// Base64 and UTF-8 helpers for SASL payloads (RFC 6120 §6.4.2: SASL data is base64 on the wire).
const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true });

export function utf8(text: string): Uint8Array<ArrayBuffer> {
  return encoder.encode(text) as Uint8Array<ArrayBuffer>;
}

export function fromUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

export function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

export function fromBase64(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** RFC 6120 §6.4.2: an empty payload is sent as '='. */
export function encodePayload(text: string): string {
  return text === '' ? '=' : toBase64(utf8(text));
}

export function decodePayload(text: string): string {
  const trimmed = text.trim();
  return trimmed === '' || trimmed === '=' ? '' : fromUtf8(fromBase64(trimmed));
}
