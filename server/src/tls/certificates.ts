// Per-domain TLS certificates from the certs folder (`<data>/certs`), reloaded when files change.
//
// Every served domain gets a self-signed certificate on first use, stored as `<domain>.key` +
// `<domain>.crt`. An admin replaces it by dropping files there (tls/certificate-files.ts has the
// names: that pair, or certbot's `<domain>/fullchain.pem` + `privkey.pem`). A file watch reloads a
// domain's certificate without restart: the new pair is checked first (key matches, names cover
// the domain, valid now) and refused with an error log line otherwise, the old one staying in
// use. New TLS connections (c2s STARTTLS, direct TLS, HTTPS by SNI, s2s) get the new certificate;
// open ones keep theirs. Listeners that cannot ask per connection subscribe with onChange().
import { randomBytes } from 'node:crypto';
import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, sep } from 'node:path';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import type { SecureContext } from 'node:tls';
import { domainToASCII } from 'node:url';
import { privateDirectory, tighten } from '../storage/private-files.ts';
import { inspectCertificate, type CertificateReport } from './certificate-check.ts';
import { acceptedFiles, certificateSources, domainOfPath, findCertificate, ACCEPTED_DIR } from './certificate-files.ts';
import { generateSelfSigned, type PemPair } from './self-signed.ts';

export type { PemPair } from './self-signed.ts';

export interface CertificateLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface CertificateStoreOptions {
  /** Folder holding the certificates, e.g. `<data>/certs`. */
  certsDir: string;
  log?: CertificateLogger;
  /** Quiet time after the last change to a domain's files before they are read (a copy in progress). */
  reloadDelayMs?: number;
}

/** What a reload did: a new certificate serves, the files had not changed, they were refused (the old one serves), or there are none. */
export type ReloadOutcome = 'replaced' | 'unchanged' | 'refused' | 'missing';

interface Entry extends PemPair {
  context: SecureContext;
  report: CertificateReport;
  /** where it was read from */
  certPath: string;
}

export class CertificateStore {
  private readonly certsDir: string;
  private readonly log: CertificateLogger | undefined;
  private readonly reloadDelayMs: number;
  private readonly entries = new Map<string, Entry>();
  /** ensure() calls in progress, so concurrent callers share one load/generation. */
  private readonly pending = new Map<string, Promise<SecureContext>>();
  /** the reload in progress per domain: reloads of one domain run one after the other */
  private readonly reloads = new Map<string, Promise<ReloadOutcome>>();
  private readonly reloadTimers = new Map<string, NodeJS.Timeout>();
  private readonly listeners: Array<(domain: string) => void> = [];
  private watcher: FSWatcher | null = null;
  private readonly folderWatchers = new Map<string, FSWatcher>();

  constructor(options: CertificateStoreOptions) {
    this.certsDir = options.certsDir;
    this.log = options.log;
    this.reloadDelayMs = options.reloadDelayMs ?? 300;
  }

  /**
   * Ensures a key + certificate exist for the domain, loading them from the certs folder or
   * generating a self-signed pair there, and caches the resulting SecureContext. Rejects for a
   * malformed domain, an unreadable or mismatched pair, or when only one of the two files exists
   * (an admin's file is never overwritten). A certificate that does not cover the domain or has
   * expired is served with a warning: at start there is no other one to keep.
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
    return this.entry(domain)?.context;
  }

  /** PEM key/cert pair for a domain (after ensure), e.g. for the server's default `key`/`cert`. */
  pemFor(domain: string): PemPair | undefined {
    const entry = this.entry(domain);
    return entry ? { key: entry.key, cert: entry.cert } : undefined;
  }

  /** Names, issuer, validity and fingerprint of the certificate served for a domain. */
  reportFor(domain: string): CertificateReport | undefined {
    return this.entry(domain)?.report;
  }

  /**
   * Files holding the pair served for a domain, for listeners that load certificates from files
   * (uWebSockets.js): a copy the store writes when it accepts a pair, never the admin's file itself.
   */
  filesFor(domain: string): { keyPath: string; certPath: string } | undefined {
    const name = safeNormalize(domain);
    return name && this.entries.has(name) ? acceptedFiles(this.certsDir, name) : undefined;
  }

