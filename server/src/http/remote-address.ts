// The peer's address of a uWS request, as text comparable with node:net's.
import type uWS from 'uWebSockets.js';

export function remoteAddressOf(res: uWS.HttpResponse): string {
  const text = Buffer.from(res.getRemoteAddressAsText()).toString();
  // uWS writes IPv4-mapped addresses in full IPv6 form
  const mapped = /^(?:0{1,4}:){5}ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/i.exec(text);
  if (mapped) {
    const high = Number.parseInt(mapped[1]!, 16);
    const low = Number.parseInt(mapped[2]!, 16);
    return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
  }
  return text;
}
