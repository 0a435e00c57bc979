// Per-domain TLS certificates kept in the data folder.
//
// Until a fuller certificate feature lands, every served domain gets a
// self-signed certificate generated on first use and stored as
// `<certsDir>/<domain>.key` + `<certsDir>/<domain>.crt` (PEM). Whatever pair is
// found there is used as-is, so an admin can replace the generated files with
// real ones (or drop them in before first start) and they win.

import { randomBytes, X509Certificate } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { domainToASCII } from 'node:url';
import { generate } from 'selfsigned';
import { privateDirectory, tighten } from '../storage/private-files.ts';

export interface CertificateLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface CertificateStoreOptions {
  /** Folder holding `<domain>.key` / `<domain>.crt`, e.g. `<data>/certs`. */
  certsDir: string;
  log?: CertificateLogger;
}

export interface PemPair {
  key: string;
  cert: string;
}

interface Entry extends PemPair {
  context: SecureContext;
}

const VALIDITY_YEARS = 10;

export class CertificateStore {
  private readonly certsDir: string;
  private readonly log: CertificateLogger | undefined;
  private readonly entries = new Map<string, Entry>();
  /** ensure() calls in progress, so concurrent callers share one load/generation. */
  private readonly pending = new Map<string, Promise<SecureContext>>();

  constructor(options: CertificateStoreOptions) {
    this.certsDir = options.certsDir;
    this.log = options.log;
  }

  /**
   * Ensures a key + certificate exist for the domain, loading them from the
   * certs folder or generating a self-signed pair there, and caches the
   * resulting SecureContext. Rejects for a malformed domain, an unreadable or
   * mismatched pair, or when only one of the two files exists (we never
   * overwrite an admin's file).
   */
  ensure(domain: string): Promise<SecureContext> {
    let name: string;
    try {
      name = normalizeDomain(domain);
    } catch (err) {
      return Promise.reject(err); // callers expect a rejection, not a synchronous throw
    }
    const cached = this.entries.get(name);
    if (cached) return Promise.resolve(cached.context);

    let promise = this.pending.get(name);
    if (!promise) {
      promise = this.loadOrGenerate(name).finally(() => this.pending.delete(name));
      this.pending.set(name, promise);
    }
    return promise;
  }

  /** Cached SecureContext for a domain (after ensure); undefined if none. */
  contextFor(domain: string): SecureContext | undefined {
    return this.entries.get(safeNormalize(domain) ?? '')?.context;
  }

  /** PEM key/cert pair for a domain (after ensure), e.g. for the server's default `key`/`cert`. */
  pemFor(domain: string): PemPair | undefined {
    const entry = this.entries.get(safeNormalize(domain) ?? '');
    return entry ? { key: entry.key, cert: entry.cert } : undefined;
  }

  /**
   * SNICallback for tls.createServer: the context of the exact domain, else of
   * the nearest ensured parent domain (conference.example.com is covered by
   * example.com's *.example.com SAN), else of the default domain. Lookup is
   * synchronous from the cache; it never generates.
   */
  sniCallback(
    defaultDomain: string,
  ): (servername: string, cb: (err: Error | null, ctx?: SecureContext) => void) => void {
    const fallback = safeNormalize(defaultDomain);
    return (servername, cb) => {
      const entry = this.lookupWithParents(servername) ?? (fallback ? this.entries.get(fallback) : undefined);
      // An undefined context makes Node use the server's own key/cert options.
      cb(null, entry?.context);
    };
  }

  private lookupWithParents(servername: string): Entry | undefined {
    let name = safeNormalize(servername);
    while (name) {
      const entry = this.entries.get(name);
      if (entry) return entry;
      const dot = name.indexOf('.');
      name = dot === -1 ? undefined : name.slice(dot + 1);
    }
    return undefined;
  }

  private async loadOrGenerate(domain: string): Promise<SecureContext> {
    const keyPath = join(this.certsDir, `${domain}.key`);
    const certPath = join(this.certsDir, `${domain}.crt`);

    // the private keys are the server's alone: the folder 0700, keys 0600, also when found looser
    privateDirectory(this.certsDir);
    tighten(keyPath);
    const [key, cert] = await Promise.all([readIfExists(keyPath), readIfExists(certPath)]);
    let pair: PemPair;
    if (key !== undefined && cert !== undefined) {
      pair = { key, cert };
    } else if (key === undefined && cert === undefined) {
      pair = await this.generateAndStore(domain, keyPath, certPath);
    } else {
      const missing = key === undefined ? keyPath : certPath;
      throw new Error(
        `TLS certificate for ${domain} is incomplete: ${missing} is missing. ` +
          'Provide both files, or remove the other one to have a self-signed pair generated.',
      );
    }

    let context: SecureContext;
    try {
      // Also verifies that the key matches the certificate.
      context = createSecureContext({ key: pair.key, cert: pair.cert });
    } catch (err) {
      throw new Error(`Unusable TLS key/certificate for ${domain} (${keyPath}, ${certPath}): ${errorMessage(err)}`, {
        cause: err,
      });
    }
    if (key !== undefined) this.checkExisting(domain, certPath, pair.cert); // loaded, not generated
    this.entries.set(domain, { ...pair, context });
    return context;
  }

