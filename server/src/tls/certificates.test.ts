import { createPrivateKey, X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, createServer } from 'node:tls';
import type { Server } from 'node:tls';
import { generate } from 'selfsigned';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CertificateStore, normalizeDomain } from './certificates.ts';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'parley-certs-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A logger that records calls, to count generations and warnings. */
function recordingLog() {
  const entries: { level: 'info' | 'warn' | 'error'; obj: object; msg?: string }[] = [];
  return {
    entries,
    info: (obj: object, msg?: string) => void entries.push({ level: 'info', obj, msg }),
    warn: (obj: object, msg?: string) => void entries.push({ level: 'warn', obj, msg }),
    error: (obj: object, msg?: string) => void entries.push({ level: 'error', obj, msg }),
    generated: () => entries.filter((e) => e.msg === 'Generated self-signed TLS certificate'),
  };
}

async function certOnDisk(domain: string): Promise<X509Certificate> {
  return new X509Certificate(await readFile(join(dir, `${domain}.crt`), 'utf8'));
}

describe('CertificateStore.ensure', () => {
  it('generates a self-signed key and certificate for the domain', async () => {
    const log = recordingLog();
    const certsDir = join(dir, 'certs'); // not there yet: ensure() creates it
    const store = new CertificateStore({ certsDir, log });

    await store.ensure('example.com');

    const keyStat = await stat(join(certsDir, 'example.com.key'));
    expect(keyStat.mode & 0o777).toBe(0o600);

    const cert = new X509Certificate(await readFile(join(certsDir, 'example.com.crt'), 'utf8'));
    expect(cert.subject).toBe('CN=example.com');
    const sans = cert.subjectAltName?.split(', ');
    expect(sans).toContain('DNS:example.com');
    expect(sans).toContain('DNS:*.example.com');
    expect(cert.checkHost('conference.example.com')).toBe('*.example.com'); // matched by the wildcard SAN
    const nineYears = 9 * 365.25 * 24 * 3600 * 1000;
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThanOrEqual(nineYears);
    expect(cert.checkPrivateKey(createPrivateKey(store.pemFor('example.com')!.key))).toBe(true);

    expect(store.contextFor('example.com')).toBeDefined();
    expect(store.contextFor('EXAMPLE.com.')).toBe(store.contextFor('example.com'));
    expect(store.contextFor('other.com')).toBeUndefined();
    expect(store.pemFor('example.com')?.cert).toBe(cert.toString());

    const [generated] = log.generated();
    expect(log.generated()).toHaveLength(1);
    expect(generated?.obj).toMatchObject({
      domain: 'example.com',
      certPath: join(certsDir, 'example.com.crt'),
      fingerprint: cert.fingerprint256,
    });
  });

  it('reuses the stored pair on a second call and in a fresh store', async () => {
    const log = recordingLog();
    const store = new CertificateStore({ certsDir: dir, log });
    const first = await store.ensure('example.com');
    const fingerprint = (await certOnDisk('example.com')).fingerprint256;

    expect(await store.ensure('example.com')).toBe(first);

    const fresh = new CertificateStore({ certsDir: dir, log });
    await fresh.ensure('example.com');
    expect(new X509Certificate(fresh.pemFor('example.com')!.cert).fingerprint256).toBe(fingerprint);
    expect((await certOnDisk('example.com')).fingerprint256).toBe(fingerprint);
    expect(log.generated()).toHaveLength(1);
  });

  it('generates only once for concurrent calls', async () => {
    const log = recordingLog();
    const store = new CertificateStore({ certsDir: dir, log });
    const contexts = await Promise.all([
      store.ensure('example.com'),
      store.ensure('example.com'),
      store.ensure('Example.COM'),
    ]);
    expect(new Set(contexts).size).toBe(1);
    expect(log.generated()).toHaveLength(1);
    expect(new X509Certificate(store.pemFor('example.com')!.cert).fingerprint256).toBe(
      (await certOnDisk('example.com')).fingerprint256,
    );
  });

  it('uses an admin-supplied pair as-is', async () => {
    const admin = await generate([{ name: 'commonName', value: 'admin-issued' }], {
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'example.com' }] }],
    });
    await writeFile(join(dir, 'example.com.key'), admin.private, { mode: 0o600 });
    await writeFile(join(dir, 'example.com.crt'), admin.cert);

    const log = recordingLog();
    const store = new CertificateStore({ certsDir: dir, log });
    await store.ensure('example.com');

    expect(store.pemFor('example.com')).toEqual({ key: admin.private, cert: admin.cert });
    expect(await readFile(join(dir, 'example.com.crt'), 'utf8')).toBe(admin.cert);
    expect(log.generated()).toHaveLength(0);
    expect(log.entries.filter((e) => e.level === 'warn')).toHaveLength(0);
  });

  it('warns when a supplied certificate does not cover the domain', async () => {
    const other = await generate([{ name: 'commonName', value: 'other.org' }], { algorithm: 'sha256' });
    await writeFile(join(dir, 'example.com.key'), other.private);
    await writeFile(join(dir, 'example.com.crt'), other.cert);

    const log = recordingLog();
    await new CertificateStore({ certsDir: dir, log }).ensure('example.com');
    expect(log.entries.filter((e) => e.level === 'warn')).toHaveLength(1);
  });

  it('rejects a key that does not match the certificate', async () => {
    const one = await generate([{ name: 'commonName', value: 'example.com' }], { keyType: 'ec' });
    const two = await generate([{ name: 'commonName', value: 'example.com' }], { keyType: 'ec' });
    await writeFile(join(dir, 'example.com.key'), one.private);
    await writeFile(join(dir, 'example.com.crt'), two.cert);

    const store = new CertificateStore({ certsDir: dir });
    await expect(store.ensure('example.com')).rejects.toThrow(/Unusable TLS key\/certificate for example\.com/);
    expect(store.contextFor('example.com')).toBeUndefined();
  });

  it('refuses to overwrite when only one of the two files exists', async () => {
    const lone = await generate([{ name: 'commonName', value: 'example.com' }], { keyType: 'ec' });
    await writeFile(join(dir, 'example.com.crt'), lone.cert);

    const store = new CertificateStore({ certsDir: dir });
    await expect(store.ensure('example.com')).rejects.toThrow(/example\.com\.key is missing/);
    expect(await readFile(join(dir, 'example.com.crt'), 'utf8')).toBe(lone.cert);
  });

  it('rejects names that are not plain domains', async () => {
    const store = new CertificateStore({ certsDir: dir });
    for (const bad of ['../etc/passwd', 'a/b', '', '*.example.com', 'a..b', 'foo bar', 'x:1']) {
      await expect(store.ensure(bad), bad).rejects.toThrow(/Invalid domain/);
    }
  });
});