  /** Called with the domain (A-label) after its certificate was replaced. */
  onChange(listener: (domain: string) => void): void {
    this.listeners.push(listener);
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

  /**
   * Watch the certs folder (and its certbot-style `<domain>/` folders) and reload a domain's
   * certificate when its files change. One watcher per folder: Node 20's recursive fs.watch on
   * Linux stops reporting after a folder is moved into the tree (certbot deploy hooks do that).
   */
  watch(): void {
    if (this.watcher) return;
    privateDirectory(this.certsDir);
    this.watcher = watch(this.certsDir, (_event, filename) => {
      if (!filename) return;
      const name = filename.toString();
      this.watchFolder(name); // a folder moved in or made: watch it (a folder gone: stop)
      const domain = domainOfPath(name);
      if (domain && this.entries.has(domain)) this.scheduleReload(domain);
    });
    this.watcher.on('error', (err) => this.log?.error({ err, certsDir: this.certsDir }, 'Watching the certificates folder failed'));
    for (const entry of readdirSync(this.certsDir, { withFileTypes: true })) {
      if (entry.isDirectory()) this.watchFolder(entry.name);
    }
  }

  close(): void {
    this.watcher?.close();
    this.watcher = null;
    for (const folder of this.folderWatchers.values()) folder.close();
    this.folderWatchers.clear();
    for (const timer of this.reloadTimers.values()) clearTimeout(timer);
    this.reloadTimers.clear();
  }

  private watchFolder(name: string): void {
    if (name === ACCEPTED_DIR || name.includes(sep)) return;
    const path = join(this.certsDir, name);
    let isFolder = false;
    try {
      isFolder = statSync(path).isDirectory();
    } catch {
      // gone
    }
    const watching = this.folderWatchers.get(name);
    if (!isFolder) {
      watching?.close();
      this.folderWatchers.delete(name);
      return;
    }
    if (watching) return;
    const folder = watch(path, (_event, filename) => {
      const domain = filename ? domainOfPath(join(name, filename.toString())) : undefined;
      if (domain && this.entries.has(domain)) this.scheduleReload(domain);
    });
    folder.on('error', () => {
      folder.close();
      this.folderWatchers.delete(name);
    });
    this.folderWatchers.set(name, folder);
  }

  /** Read a domain's files again; a pair that fails inspection is refused and the served one stays. */
  reload(domain: string): Promise<ReloadOutcome> {
    const name = normalizeDomain(domain);
    const previous = this.reloads.get(name) ?? Promise.resolve('unchanged' as ReloadOutcome);
    const next = previous.catch(() => 'unchanged' as ReloadOutcome).then(() => this.reloadNow(name));
    this.reloads.set(name, next);
    void next.finally(() => {
      if (this.reloads.get(name) === next) this.reloads.delete(name);
    }).catch(() => {});
    return next;
  }

  private scheduleReload(domain: string): void {
    clearTimeout(this.reloadTimers.get(domain));
    const timer = setTimeout(() => {
      this.reloadTimers.delete(domain);
      this.reload(domain).catch((err: unknown) => this.log?.error({ err, domain }, 'Reloading the TLS certificate failed'));
    }, this.reloadDelayMs);
    timer.unref();
    this.reloadTimers.set(domain, timer);
  }

  private async reloadNow(domain: string): Promise<ReloadOutcome> {
    const current = this.entries.get(domain);
    if (!current) return 'missing';
    const found = await findCertificate(this.certsDir, domain);
    if (found.status === 'missing') {
      this.log?.warn({ domain, certsDir: this.certsDir }, 'TLS certificate files removed; the certificate in use stays until new files come');
      return 'missing';
    }
    if (found.status === 'incomplete') {
      this.log?.error({ domain, missing: found.missing }, `TLS certificate for ${domain} refused: ${found.missing} is missing; the certificate in use stays`);
      return 'refused';
    }
    if (found.key === current.key && found.cert === current.cert) return 'unchanged';
    tighten(found.source.keyPath);
    const { report, problems } = inspectCertificate(found.cert, found.key, domain);
    if (!report || problems.length > 0) {
      this.log?.error({ domain, certPath: found.source.certPath, keyPath: found.source.keyPath, problems },
        `TLS certificate for ${domain} refused: ${problems.join('; ')}; the certificate in use stays`);
      return 'refused';
    }
    const entry = { key: found.key, cert: found.cert, context: createSecureContext({ key: found.key, cert: found.cert }), report, certPath: found.source.certPath };
    await this.writeAccepted(domain, entry);
    this.entries.set(domain, entry);
    this.log?.info({ domain, certPath: entry.certPath, fingerprint: report.fingerprint256, issuer: report.issuer, validTo: report.validTo.toISOString(),
      previousFingerprint: current.report.fingerprint256 }, 'TLS certificate replaced');
    for (const listener of this.listeners) {
      try {
        listener(domain);
      } catch (err) {
        this.log?.error({ err, domain }, 'A listener failed to take the new TLS certificate');
      }
    }
    return 'replaced';
  }

  private entry(domain: string): Entry | undefined {
    return this.entries.get(safeNormalize(domain) ?? '');
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
    // the private keys are the server's alone: the folder 0700, keys 0600, also when found looser
    privateDirectory(this.certsDir);
    for (const source of certificateSources(this.certsDir, domain)) tighten(source.keyPath);
    const found = await findCertificate(this.certsDir, domain);
    if (found.status === 'incomplete') {
      throw new Error(
        `TLS certificate for ${domain} is incomplete: ${found.missing} is missing. ` +
          'Provide both files, or remove the other one to have a self-signed pair generated.',
      );
    }
    const [pair, certPath] = found.status === 'found'
      ? [{ key: found.key, cert: found.cert }, found.source.certPath]
      : [await this.generateAndStore(domain), certificateSources(this.certsDir, domain)[1]!.certPath];

    let context: SecureContext;
    try {
      // Also verifies that the key matches the certificate.
      context = createSecureContext({ key: pair.key, cert: pair.cert });
    } catch (err) {
      throw new Error(`Unusable TLS key/certificate for ${domain} (${certPath}): ${errorMessage(err)}`, { cause: err });
    }
    const { report, problems } = inspectCertificate(pair.cert, pair.key, domain);
    if (!report || problems.some((problem) => problem.startsWith('the key'))) {
      throw new Error(`Unusable TLS key/certificate for ${domain} (${certPath}): ${problems.join('; ')}`);
    }
    if (found.status === 'found') {
      for (const problem of problems) this.log?.warn({ domain, certPath, problem }, `TLS certificate for ${domain}: ${problem}`);
      this.log?.info({ domain, certPath, fingerprint: report.fingerprint256 }, 'Using TLS certificate');
    }
    const entry = { ...pair, context, report, certPath };
    await this.writeAccepted(domain, entry);
    this.entries.set(domain, entry);
    return context;
  }

  private async writeAccepted(domain: string, pair: PemPair): Promise<void> {
    privateDirectory(join(this.certsDir, ACCEPTED_DIR));
    const { keyPath, certPath } = acceptedFiles(this.certsDir, domain);
    await writeAtomic(keyPath, pair.key, 0o600);
    await writeAtomic(certPath, pair.cert, 0o644);
  }

  private async generateAndStore(domain: string): Promise<PemPair> {
    const started = performance.now();
    const { keyPath, certPath } = certificateSources(this.certsDir, domain)[1]!;
    const { validTo, ...pair } = await generateSelfSigned(domain);
    await mkdir(this.certsDir, { recursive: true, mode: 0o700 });
    // Key first, then certificate: each goes through a temp file + rename so a
    // crash never leaves a truncated PEM behind.
    await writeAtomic(keyPath, pair.key, 0o600);
    await writeAtomic(certPath, pair.cert, 0o644);
    this.log?.info({
      domain, certPath, keyPath, fingerprint: inspectCertificate(pair.cert, undefined, domain).report?.fingerprint256,
      validTo: validTo.toISOString(), ms: Math.round(performance.now() - started),
    }, 'Generated self-signed TLS certificate');
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

export async function writeAtomic(path: string, data: string, mode: number): Promise<void> {
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
