// Random identifiers for stanzas (id, XEP-0359 origin-id) and resources.
export function randomId(bytes = 12): string {
  const buffer = new Uint8Array(bytes);
  crypto.getRandomValues(buffer);
  let out = '';
  for (const byte of buffer) out += byte.toString(16).padStart(2, '0');
  return out;
}