describe('normalizeDomain', () => {
  it('lower-cases, drops the trailing dot and converts IDNs to A-labels', () => {
    expect(normalizeDomain('Example.COM.')).toBe('example.com');
    expect(normalizeDomain('bücher.example')).toBe('xn--bcher-kva.example');
    expect(normalizeDomain('localhost')).toBe('localhost');
  });
});

describe('CertificateStore.sniCallback', () => {
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  /** Completes a handshake and returns the subject of the certificate the server presented. */
  function peerSubject(port: number, servername?: string): Promise<string> {
    return new Promise((resolve, reject) => {
      const socket = connect(
        { host: '127.0.0.1', port, rejectUnauthorized: false, ...(servername ? { servername } : {}) },
        () => {
          const subject = socket.getPeerX509Certificate()?.subject ?? '';
          socket.end();
          resolve(subject);
        },
      );
      socket.on('error', reject);
    });
  }

  it('serves the certificate matching the requested server name', async () => {
    const store = new CertificateStore({ certsDir: dir });
    await Promise.all([store.ensure('a.test'), store.ensure('b.test')]);

    server = createServer({ SNICallback: store.sniCallback('a.test'), ...store.pemFor('a.test') }, (socket) =>
      socket.end(),
    );
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;

    expect(await peerSubject(port, 'b.test')).toBe('CN=b.test');
    expect(await peerSubject(port, 'a.test')).toBe('CN=a.test');
    expect(await peerSubject(port, 'B.Test')).toBe('CN=b.test');
    expect(await peerSubject(port, 'conference.b.test')).toBe('CN=b.test');
    expect(await peerSubject(port, 'unknown.example')).toBe('CN=a.test');
    expect(await peerSubject(port)).toBe('CN=a.test'); // no SNI at all
  });

  it('answers synchronously and falls back to the default domain', () => {
    const store = new CertificateStore({ certsDir: dir });
    const results: unknown[] = [];
    store.sniCallback('a.test')('b.test', (err, ctx) => results.push(err, ctx));
    // Nothing ensured yet: no error, no context (Node then uses the server's own key/cert).
    expect(results).toEqual([null, undefined]);
  });
});