  /** Warns (but still serves) when a stored certificate does not fit the domain or has expired. */
  private checkExisting(domain: string, certPath: string, pem: string): void {
    let x509: X509Certificate;
    try {
      x509 = new X509Certificate(pem);
    } catch (err) {
      throw new Error(`Cannot parse TLS certificate ${certPath}: ${errorMessage(err)}`, { cause: err });
    }
    const fingerprint = x509.fingerprint256;
    if (x509.checkHost(domain) === undefined) {
      this.log?.warn({ domain, certPath, subject: x509.subject, subjectAltName: x509.subjectAltName }, 'TLS certificate does not cover the domain');
    }
    if (Date.parse(x509.validTo) < Date.now()) {
      this.log?.warn({ domain, certPath, validTo: x509.validTo, fingerprint }, 'TLS certificate has expired');
    }
    this.log?.info({ domain, certPath, fingerprint }, 'Using TLS certificate');
  }

  private async generateAndStore(domain: string, keyPath: string, certPath: string): Promise<PemPair> {
    const started = performance.now();
    const notBefore = new Date();
    const notAfter = new Date(notBefore);
    notAfter.setFullYear(notAfter.getFullYear() + VALIDITY_YEARS);

    // EC P-256: generation takes milliseconds, where RSA 2048 takes a large
    // fraction of a second and blocks startup for each domain.
    const pems = await generate([{ name: 'commonName', value: domain }], {
      keyType: 'ec',
      curve: 'P-256',
      algorithm: 'sha256', // the library's default is sha1
      notBeforeDate: notBefore,
      notAfterDate: notAfter,
      extensions: [
        { name: 'basicConstraints', cA: false, critical: true },
        // No keyEncipherment: that usage is for RSA key transport, not EC keys.
        { name: 'keyUsage', digitalSignature: true, critical: true },
        // clientAuth too, so the same certificate can authenticate s2s dialback/SASL EXTERNAL.
        { name: 'extKeyUsage', serverAuth: true, clientAuth: true },
        {
          name: 'subjectAltName',
          altNames: [
            { type: 2, value: domain },
            { type: 2, value: `*.${domain}` }, // conference.<domain>, upload.<domain>, ...
          ],
        },
      ],
    });
    // The library's certificate PEM lacks the final newline that PEM tools expect.
    const pair = { key: pems.private, cert: pems.cert.endsWith('\n') ? pems.cert : `${pems.cert}\n` };

    await mkdir(this.certsDir, { recursive: true, mode: 0o700 });
    // Key first, then certificate: each goes through a temp file + rename so a
    // crash never leaves a truncated PEM behind.
    await writeAtomic(keyPath, pair.key, 0o600);
    await writeAtomic(certPath, pair.cert, 0o644);

    this.log?.info(
      {
        domain,
        certPath,
        keyPath,
        fingerprint: new X509Certificate(pair.cert).fingerprint256,
        validTo: notAfter.toISOString(),
        ms: Math.round(performance.now() - started),
      },
      'Generated self-signed TLS certificate',
    );
    return pair;
  }
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Canonical form of a domain, used as cache key and file name: lower case,
 * A-labels (punycode) as in SNI, no trailing dot. Throws for anything that is
 * not a plain host name, since the result ends up in a file path.
 */
export function normalizeDomain(domain: string): string {
  const invalid = () => new Error(`Invalid domain for a TLS certificate: ${JSON.stringify(domain)}`);
  // domainToASCII parses a URL host and would silently cut at these.
  if (/[\s/\\?#@:%*]/.test(domain)) throw invalid();
  const ascii = domainToASCII(domain.replace(/\.$/, ''));
  if (ascii.length === 0 || ascii.length > 253) throw invalid();
  if (!ascii.split('.').every((label) => LABEL.test(label))) throw invalid();
  return ascii;
}

function safeNormalize(domain: string): string | undefined {
  try {
    return normalizeDomain(domain);
  } catch {
    return undefined;
  }
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    // The mode is applied at creation, so the key is never readable by others.
    await writeFile(tmp, data, { mode, flag: 'wx' });
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
