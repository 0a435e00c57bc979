// Where a domain's certificate lives in the certs folder (`<data>/certs`), the names an admin uses:
//
//   <domain>/fullchain.pem + <domain>/privkey.pem   certbot's layout (`parley cert import` copies it); wins
//   <domain>.crt + <domain>.key                     a pair of PEM files (the generated self-signed one)
//
// `<domain>` is the A-label form (bücher.example → xn--bcher-kva.example), as in SNI.
// `.accepted/<domain>.crt|.key` holds the pair the server currently serves, written by the store:
// the HTTPS listener (uWebSockets.js) loads certificates from files, and must load the accepted
// pair, never a file an admin is still writing or one that was refused.
import { readFile } from 'node:fs/promises';
import { join, sep } from 'node:path';

export interface CertificateSource {
  layout: 'certbot' | 'pair';
  keyPath: string;
  certPath: string;
}

export const ACCEPTED_DIR = '.accepted';

/** The places a domain's certificate may be, in order of precedence. */
export function certificateSources(certsDir: string, domain: string): CertificateSource[] {
  return [
    { layout: 'certbot', keyPath: join(certsDir, domain, 'privkey.pem'), certPath: join(certsDir, domain, 'fullchain.pem') },
    { layout: 'pair', keyPath: join(certsDir, `${domain}.key`), certPath: join(certsDir, `${domain}.crt`) },
  ];
}

export function acceptedFiles(certsDir: string, domain: string): { keyPath: string; certPath: string } {
  return { keyPath: join(certsDir, ACCEPTED_DIR, `${domain}.key`), certPath: join(certsDir, ACCEPTED_DIR, `${domain}.crt`) };
}

export type FoundCertificate =
  | { status: 'found'; source: CertificateSource; key: string; cert: string }
  | { status: 'missing' }
  /** one file of a pair without the other */
  | { status: 'incomplete'; source: CertificateSource; missing: string };

/** The first complete source for `domain`; a half pair is reported, not passed over. */
export async function findCertificate(certsDir: string, domain: string): Promise<FoundCertificate> {
  for (const source of certificateSources(certsDir, domain)) {
    const [key, cert] = await Promise.all([readIfExists(source.keyPath), readIfExists(source.certPath)]);
    if (key !== undefined && cert !== undefined) return { status: 'found', source, key, cert };
    if (key !== undefined || cert !== undefined) {
      return { status: 'incomplete', source, missing: key === undefined ? source.keyPath : source.certPath };
    }
  }
  return { status: 'missing' };
}

/**
 * The domain a changed path (relative to the certs folder, as fs.watch reports it) belongs to:
 * `example.com.crt` → example.com, `example.com/privkey.pem` → example.com, a folder `example.com`
 * → example.com; undefined for the accepted copies and temp files. Callers ignore names they do not serve.
 */
export function domainOfPath(relative: string): string | undefined {
  const parts = relative.split(sep);
  if (parts[0] === ACCEPTED_DIR || parts[0]!.endsWith('.tmp')) return undefined;
  // a pair file, or a certbot folder moved in whole (one event for the folder)
  if (parts.length === 1) return /^(.+)\.(?:crt|key)$/.exec(parts[0]!)?.[1] ?? parts[0];
  if (parts.length === 2 && /^(?:fullchain|privkey)\.pem$/.test(parts[1]!)) return parts[0];
  return undefined;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw err;
  }
}
