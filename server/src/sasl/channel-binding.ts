// Channel binding (RFC 5056) for the -PLUS mechanisms: the data that ties a SASL exchange to the
// TLS connection it runs on, so that a man in the middle who terminates TLS cannot relay it.
//   tls-exporter          RFC 9266: 32 bytes of TLS exporter output, label "EXPORTER-Channel-Binding",
//                         empty context; defined for TLS 1.3 only (§3: TLS 1.2 needs extended master secret,
//                         which Node does not report, so it is not offered there).
//   tls-server-end-point  RFC 5929 §4.1: the hash of the server's certificate, with the hash of its
//                         signature algorithm (SHA-256 when that is MD5 or SHA-1).
// tls-unique (RFC 5929 §3) is not offered: it is undefined for TLS 1.3 and weakened by the triple
// handshake attack on TLS 1.2 (RFC 9266 §1). It is still accepted from clients that ask for it
// without reading XEP-0440 — slixmpp 1.8 sends p=tls-unique whenever it sees a -PLUS mechanism, and
// would otherwise be locked out, since its fallback 'y' is then a downgrade (RFC 5802 §6) — as the
// first Finished message of the handshake, which is what OpenSSL-based clients compute on TLS 1.3 too.
import { createHash } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import type * as Pkijs from 'pkijs';

export type ChannelBindingType = 'tls-exporter' | 'tls-server-end-point' | 'tls-unique';

/** What one connection can bind to. */
export interface ChannelBinding {
  /** Types offered for this connection, in server preference order (advertised by XEP-0440). */
  readonly types: readonly ChannelBindingType[];
  /** The binding data for a type (offered, or tls-unique, see above), or null when the connection has none for it. */
  data(type: ChannelBindingType): Buffer | null;
}

export const EXPORTER_LABEL = 'EXPORTER-Channel-Binding';
export const EXPORTER_LENGTH = 32;

const isBindingType = (type: string): type is ChannelBindingType =>
  type === 'tls-exporter' || type === 'tls-server-end-point' || type === 'tls-unique';

export function parseChannelBindingType(type: string): ChannelBindingType | null {
  return isBindingType(type) ? type : null;
}

/** pkijs reads certificates; loaded on demand (it costs ~300 ms), so that the CLI does not pay for it. */
let pkijs: typeof Pkijs | null = null;

/** Loads the certificate reader tls-server-end-point needs; the server awaits it before listening. */
export async function loadCertificateReader(): Promise<void> {
  pkijs ??= await import('pkijs');
}

/** Signature algorithm OIDs and the hash RFC 5929 §4.1 prescribes for each. */
const SIGNATURE_HASHES: Record<string, string> = {
  '1.2.840.113549.1.1.4': 'sha256', // md5WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.5': 'sha256', // sha1WithRSAEncryption → SHA-256
  '1.2.840.113549.1.1.14': 'sha224',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha256', // ecdsa-with-SHA1 → SHA-256
  '1.2.840.10045.4.3.1': 'sha224',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10040.4.3': 'sha256', // dsa-with-sha1 → SHA-256
  '2.16.840.1.101.3.4.3.2': 'sha256', // dsa-with-sha256
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const HASH_OIDS: Record<string, string> = {
  '1.3.14.3.2.26': 'sha256', // SHA-1 → SHA-256
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/**
 * The hash tls-server-end-point uses for a DER certificate, or null when RFC 5929 defines none
 * (Ed25519, Ed448: no separate hash in the signature), in which case the type is not offered.
 */
export function endPointHashName(der: Buffer): string | null {
  if (!pkijs) throw new Error('loadCertificateReader() first');
  let algorithm: Pkijs.AlgorithmIdentifier;
  try {
    algorithm = pkijs.Certificate.fromBER(new Uint8Array(der)).signatureAlgorithm;
  } catch {
    return null;
  }
  if (algorithm.algorithmId !== RSASSA_PSS) return SIGNATURE_HASHES[algorithm.algorithmId] ?? null;
  // RSASSA-PSS names its hash in the parameters; absent means SHA-1 (RFC 4055 §3.1), hence SHA-256.
  try {
    const params = new pkijs.RSASSAPSSParams({ schema: algorithm.algorithmParams });
    return HASH_OIDS[params.hashAlgorithm.algorithmId] ?? null;
  } catch {
    return 'sha256';
  }
}

/** The tls-server-end-point data: H(certificate) per RFC 5929 §4.1, or null when undefined for it. */
export function serverEndPoint(der: Buffer): Buffer | null {
  const hash = endPointHashName(der);
  return hash ? createHash(hash).update(der).digest() : null;
}

/** Certificates are few (one per domain) and reused by every connection: parse each once. */
const endPointCache = new Map<string, Buffer | null>();
const END_POINT_CACHE_LIMIT = 1024;

function cachedServerEndPoint(der: Buffer): Buffer | null {
  const key = createHash('sha256').update(der).digest('base64');
  let data = endPointCache.get(key);
  if (data === undefined) {
    if (endPointCache.size >= END_POINT_CACHE_LIMIT) endPointCache.clear();
    data = serverEndPoint(der);
    endPointCache.set(key, data);
  }
  return data;
}

/** Channel binding of a server-side TLS socket (direct TLS or after STARTTLS). */
export function tlsChannelBinding(socket: TLSSocket): ChannelBinding {
  const types: ChannelBindingType[] = [];
  if (socket.getProtocol() === 'TLSv1.3') types.push('tls-exporter');
  const certificate = socket.getCertificate();
  const der = certificate && 'raw' in certificate ? (certificate.raw as Buffer) : null;
  const endPoint = der ? cachedServerEndPoint(der) : null;
  if (endPoint) types.push('tls-server-end-point');
  return {
    types,
    data(type) {
      // RFC 5929 §3.1: the first Finished of the latest handshake: the client's in a full one, ours in a resumption.
      if (type === 'tls-unique') return (socket.isSessionReused() ? socket.getFinished() : socket.getPeerFinished()) ?? null;
      if (!types.includes(type)) return null;
      if (type === 'tls-server-end-point') return endPoint;
      return socket.exportKeyingMaterial(EXPORTER_LENGTH, EXPORTER_LABEL, Buffer.alloc(0));
    },
  };
}
