// `parley cert check [DOMAIN]` and `parley cert import DIR` as an admin runs them (a real process).
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generate } from 'selfsigned';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CertificateStore } from '../server/src/tls/certificates.ts';
import { createTestCa, type TestCa } from './helpers/test-ca.ts';

const parley = join(import.meta.dirname, '../server/bin/parley.js');
let scratch: string;
let data: string;
let certs: string;
let ca: TestCa;

function run(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [parley, '--data', data, ...args], { timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ status: error ? Number((error as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

beforeAll(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'parley-cert-cli-'));
  data = join(scratch, 'data');
  certs = join(data, 'certs');
  ca = await createTestCa(join(scratch, 'ca'));
  expect((await run('domain', 'add', 'example.org', '--alias', 'chat.example.org')).status).toBe(0);
  expect((await run('domain', 'add', 'example.net')).status).toBe(0);
});

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('parley cert check', () => {
  it('says when a domain has no certificate yet', async () => {
    const { status, stdout } = await run('cert', 'check', 'example.org');
    expect(stdout).toContain('example.org\n  no certificate yet: the server generates a self-signed one when it starts serving example.org');
    expect(status).toBe(0);
  });

  it('prints names, issuer, expiry and fingerprint of the generated certificate', async () => {
    const store = new CertificateStore({ certsDir: certs });
    for (const name of ['example.org', 'chat.example.org', 'example.net']) await store.ensure(name);
    const { status, stdout } = await run('cert', 'check');
    const fingerprint = store.reportFor('example.org')!.fingerprint256;
    expect(stdout).toContain(`example.org  ${join(certs, 'example.org.crt')}\n  names:    example.org, *.example.org\n  issuer:   CN=example.org (self-signed)`);
    expect(stdout).toMatch(/ {2}valid: {4}\d{4}-\d\d-\d\dT.* to \d{4}-.* \(36\d\d days left\)/);
    expect(stdout).toContain(`  sha256:   ${fingerprint}`);
    expect(stdout).toContain('  note:     self-signed');
    // every served name, aliases included
    expect(stdout).toContain('chat.example.org  ');
    expect(stdout).toContain('example.net  ');
    expect(stdout.match(/^ {2}ok$/gm)).toHaveLength(3);
    expect(status).toBe(0);
  });

  it('names each problem and exits 1', async () => {
    const [one, two] = [await ca.issue('example.net', join(scratch, 'one')), await ca.issue('example.net', join(scratch, 'two'))];
    writeFileSync(join(certs, 'example.net.key'), one.keyPem);
    writeFileSync(join(certs, 'example.net.crt'), two.certPem);
    let result = await run('cert', 'check', 'example.net');
    expect(result.stdout).toContain('  issuer:   CN=Parley Test CA');
    expect(result.stdout).toContain('  problem:  the key does not match the certificate');
    expect(result.status).toBe(1);
    expect(result.stderr).toContain('parley: 1 certificate problem');

    const expired = await generate([{ name: 'commonName', value: 'example.net' }], {
      keyType: 'ec', algorithm: 'sha256', notBeforeDate: new Date('2019-01-01'), notAfterDate: new Date('2020-06-01'),
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'example.net' }] }],
    });
    writeFileSync(join(certs, 'example.net.key'), expired.private);
    writeFileSync(join(certs, 'example.net.crt'), expired.cert);
    result = await run('cert', 'check', 'example.net');
    expect(result.stdout).toContain('  problem:  the certificate expired on 2020-06-01T00:00:00.000Z');
    expect(result.status).toBe(1);

    const other = await ca.issue('other.org', join(scratch, 'other'));
    writeFileSync(join(certs, 'example.net.key'), other.keyPem);
    writeFileSync(join(certs, 'example.net.crt'), other.certPem);
    result = await run('cert', 'check', 'example.net');
    expect(result.stdout).toContain("  problem:  the certificate's names (other.org, *.other.org) do not cover example.net");
    expect(result.status).toBe(1);
  });
});

describe('parley cert import', () => {
  /** /etc/letsencrypt as certbot leaves it: live/<name>/*.pem are symlinks into archive/. */
  async function certbotTree(entries: Record<string, { issued: { keyPem: string; certPem: string } }>): Promise<string> {
    const root = mkdtempSync(join(scratch, 'letsencrypt-'));
    for (const [name, { issued }] of Object.entries(entries)) {
      mkdirSync(join(root, 'archive', name), { recursive: true });
      mkdirSync(join(root, 'live', name), { recursive: true });
      writeFileSync(join(root, 'archive', name, 'fullchain1.pem'), `${issued.certPem}${readFileSync(ca.certFile, 'utf8')}`);
      writeFileSync(join(root, 'archive', name, 'privkey1.pem'), issued.keyPem);
      symlinkSync(`../../archive/${name}/fullchain1.pem`, join(root, 'live', name, 'fullchain.pem'));
      symlinkSync(`../../archive/${name}/privkey1.pem`, join(root, 'live', name, 'privkey.pem'));
    }
    return join(root, 'live');
  }

  it("copies certbot's live tree for the served names (an alias covered by the wildcard too), refusing a bad one", async () => {
    const live = await certbotTree({
      'example.org': { issued: await ca.issue('example.org', join(scratch, 'le-org')) },
      // certbot's folder for example.net holds a certificate for another name: refused
      'example.net': { issued: await ca.issue('wrong.example', join(scratch, 'le-net')) },
      'unrelated.example': { issued: await ca.issue('unrelated.example', join(scratch, 'le-unrelated')) },
    });
    const { status, stdout, stderr } = await run('cert', 'import', live);
    expect(stdout).toContain(`example.org: imported from ${join(live, 'example.org')} (CN=Parley Test CA, valid until `);
    expect(stdout).toContain(`chat.example.org: imported from ${join(live, 'example.org')}`);
    expect(stdout).not.toContain('unrelated.example');
    expect(stderr).toContain(`parley: example.net: ${join(live, 'example.net')} refused: the certificate's names (wrong.example, *.wrong.example) do not cover example.net`);
    expect(status).toBe(1);
    // certbot's layout in the certs folder, the key private, symlinks read through
    expect(readFileSync(join(certs, 'example.org', 'fullchain.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(statSync(join(certs, 'example.org', 'privkey.pem')).mode & 0o777).toBe(0o600);
    const check = await run('cert', 'check', 'example.org');
    expect(check.stdout).toContain(`example.org  ${join(certs, 'example.org', 'fullchain.pem')}`);
    expect(check.stdout).toContain('  issuer:   CN=Parley Test CA\n');
    expect(check.status).toBe(0);
  });

  it('fails when the folder holds no certificates', async () => {
    const empty = mkdtempSync(join(scratch, 'empty-'));
    const { status, stderr } = await run('cert', 'import', empty);
    expect(stderr).toContain(`parley: no <domain>/fullchain.pem + privkey.pem under ${empty}`);
    expect(status).toBe(1);
  });
});
